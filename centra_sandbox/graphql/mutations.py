"""Mutation resolvers (digest §5.1, §5.3). Business failures are userErrors, never exceptions.

Order updates and cancellations live in order_writes.py.

Every write is recorded in the change feed before it commits (events/feed.py). Selectors,
userErrors and the transaction helper live in writes.py, shared with the other write modules.
"""

from typing import Any

from ariadne import InterfaceType, MutationType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.common import SIZE_SELECT
from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.writes import UserErrors, find

mutation = MutationType()
payload_interface = InterfaceType("Payload", lambda *_: None)

__all__ = ["UserErrors", "mutation"]


def _find_order(
    ctx: RequestContext, selector: dict | None, errors: UserErrors, *path: str
) -> dict | None:
    return find(ctx, "Order", selector, errors, *path)


def _touch_order(ctx: RequestContext, number: int) -> None:
    ctx.db.execute(
        "UPDATE orders SET updatedAt = MAX(updatedAt + 1, ?) WHERE number = ?", (ctx.now, number)
    )


def _find_warehouse(
    ctx: RequestContext, selector: dict | None, errors: UserErrors, *path
) -> dict | None:
    return find(ctx, "Warehouse", selector, errors, *path)


# Centra creates one conversion per size, "<SizeChart.name>|<Size.name>", for every
# integration (digest §7); resolving that format directly is the same answer for seeded charts.
_SIZE_BY_EXTERNAL_ID = (
    "ps.sizeId = (SELECT s.id FROM sizes s JOIN sizeCharts c ON c.id = s.sizeChartId "
    "WHERE c.name = ? AND s.name = ?)"
)


def _size_of_variant(ctx, variant_id: int, size: dict, errors: UserErrors, *path) -> dict | None:
    if size.get("id") is not None:
        condition, params, value = "ps.sizeId = ?", (size["id"],), size["id"]
    elif size.get("externalId") is not None:
        value = size["externalId"]
        chart, _, name = value.rpartition("|")
        condition, params = _SIZE_BY_EXTERNAL_ID, (chart, name)
    else:
        condition, params, value = "ps.description = ?", (size.get("name"),), size.get("name")
    row = ctx.db.one(
        f"{SIZE_SELECT} WHERE ps.productVariantId = ? AND {condition}", (variant_id, *params)
    )
    if row is None:
        errors.error(f"Could not find Size with ID {value} on product variant {variant_id}.", *path)
    return row


def _find_product_size(ctx, selector: dict, errors: UserErrors, *path) -> dict | None:
    for key, column in (("id", "ps.id"), ("SKU", "SKU"), ("EAN", "ps.EAN"), ("UPC", "ps.UPC")):
        if selector.get(key) is not None:
            row = ctx.db.one(
                f"SELECT * FROM ({SIZE_SELECT}) WHERE {column.split('.')[-1]} = ?", (selector[key],)
            )
            if row is None:
                errors.error(f"Could not find ProductSize with ID {selector[key]}.", *path, key)
            return row
    errors.error("ProductSizeInput takes exactly one of id, SKU, EAN or UPC.", *path)
    return None


def _stock_targets(ctx, data: dict, errors: UserErrors, quantity_key: str, list_key: str) -> list:
    """(productSize row, quantity) pairs of a stock input, with userErrors for bad entries."""
    targets = []
    for i, entry in enumerate(data.get("productVariants") or []):
        base = ("input", "productVariants", i)
        variant = find(
            ctx, "ProductVariant", entry["productVariant"], errors, *base, "productVariant"
        )
        if variant is None:
            continue
        variant_id = variant["id"]
        for j, level in enumerate(entry[list_key]):
            size_row = _size_of_variant(
                ctx, variant_id, level["size"], errors, *base, list_key, j, "size"
            )
            if size_row is not None:
                targets.append((size_row, level[quantity_key], (*base, list_key, j, quantity_key)))
    for i, entry in enumerate(data.get("productSizes") or []):
        path = ("input", "productSizes", i)
        size_row = _find_product_size(ctx, entry["productSize"], errors, *path, "productSize")
        if size_row is not None:
            targets.append((size_row, entry[quantity_key], (*path, quantity_key)))
    return targets


def _stock_row(ctx, warehouse_id: int, size_id: int) -> dict:
    sql = "SELECT * FROM stock WHERE warehouseId = ? AND productSizeId = ?"
    row = ctx.db.one(sql, (warehouse_id, size_id))
    if row is None:
        ctx.db.execute(
            "INSERT INTO stock (warehouseId, productSizeId, freeToAllocateQuantity, "
            "allocatedQuantity,"
            " linkedIncomingQuantity, unlinkedIncomingQuantity, demandQuantity, unshippedQuantity,"
            " onDeliveryQuantity, updatedAt) VALUES (?, ?, 0, 0, 0, 0, 0, 0, 0, ?)",
            (warehouse_id, size_id, ctx.now),
        )
        row = ctx.db.one(sql, (warehouse_id, size_id))
    return row


def _record_change(ctx, warehouse_id: int, description: str, deltas: list[tuple[int, int]]) -> dict:
    change_id = ctx.db.execute(
        "INSERT INTO stockChanges (warehouseId, description, createdAt) VALUES (?, ?, ?)",
        (warehouse_id, description, ctx.now),
    )
    for size_id, delta in deltas:
        ctx.db.execute(
            "INSERT INTO stockChangeLines (stockChangeId, productSizeId, deliveredQuantity) "
            "VALUES (?, ?, ?)",
            (change_id, size_id, delta),
        )
    return ctx.db.one("SELECT * FROM stockChanges WHERE id = ?", (change_id,))


def _add_fta(ctx, warehouse_id: int, size_id: int, delta: int) -> None:
    ctx.db.execute(
        "UPDATE stock SET freeToAllocateQuantity = freeToAllocateQuantity + ?, updatedAt = ? "
        "WHERE warehouseId = ? AND productSizeId = ?",
        (delta, ctx.now, warehouse_id, size_id),
    )
    ctx.db.execute("UPDATE productSizes SET updatedAt = ? WHERE id = ?", (ctx.now, size_id))


def _announce_stock(ctx, change_id: int, size_ids: list[int], warehouse_ids: list[int]) -> None:
    # A new stockChanges row is a StockChange CREATED; the stock itself lives on the sizes.
    ctx.changes.record("StockChange", "CREATED", change_id, warehouse_ids=warehouse_ids)
    ctx.changes.product_sizes(size_ids, warehouse_ids)


@mutation.field("setStock")
def resolve_set_stock(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    warehouse = _find_warehouse(ctx, input["warehouse"], errors, "input", "warehouse")
    targets = _stock_targets(ctx, input, errors, "quantity", "sizeStockLevels")
    for _, quantity, path in targets:
        if quantity < 0:
            errors.error(f"Quantity must be 0 or more; got {quantity}.", *path)
    if errors.errors or warehouse is None:
        return errors.payload(stockChanges=[])
    deltas = []
    for size_row, quantity, path in targets:
        row = _stock_row(ctx, warehouse["id"], size_row["id"])
        target_fta = quantity
        if input["stockQuantityType"] == "PHYSICAL":
            # Physical = FTA + Allocated (digest §4.3): allocated units stay, the rest is free.
            target_fta = quantity - row["allocatedQuantity"]
            if target_fta < 0:
                errors.warn(
                    f"Physical quantity {quantity} is below the {row['allocatedQuantity']} "
                    "allocated units; free-to-allocate set to 0.",
                    *path,
                )
                target_fta = 0
        delta = target_fta - row["freeToAllocateQuantity"]
        _add_fta(ctx, warehouse["id"], size_row["id"], delta)
        deltas.append((size_row["id"], delta))
    change = _record_change(ctx, warehouse["id"], input["description"], deltas)
    _announce_stock(ctx, change["id"], [size_id for size_id, _ in deltas], [warehouse["id"]])
    ctx.db.commit()
    return errors.payload(stockChanges=[change])


@mutation.field("changeStock")
def resolve_change_stock(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    into = out = None
    if input.get("intoWarehouse"):
        into = _find_warehouse(ctx, input["intoWarehouse"], errors, "input", "intoWarehouse")
    if input.get("outFromWarehouse"):
        out = _find_warehouse(ctx, input["outFromWarehouse"], errors, "input", "outFromWarehouse")
    if not input.get("intoWarehouse") and not input.get("outFromWarehouse"):
        errors.error("Give intoWarehouse, outFromWarehouse or both.", "input")
    targets = _stock_targets(ctx, input, errors, "deliveredQuantity", "sizeChanges")
    for size_row, quantity, path in targets:
        if quantity <= 0:
            errors.error(f"deliveredQuantity must be positive; got {quantity}.", *path)
        elif out is not None:
            available = _stock_row(ctx, out["id"], size_row["id"])["freeToAllocateQuantity"]
            if quantity > available:
                errors.error(
                    f"Cannot move {quantity} of {size_row['SKU']} out of warehouse {out['id']}: "
                    f"only {available} free to allocate.",
                    *path,
                )
    if errors.errors:
        # Validation may have created empty stock rows; none of it is a change to announce.
        ctx.db.rollback()
        return errors.payload(stockChange=None)
    for size_row, quantity, _ in targets:
        if out is not None:
            _add_fta(ctx, out["id"], size_row["id"], -quantity)
        if into is not None:
            _stock_row(ctx, into["id"], size_row["id"])
            _add_fta(ctx, into["id"], size_row["id"], quantity)
    target = into or out
    sign = 1 if into is not None else -1
    deltas = [(size_row["id"], sign * quantity) for size_row, quantity, _ in targets]
    change = _record_change(ctx, target["id"], input["description"], deltas)
    warehouse_ids = [row["id"] for row in (out, into) if row is not None]
    _announce_stock(ctx, change["id"], [size_id for size_id, _ in deltas], warehouse_ids)
    ctx.db.commit()
    return errors.payload(stockChange=change)


@mutation.field("confirmOrder")
def resolve_confirm_order(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    order = _find_order(ctx, input["order"], errors, "input", "order")
    if order is None:
        return errors.payload(order=None)
    if order["status"] != "PENDING":
        errors.error(
            f"Order {order['number']} is {order['status']}; only PENDING orders can be confirmed.",
            "input",
            "order",
        )
        return errors.payload(order=order)
    ctx.db.execute("UPDATE orders SET status = 'CONFIRMED' WHERE number = ?", (order["number"],))
    _touch_order(ctx, order["number"])
    ctx.changes.order(order["number"], "UPDATED")
    ctx.db.commit()
    return errors.payload(order=_reload(ctx, order))


def _reload(ctx: RequestContext, order: dict) -> dict:
    return ctx.db.one("SELECT * FROM orders WHERE number = ?", (order["number"],))


BINDABLES = [mutation, payload_interface]
