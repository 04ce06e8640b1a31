"""Order updates and cancellations (digest §5.3, §6), as a WMS, an ERP or support sends them.

Line cancellations move units from `quantity` to `cancelledQuantity`, only within what is not
shipped, and give the units back to stock or take them out of it per `stockAction`. An order
whose every unit is cancelled turns CANCELLED; one whose remaining units are all shipped and
paid turns SHIPPED. A whole-order cancel is allowed only before any capture and keeps the line
quantities. Every write bumps `updatedAt` and is recorded in the change feed.
"""

from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.writes import (
    UserErrors,
    check_external_id,
    find,
    remember_external_id,
    transaction,
)
from centra_sandbox.store import fulfilment

mutation = MutationType()

CANCELLABLE_STATUSES = ("PENDING", "CONFIRMED", "PROCESSING")
RELEASE, REMOVE = "RELEASE_BACK_TO_WAREHOUSE", "REMOVE_FROM_STOCK"
# A capture in flight (async PSPs) counts: the money is on its way and a return is due instead.
_CAPTURES = (
    "SELECT COUNT(*) FROM payments WHERE orderNumber = ? AND ("
    "(entryType = 'CAPTURE' AND status = 'SUCCESS') "
    "OR (entryType = 'CAPTURE_REQUEST' AND status IN ('SUCCESS', 'PENDING')))"
)
_LINE_WITH_SHIPPED = (
    "SELECT l.*, COALESCE((SELECT SUM(sl.quantity) FROM shipmentLines sl "
    "WHERE sl.orderLineId = l.id), 0) AS shipped FROM orderLines l "
    "WHERE l.id = ? AND l.orderNumber = ?"
)


# --- updateDirectToConsumerOrder ------------------------------------------------------------


@mutation.field("updateDirectToConsumerOrder")
def resolve_update_order(_: Any, info: GraphQLResolveInfo, order: dict, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    row = _dtc_order(ctx, order, errors, "order")
    if row is None:
        return errors.payload(order=None)
    entries = input.get("cancelLines") or []
    cancellations = _validate_cancellations(ctx, row, entries, errors) if entries else []
    check_external_id(input.get("externalId"), errors, "input", "externalId")
    if errors.errors:
        return errors.payload(order=row)

    number = row["number"]
    with transaction(ctx):
        _apply_fields(ctx, number, input)
        # An ERP or WMS writes its document id back here, into the caller's conversion table.
        remember_external_id(ctx, "Order", number, input.get("externalId"))
        moved = _cancel_lines(ctx, row, cancellations)
        completed = _settle_status(ctx, number) if cancellations else False
        _touch(ctx, number)
        ctx.changes.order(number, "UPDATED", *(("COMPLETED",) if completed else ()))
        _announce_stock(ctx, row, moved)
    return errors.payload(order=_reload(ctx, number))


def _apply_fields(ctx: RequestContext, number: int, input: dict) -> None:
    for column in ("otherComment", "internalComment", "isOnHold"):
        if input.get(column) is not None:
            value = int(input[column]) if column == "isOnHold" else input[column]
            ctx.db.execute(f"UPDATE orders SET {column} = ? WHERE number = ?", (value, number))


def _validate_cancellations(
    ctx: RequestContext, order: dict, entries: list[dict], errors: UserErrors
) -> list[tuple[dict, int, str]]:
    """(line, quantity, stock action) per entry, within each line's unshipped quantity."""
    if order["status"] not in CANCELLABLE_STATUSES:
        errors.error(
            f"Order {order['number']} is {order['status']}; lines can be cancelled only on "
            f"{', '.join(CANCELLABLE_STATUSES)} orders.",
            "input",
            "cancelLines",
        )
        return []
    wanted: dict[int, int] = {}
    result = []
    for index, entry in enumerate(entries):
        path = ("input", "cancelLines", index)
        line = ctx.db.one(_LINE_WITH_SHIPPED, (entry["line"]["id"], order["number"]))
        if line is None:
            errors.error(
                f"Could not find OrderLine with ID {entry['line']['id']} "
                f"on order {order['number']}.",
                *path,
                "line",
                "id",
            )
            continue
        left = line["quantity"] - line["shipped"] - wanted.get(line["id"], 0)
        if not 1 <= entry["quantity"] <= left:
            errors.error(
                f"Can cancel 1 to {left} of line {line['id']} (unshipped quantity); "
                f"got {entry['quantity']}.",
                *path,
                "quantity",
            )
            continue
        wanted[line["id"]] = wanted.get(line["id"], 0) + entry["quantity"]
        result.append((line, entry["quantity"], entry.get("stockAction") or RELEASE))
    return result


def _cancel_lines(
    ctx: RequestContext, order: dict, cancellations: list[tuple[dict, int, str]]
) -> list[int]:
    """Apply line cancellations; returns the product sizes whose stock moved."""
    moved = []
    for line, quantity, action in cancellations:
        ctx.db.execute(
            "UPDATE orderLines SET quantity = quantity - ?, "
            "cancelledQuantity = cancelledQuantity + ? WHERE id = ?",
            (quantity, quantity, line["id"]),
        )
        if _move_stock(ctx, order, line["productSizeId"], quantity, action):
            moved.append(line["productSizeId"])
    if cancellations:
        recompute_grand_total(ctx, order["number"])
    return moved


def _settle_status(ctx: RequestContext, number: int) -> bool:
    """CANCELLED when nothing is left, SHIPPED when the rest is shipped and paid (digest §6).

    Returns True when the order became SHIPPED, which Centra announces as COMPLETED.
    """
    remaining = ctx.db.scalar(
        "SELECT COALESCE(SUM(quantity), 0) FROM orderLines WHERE orderNumber = ?", (number,)
    )
    if remaining == 0:
        ctx.db.execute("UPDATE orders SET status = 'CANCELLED' WHERE number = ?", (number,))
        return False
    return fulfilment.complete_order_if_shipped(ctx.db, number)


def recompute_grand_total(ctx: RequestContext, number: int) -> None:
    """grandTotal = Σ line values + shipping + handling − order-level discounts."""
    ctx.db.execute(
        "UPDATE orders SET grandTotalCents = (SELECT COALESCE(SUM(quantity * unitPriceCents), 0) "
        "FROM orderLines WHERE orderNumber = orders.number) + shippingCents + handlingCents "
        "- discountCents WHERE number = ?",
        (number,),
    )


# --- cancelDirectToConsumerOrder ------------------------------------------------------------


@mutation.field("cancelDirectToConsumerOrder")
def resolve_cancel_order(_: Any, info: GraphQLResolveInfo, id=None, order=None, input=None) -> dict:
    ctx, errors, input = info.context, UserErrors(), input or {}
    if (id is None) == (order is None):
        errors.error("cancelDirectToConsumerOrder takes exactly one of id or order.", "id")
        return errors.payload(order=None)
    selector = order if order is not None else {"id": id}
    row = _dtc_order(ctx, selector, errors, "order" if order is not None else "id")
    if row is None:
        return errors.payload(order=None)
    refusal = _cancel_refusal(ctx, row)
    if refusal is not None:
        errors.error(refusal, "order" if order is not None else "id")
        return errors.payload(order=row)

    number = row["number"]
    remove = bool((input.get("stockAction") or {}).get("removeItemsFromStock"))
    with transaction(ctx):
        moved = _release_open_units(ctx, row, REMOVE if remove else RELEASE)
        # The whole-order cancel keeps line quantities (digest §6.7); only the status changes.
        ctx.db.execute("UPDATE orders SET status = 'CANCELLED' WHERE number = ?", (number,))
        _touch(ctx, number)
        # Cancelling is an update of the order, not a deletion (digest §6).
        ctx.changes.order(number, "UPDATED")
        if input.get("cancelAuthorization", True) is not False:
            payment_id = _cancel_authorization(ctx, number)
            ctx.changes.of_order("PaymentHistoryEntry", payment_id, number, "CREATED")
        _announce_stock(ctx, row, moved)
    return errors.payload(order=_reload(ctx, number))


def _cancel_refusal(ctx: RequestContext, order: dict) -> str | None:
    number = order["number"]
    if order["status"] not in CANCELLABLE_STATUSES:
        return (
            f"Order {number} is {order['status']}; only {', '.join(CANCELLABLE_STATUSES)} "
            "orders can be cancelled. Create a return and refund instead."
        )
    captures = ctx.db.scalar(_CAPTURES, (number,))
    shipped = ctx.db.scalar(
        "SELECT COUNT(*) FROM shipments WHERE orderNumber = ? AND isShipped = 1", (number,)
    )
    if captures or shipped:
        return (
            f"Order {number} has {captures} captures and {shipped} shipped shipments; only "
            "orders without captures or shipped units can be cancelled. Cancel the unshipped "
            "lines with updateDirectToConsumerOrder, or create a return and refund instead."
        )
    return None


def _release_open_units(ctx: RequestContext, order: dict, action: str) -> list[int]:
    lines = ctx.db.all(
        "SELECT l.productSizeId, l.quantity - COALESCE((SELECT SUM(sl.quantity) "
        "FROM shipmentLines sl WHERE sl.orderLineId = l.id), 0) AS open "
        "FROM orderLines l WHERE l.orderNumber = ? ORDER BY l.id",
        (order["number"],),
    )
    return [
        line["productSizeId"]
        for line in lines
        if line["open"] > 0 and _move_stock(ctx, order, line["productSizeId"], line["open"], action)
    ]


def _cancel_authorization(ctx: RequestContext, number: int) -> int:
    return ctx.db.execute(
        "INSERT INTO payments (orderNumber, createdAt, status, entryType, externalReference, "
        "paymentMethod, valueCents, source) SELECT number, ?, 'SUCCESS', 'CANCEL', "
        "'psp-' || substr(id, 1, 12), paymentPlugin, grandTotalCents, 'Integration API' "
        "FROM orders WHERE number = ?",
        (ctx.now, number),
    )


# --- shared ---------------------------------------------------------------------------------


def _dtc_order(
    ctx: RequestContext, selector: dict | None, errors: UserErrors, *path: str
) -> dict | None:
    row = find(ctx, "Order", selector, errors, *path)
    store_type = row and ctx.db.scalar("SELECT type FROM stores WHERE id = ?", (row["storeId"],))
    if row is not None and store_type != "DIRECT_TO_CONSUMER":
        errors.error(
            f"Order {row['number']} is a {store_type} order; use the wholesale order mutations.",
            *path,
        )
        return None
    return row


def _move_stock(
    ctx: RequestContext, order: dict, size_id: int | None, quantity: int, action: str
) -> bool:
    """Take cancelled units off the allocation; True when stock changed.

    The sandbox keeps allocations per warehouse and size, not per order, so the units come off
    the allocated stock of the warehouse the order's market allocates from, never below zero.
    Only confirmed orders hold allocations (digest §6), so a PENDING order moves nothing.
    """
    warehouse_id = fulfilment.default_return_warehouse(ctx.db, order)
    if size_id is None or order["status"] == "PENDING" or warehouse_id is None:
        return False
    stock = ctx.db.one(
        "SELECT id, allocatedQuantity FROM stock WHERE warehouseId = ? AND productSizeId = ?",
        (warehouse_id, size_id),
    )
    units = min(quantity, stock["allocatedQuantity"]) if stock else 0
    if units == 0:
        return False
    back = units if action == RELEASE else 0
    ctx.db.execute(
        "UPDATE stock SET allocatedQuantity = allocatedQuantity - ?, "
        "freeToAllocateQuantity = freeToAllocateQuantity + ?, updatedAt = ? WHERE id = ?",
        (units, back, ctx.now, stock["id"]),
    )
    ctx.db.execute("UPDATE productSizes SET updatedAt = ? WHERE id = ?", (ctx.now, size_id))
    return True


def _announce_stock(ctx: RequestContext, order: dict, size_ids: list[int]) -> None:
    if size_ids:
        warehouse_id = fulfilment.default_return_warehouse(ctx.db, order)
        ctx.changes.product_sizes(size_ids, [warehouse_id])


def _touch(ctx: RequestContext, number: int) -> None:
    ctx.db.execute(
        "UPDATE orders SET updatedAt = MAX(updatedAt + 1, ?) WHERE number = ?", (ctx.now, number)
    )


def _reload(ctx: RequestContext, number: int) -> dict:
    return ctx.db.one("SELECT * FROM orders WHERE number = ?", (number,))


BINDABLES = [mutation]
