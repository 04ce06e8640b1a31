"""Shipment and return mutations (digest §5.4, §5.5, §6), as a WMS or an ERP sends them.

The store logic is store/fulfilment.py, shared with `sandbox.control`, so a shipment made over
GraphQL and one made by a test look alike. Every write bumps `updatedAt` of the shipment and of
its order and is recorded in the change feed, so an integration hears of its own writes.
"""

import time
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.money import parse_money_input
from centra_sandbox.graphql.scalars import to_epoch
from centra_sandbox.graphql.writes import (
    UserErrors,
    check_external_id,
    find,
    remember_external_id,
    transaction,
)
from centra_sandbox.store import fulfilment
from centra_sandbox.store.database import bump_updated_at

mutation = MutationType()


# --- createShipment -------------------------------------------------------------------------


@mutation.field("createShipment")
def resolve_create_shipment(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    order = find(ctx, "Order", input["order"], errors, "input", "order")
    if order is None:
        return errors.payload(shipment=None)
    refusal = fulfilment.shipping_refusal(order)
    if refusal is not None:
        errors.error(refusal, "input", "order")
        return errors.payload(shipment=None)
    lines = _requested_lines(ctx, order, input.get("lines"), errors)
    shipment_info = _shipment_info(ctx, order, input.get("shipmentInfo"), errors)
    if errors.errors:
        return errors.payload(shipment=None)

    capture = bool(input.get("capture"))
    new = fulfilment.NewShipment(
        good_to_go=bool(input.get("isGoodToGo")),
        created_at=_epoch(ctx, input.get("createdAt")) or ctx.now,
        # `isPaid` is ignored when `capture` is used (digest §5.4): the capture pays.
        paid_at=ctx.now if input.get("isPaid") and not capture else None,
        additional_message=input.get("additionalMessage"),
        info=tuple(shipment_info.items()),
    )
    with transaction(ctx):
        shipment_id = fulfilment.insert_shipment(ctx.db, order, lines, new)
        payment_id = _capture(ctx, shipment_id, order) if capture else None
        _touch(ctx, shipment_id, order["number"])
        ctx.changes.order(order["number"], "UPDATED")
        ctx.changes.of_order(
            "Shipment", shipment_id, order["number"], "CREATED", good_to_go=new.good_to_go
        )
        if payment_id is not None:
            ctx.changes.of_order("PaymentHistoryEntry", payment_id, order["number"], "CREATED")
    return errors.payload(shipment=_shipment(ctx, shipment_id))


def _requested_lines(
    ctx: RequestContext, order: dict, entries: list[dict] | None, errors: UserErrors
) -> dict[int, int]:
    """Order line id -> quantity to ship; every unshipped unit when `lines` is omitted."""
    number = order["number"]
    open_units = fulfilment.open_units(ctx.db, number)
    if entries is None:
        wanted = {line_id: units for line_id, units in open_units.items() if units > 0}
        if not wanted:
            errors.error(f"Order {number} has no unshipped units left.", "input", "order")
        return wanted
    if not entries:
        errors.error("lines is empty; omit it to ship every unshipped unit.", "input", "lines")
    wanted: dict[int, int] = {}
    for index, entry in enumerate(entries):
        path = ("input", "lines", index)
        line_id, quantity = entry["orderLine"]["id"], entry["quantity"]
        if line_id not in open_units:
            errors.error(
                f"Could not find OrderLine with ID {line_id} on order {number}.",
                *path,
                "orderLine",
                "id",
            )
            continue
        left = open_units[line_id] - wanted.get(line_id, 0)
        if not 1 <= quantity <= left:
            errors.error(
                f"Can ship 1 to {left} of line {line_id} (unshipped quantity); got {quantity}.",
                *path,
                "quantity",
            )
            continue
        wanted[line_id] = wanted.get(line_id, 0) + quantity
    return wanted


def _shipment_info(
    ctx: RequestContext, order: dict, given: dict | None, errors: UserErrors
) -> dict[str, Any]:
    """`shipmentInfo` as fulfilment.SHIPMENT_INFO_COLUMNS keys; only the fields given."""
    path = ("input", "shipmentInfo")
    values = {
        key: value
        for key, value in (given or {}).items()
        if value is not None and key != "internalShippingCost"
    }
    if values.get("packagesNumber", 1) < 1:
        errors.error(
            f"packagesNumber must be 1 or more; got {values['packagesNumber']}.",
            *path,
            "packagesNumber",
        )
    cost = (given or {}).get("internalShippingCost")
    if cost is not None:
        cents = _order_money(ctx, order, cost, errors, *path, "internalShippingCost")
        if cents is not None:
            values["internalShippingCostCents"] = cents
    return values


def _order_money(
    ctx: RequestContext, order: dict, money: dict, errors: UserErrors, *path: Any
) -> int | None:
    """Minor units of a MonetaryValueInput that must be in the order's currency."""
    code = ctx.currencies[order["currencyId"]]["code"]
    given_code = money.get("currencyIsoCode") or code
    cents = parse_money_input(money.get("value"))
    if given_code != code:
        errors.error(
            f"Currency {given_code} does not match order {order['number']}'s currency {code}.",
            *path,
            "currencyIsoCode",
        )
        return None
    if cents is None or cents < 0:
        errors.error(f"value must be 0 or more; got {money.get('value')}.", *path, "value")
        return None
    return cents


def _capture(ctx: RequestContext, shipment_id: int, order: dict) -> int:
    shipment = ctx.db.one("SELECT * FROM shipments WHERE id = ?", (shipment_id,))
    return fulfilment.capture(ctx.db, shipment, order, ctx.now)


# --- updateShipment, completeShipment -------------------------------------------------------


@mutation.field("updateShipment")
def resolve_update_shipment(_: Any, info: GraphQLResolveInfo, id: int, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    shipment = _existing_shipment(ctx, id, errors)
    if shipment is None:
        return errors.payload(shipment=None)
    order = ctx.db.one("SELECT * FROM orders WHERE number = ?", (shipment["orderNumber"],))
    _check_update(shipment, input, errors)
    shipment_info = _shipment_info(ctx, order, input.get("shipmentInfo"), errors)
    check_external_id(input.get("externalId"), errors, "input", "externalId")
    if errors.errors:
        return errors.payload(shipment=_shipment(ctx, id))

    newly_good_to_go = bool(input.get("isGoodToGo")) and not shipment["isGoodToGo"]
    with transaction(ctx):
        fulfilment.set_shipment_info(ctx.db, id, shipment_info)
        _apply_flags(ctx, shipment, input)
        remember_external_id(ctx, "Shipment", id, input.get("externalId"))
        completed = fulfilment.complete_order_if_shipped(ctx.db, order["number"])
        _touch(ctx, id, order["number"])
        ctx.changes.order(order["number"], "UPDATED", *(("COMPLETED",) if completed else ()))
        ctx.changes.of_order(
            "Shipment", id, order["number"], "UPDATED", good_to_go=newly_good_to_go
        )
    return errors.payload(shipment=_shipment(ctx, id))


def _check_update(shipment: dict, input: dict, errors: UserErrors) -> None:
    # Shipped shipments cannot change method, info or good-to-go (digest §5.4).
    if shipment["isShipped"]:
        for field in ("shipmentInfo", "isGoodToGo"):
            if input.get(field) is not None:
                errors.error(
                    f"Shipment {shipment['number']} is shipped; its {field} can no longer change.",
                    "input",
                    field,
                )
    if input.get("isPaid") is False and shipment["isCaptured"]:
        errors.error(
            f"Shipment {shipment['number']} is captured; it cannot be marked unpaid.",
            "input",
            "isPaid",
        )


def _apply_flags(ctx: RequestContext, shipment: dict, input: dict) -> None:
    if input.get("isGoodToGo") is not None:
        flag = int(input["isGoodToGo"])
        ctx.db.execute(
            "UPDATE shipments SET isGoodToGo = ?, isPrinted = MAX(isPrinted, ?) WHERE id = ?",
            (flag, flag, shipment["id"]),
        )
    if input.get("isPaid") is True:
        ctx.db.execute(
            "UPDATE shipments SET isPaid = 1, paidAt = COALESCE(paidAt, ?) WHERE id = ?",
            (ctx.now, shipment["id"]),
        )
    elif input.get("isPaid") is False:
        ctx.db.execute(
            "UPDATE shipments SET isPaid = 0, paidAt = NULL WHERE id = ?", (shipment["id"],)
        )
    if input.get("additionalMessage") is not None:
        ctx.db.execute(
            "UPDATE shipments SET additionalMessage = ? WHERE id = ?",
            (input["additionalMessage"], shipment["id"]),
        )


@mutation.field("completeShipment")
def resolve_complete_shipment(
    _: Any, info: GraphQLResolveInfo, id: int, input: dict | None = None
) -> dict:
    ctx, errors, input = info.context, UserErrors(), input or {}
    shipment = _existing_shipment(ctx, id, errors)
    if shipment is None:
        return errors.payload(shipment=None)
    if shipment["isShipped"]:
        errors.error(
            f"Shipment {shipment['number']} is already shipped; a shipment completes once.", "id"
        )
        return errors.payload(shipment=_shipment(ctx, id))
    order = ctx.db.one("SELECT * FROM orders WHERE number = ?", (shipment["orderNumber"],))
    shipped_at = _epoch(ctx, input.get("shippedAt")) or ctx.now
    # "now" parses a moment after the request began, so compare with the clock, not ctx.now.
    if shipped_at > int(time.time()):
        errors.error("shippedAt may not be in the future.", "input", "shippedAt")
    shipment_info = _shipment_info(ctx, order, input.get("shipmentInfo"), errors)
    if errors.errors:
        return errors.payload(shipment=_shipment(ctx, id))

    with transaction(ctx):
        fulfilment.mark_shipped(ctx.db, id, shipped_at)
        fulfilment.set_shipment_info(ctx.db, id, shipment_info)
        _apply_flags(ctx, shipment, {"additionalMessage": input.get("additionalMessage")})
        completed = fulfilment.complete_order_if_shipped(ctx.db, order["number"])
        _touch(ctx, id, order["number"])
        _announce_completed(ctx, shipment, completed)
    return errors.payload(shipment=_shipment(ctx, id))


def _announce_completed(ctx: RequestContext, shipment: dict, order_completed: bool) -> None:
    number, shipment_id = shipment["orderNumber"], shipment["id"]
    ctx.changes.order(number, "UPDATED", *(("COMPLETED",) if order_completed else ()))
    # Shipping a shipment that was not packed makes it good to go on the way.
    ctx.changes.of_order(
        "Shipment", shipment_id, number, "UPDATED", good_to_go=not shipment["isGoodToGo"]
    )
    ctx.changes.of_order("Shipment", shipment_id, number, "COMPLETED")


def _existing_shipment(ctx: RequestContext, shipment_id: int, errors: UserErrors) -> dict | None:
    shipment = ctx.db.one("SELECT * FROM shipments WHERE id = ?", (shipment_id,))
    if shipment is None:
        errors.error(f"Could not find Shipment with ID {shipment_id}.", "id")
    return shipment


# --- createReturn, completeReturn -----------------------------------------------------------


@mutation.field("createReturn")
def resolve_create_return(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    shipment = find(ctx, "Shipment", input["shipment"], errors, "input", "shipment")
    if shipment is not None and not shipment["isShipped"]:
        errors.error(
            f"Shipment {shipment['number']} is not shipped; only shipped units can be returned.",
            "input",
            "shipment",
        )
    if errors.errors:
        return errors.payload(**{"return": None})
    order = ctx.db.one("SELECT * FROM orders WHERE number = ?", (shipment["orderNumber"],))
    lines = _return_lines(ctx, shipment, input["lines"], errors)
    warehouse_id = _restock_warehouse(ctx, order, input["returnStockActionPolicy"], errors)
    check_external_id(input.get("externalId"), errors, "input", "externalId")
    if errors.errors:
        return errors.payload(**{"return": None})

    new = fulfilment.NewReturn(
        shipment=shipment,
        lines=lines,
        created_at=_epoch(ctx, input.get("createdAt")) or ctx.now,
        comment=input.get("comment"),
        restock_warehouse_id=warehouse_id,
    )
    with transaction(ctx):
        return_id, restocked = fulfilment.insert_return(ctx.db, order, new)
        remember_external_id(ctx, "Return", return_id, input.get("externalId"))
        bump_updated_at(ctx.db, "orders", "number", order["number"])
        ctx.changes.order(order["number"], "UPDATED")
        ctx.changes.of_order("Return", return_id, order["number"], "CREATED")
        # Restocked units are a stock move, and stock lives on sizes (digest §4.3).
        ctx.changes.product_sizes(restocked, [warehouse_id] if restocked else [])
    return errors.payload(**{"return": _return(ctx, return_id)})


def _return_lines(
    ctx: RequestContext, shipment: dict, entries: list[dict], errors: UserErrors
) -> dict[int, int]:
    """Shipment line id -> quantity to return, within what was shipped and not returned."""
    if not entries:
        errors.error("lines is empty; a return needs at least one line.", "input", "lines")
    returnable = fulfilment.returnable_units(ctx.db, shipment["id"])
    wanted: dict[int, int] = {}
    for index, entry in enumerate(entries):
        path = ("input", "lines", index)
        line_id, quantity = entry["shipmentLine"]["id"], entry["quantity"]
        if line_id not in returnable:
            errors.error(
                f"Could not find ShipmentLine with ID {line_id} on shipment {shipment['number']}.",
                *path,
                "shipmentLine",
                "id",
            )
            continue
        left = returnable[line_id]["left"] - wanted.get(line_id, 0)
        if not 1 <= quantity <= left:
            errors.error(
                f"Can return 1 to {left} of shipment line {line_id} (shipped and not returned); "
                f"got {quantity}.",
                *path,
                "quantity",
            )
            continue
        wanted[line_id] = wanted.get(line_id, 0) + quantity
    return wanted


def _restock_warehouse(
    ctx: RequestContext, order: dict, policy: dict, errors: UserErrors
) -> int | None:
    """The warehouse that gets the units back, None when they leave stock."""
    path = ("input", "returnStockActionPolicy")
    given = {key: value for key, value in policy.items() if value not in (None, False)}
    if len(given) != 1:
        errors.error(
            "returnStockActionPolicy takes exactly one of releaseItemsBackToWarehouse, "
            "removeItemsFromStock or sendItemsToDifferentWarehouse.",
            *path,
        )
        return None
    if "removeItemsFromStock" in given:
        return None
    if "releaseItemsBackToWarehouse" in given:
        return fulfilment.default_return_warehouse(ctx.db, order)
    target = given["sendItemsToDifferentWarehouse"]["warehouse"]
    warehouse = find(ctx, "Warehouse", target, errors, *path, "sendItemsToDifferentWarehouse")
    return None if warehouse is None else warehouse["id"]


@mutation.field("completeReturn")
def resolve_complete_return(
    _: Any, info: GraphQLResolveInfo, id: int, input: dict | None = None
) -> dict:
    ctx, errors = info.context, UserErrors()
    row = _return(ctx, id)
    if row is None:
        errors.error(f"Could not find Return with ID {id}.", "id")
        return errors.payload(**{"return": None})
    if row["returnStatus"] == "COMPLETED":
        errors.error(f"Return {id} is already COMPLETED; it cannot be completed again.", "id")
        return errors.payload(**{"return": row})

    with transaction(ctx):
        ctx.db.execute("UPDATE returns SET returnStatus = 'COMPLETED' WHERE id = ?", (id,))
        bump_updated_at(ctx.db, "orders", "number", row["orderNumber"])
        ctx.changes.order(row["orderNumber"], "UPDATED")
        ctx.changes.of_order("Return", id, row["orderNumber"], "UPDATED")
        ctx.changes.of_order("Return", id, row["orderNumber"], "COMPLETED")
    return errors.payload(**{"return": _return(ctx, id)})


# --- shared ---------------------------------------------------------------------------------


def _epoch(ctx: RequestContext, moment: Any) -> int | None:
    return None if moment is None else to_epoch(moment, ctx.zone)


def _touch(ctx: RequestContext, shipment_id: int, number: int) -> None:
    bump_updated_at(ctx.db, "shipments", "id", shipment_id)
    bump_updated_at(ctx.db, "orders", "number", number)


def _shipment(ctx: RequestContext, shipment_id: int) -> dict | None:
    return ctx.db.one("SELECT * FROM shipments WHERE id = ?", (shipment_id,))


def _return(ctx: RequestContext, return_id: int) -> dict | None:
    return ctx.db.one("SELECT * FROM returns WHERE id = ?", (return_id,))


BINDABLES = [mutation]
