"""Resolvers of customers, orders, lines, payments, shipments, returns and counters."""

from dataclasses import replace
from typing import Any

from ariadne import InterfaceType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql import common
from centra_sandbox.graphql.catalog import SPECS as CATALOG_SPECS
from centra_sandbox.graphql.common import attributes_resolver, fk
from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.listing import (
    ListSpec,
    count_rows,
    date_range,
    equals,
    fetch_connection,
    fetch_page,
    in_list,
    raw,
    string_match,
)
from centra_sandbox.graphql.money import Money, tax_included
from centra_sandbox.graphql.scalars import RawDateTime
from centra_sandbox.graphql.writes import external_id_of
from centra_sandbox.store.seed_data import SHIPPING_OPTIONS

_STORE_TYPE = "storeId IN (SELECT id FROM stores WHERE type = ?)"

ORDER_SPEC = ListSpec(
    source="orders",
    filters={
        "id": in_list("id"),
        "number": in_list("number"),
        "status": in_list("status"),
        "createdAt": date_range("createdAt"),
        "updatedAt": date_range("updatedAt"),
        "orderDate": date_range("orderDate"),
        "marketId": in_list("marketId"),
        "storeId": in_list("storeId"),
        "countryId": in_list("countryId"),
        "currencyId": in_list("currencyId"),
        "pricelistId": in_list("pricelistId"),
        "customerId": in_list("customerId"),
        "storeType": raw(_STORE_TYPE),
        "isOnHold": equals("isOnHold"),
        "isLocked": equals("isLocked"),
        "otherComment": string_match("otherComment"),
    },
    sorts={
        "id": "id",
        "number": "number",
        "orderDate": "orderDate",
        "createdAt": "createdAt",
        "updatedAt": "updatedAt",
    },
    key="number",
)
CUSTOMER_SPEC = ListSpec(
    source="customers",
    filters={
        "id": in_list("id"),
        "email": string_match("email"),
        "storeId": in_list("storeId"),
        "updatedAt": date_range("updatedAt"),
        "createdAt": date_range("createdAt"),
    },
    sorts={"id": "id", "updatedAt": "updatedAt"},
)
RETURN_SPEC = ListSpec(
    source="returns",
    filters={
        "id": in_list("id"),
        "createdAt": date_range("createdAt"),
        "customerId": raw(
            "orderNumber IN (SELECT number FROM orders WHERE customerId IN ({marks}))", True
        ),
        "storeType": raw(_STORE_TYPE),
        "returnStatus": in_list("returnStatus"),
    },
    sorts={"id": "id", "createdAt": "createdAt"},
)
PAYMENT_SPEC = ListSpec(
    source="payments",
    filters={
        "id": in_list("id"),
        "createdAt": date_range("createdAt"),
        "entryType": in_list("entryType"),
        "status": in_list("status"),
    },
    sorts={"id": "id"},
)

query = QueryType()


@query.field("orders")
def resolve_orders(_: Any, info: GraphQLResolveInfo, **args: Any) -> list[dict]:
    return fetch_page(info.context, ORDER_SPEC, **args)


@query.field("order")
def resolve_order(_: Any, info: GraphQLResolveInfo, id=None, number=None) -> dict | None:
    if number is not None:
        return info.context.db.one("SELECT * FROM orders WHERE number = ?", (number,))
    return info.context.db.one("SELECT * FROM orders WHERE id = ?", (id,))


@query.field("orderConnection")
def resolve_order_connection(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict:
    return fetch_connection(info.context, ORDER_SPEC, args)


@query.field("customers")
def resolve_customers(_: Any, info: GraphQLResolveInfo, **args: Any) -> list[dict]:
    return fetch_page(info.context, CUSTOMER_SPEC, **args)


@query.field("customerConnection")
def resolve_customer_connection(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict:
    return fetch_connection(info.context, CUSTOMER_SPEC, args)


@query.field("returns")
def resolve_returns(_: Any, info: GraphQLResolveInfo, **args: Any) -> list[dict]:
    return fetch_page(info.context, RETURN_SPEC, **args)


@query.field("counters")
def resolve_counters(*_: Any) -> dict:
    return {}


@query.field("rateLimits")
def resolve_rate_limits(_: Any, info: GraphQLResolveInfo, where=None) -> list[dict]:
    rows = info.context.rate_limits.snapshot()
    types = set((where or {}).get("type") or [])
    intervals = set((where or {}).get("interval") or [])
    return [
        row
        for row in rows
        if (not types or row["type"] in types)
        and (not intervals or row["intervalSeconds"] in intervals)
    ]


counters = ObjectType("Counters")
counters.set_field(
    "products",
    lambda _, info, where=None: count_rows(info.context, CATALOG_SPECS["products"], where),
)
counters.set_field(
    "orders", lambda _, info, where=None: count_rows(info.context, ORDER_SPEC, where)
)
counters.set_field(
    "customers", lambda _, info, where=None: count_rows(info.context, CUSTOMER_SPEC, where)
)
counters.set_field("graphQLAccess", lambda _, info: info.context.token_count)


def order_of(ctx: RequestContext, number: int) -> dict:
    return ctx.db.one("SELECT * FROM orders WHERE number = ?", (number,))


def order_money(ctx: RequestContext, order: dict, cents: int) -> Money:
    amount = common.money(ctx, cents, order["currencyId"], order["currencyBaseRate"])
    # A planted unknown currency code reaches every money field of the order alike.
    code = ctx.override("Order", order["number"], "currency", None)
    if code is None:
        return amount
    return replace(amount, currency={**amount.currency, "code": code, "name": code})


def _with_order(rows: list[dict], order: dict) -> list[dict]:
    # Children carry their order so money fields know the currency and the tax rate.
    for row in rows:
        row["_order"] = order
    return rows


def _order_for(ctx: RequestContext, row: dict) -> dict:
    if "_order" not in row:
        row["_order"] = order_of(ctx, row["orderNumber"])
    return row["_order"]


customer = ObjectType("Customer")
customer.set_field("store", fk("stores", "storeId"))
customer.set_field("billingAddress", fk("addresses", "billingAddressId"))
customer.set_field("attributes", attributes_resolver("Customer"))
customer.set_field("newsletter", lambda obj, _: bool(obj["newsletter"]))
customer.set_field("registered", lambda obj, _: bool(obj["registered"]))
customer.set_field(
    "totalOrders",
    lambda obj, info: info.context.db.scalar(
        "SELECT COUNT(*) FROM orders WHERE customerId = ?", (obj["id"],)
    ),
)

address = ObjectType("Address")
address.set_field("country", fk("countries", "countryId"))
address.set_field("state", lambda *_: None)

order_interface = InterfaceType(
    "Order",
    lambda obj, *_: "WholesaleOrder" if obj["storeId"] == 2 else "DirectToConsumerOrder",
)
order = ObjectType("DirectToConsumerOrder")
wholesale_order = ObjectType("WholesaleOrder")
wholesale_order.set_field("purchaseOrderNumber", lambda obj, _: None)


def _order_fields(target: ObjectType) -> None:
    target.set_field("currencyBaseRate", lambda obj, _: float(obj["currencyBaseRate"]))
    target.set_field("store", fk("stores", "storeId"))
    target.set_field("market", fk("markets", "marketId"))
    target.set_field("pricelist", fk("pricelists", "pricelistId"))
    target.set_field("country", fk("countries", "countryId"))
    target.set_field("billingAddress", fk("addresses", "billingAddressId"))
    target.set_field("shippingAddress", fk("addresses", "shippingAddressId"))
    target.set_field("attributes", attributes_resolver("Order", key="number"))
    target.set_field("updatedAt", resolve_updated_at)
    target.set_field("grandTotal", resolve_grand_total)
    target.set_field("lines", resolve_lines)
    target.set_field("totals", resolve_totals)
    target.set_field("discountsApplied", resolve_discounts)
    target.set_field("paymentHistory", resolve_payment_history)
    target.set_field("shipments", resolve_shipments)
    target.set_field(
        "paymentMethod",
        lambda obj, _: {
            "name": obj["paymentPlugin"],
            "uri": obj["paymentPlugin"].lower().replace(" ", "-"),
            "plugin": obj["paymentPlugin"].split(" ")[0].lower(),
        },
    )
    target.set_field(
        "shippingPriceGroup",
        lambda obj, _: {"shippingOption": _shipping_option(obj["shippingOptionId"])},
    )


def _shipping_option(option_id: int) -> dict:
    name, uri = SHIPPING_OPTIONS[option_id]
    return {"id": option_id, "name": name, "uri": uri}


def resolve_updated_at(obj: dict, info: GraphQLResolveInfo, **_: Any) -> int | RawDateTime:
    planted = info.context.override("Order", obj["number"], "updatedAt", None)
    return obj["updatedAt"] if planted is None else RawDateTime(planted)


def resolve_grand_total(obj: dict, info: GraphQLResolveInfo, includingTax: bool = True) -> Money:
    cents = obj["grandTotalCents"]
    if not includingTax:
        cents -= tax_included(cents, obj["taxPercent"])
    return order_money(info.context, obj, cents)


def resolve_lines(obj: dict, info: GraphQLResolveInfo, includeFullyCancelled=False) -> list[dict]:
    condition = "" if includeFullyCancelled else " AND quantity > 0"
    sql = f"SELECT * FROM orderLines WHERE orderNumber = ?{condition} ORDER BY id"
    rows = _with_order(info.context.db.all(sql, (obj["number"],)), obj)
    return common.with_repeats(info.context, "OrderLine", rows)


def resolve_totals(obj: dict, info: GraphQLResolveInfo) -> dict:
    ctx = info.context
    items = ctx.db.scalar(
        "SELECT COALESCE(SUM(quantity * unitPriceCents), 0) FROM orderLines WHERE orderNumber = ?",
        (obj["number"],),
    )
    quantity = ctx.db.scalar(
        "SELECT COALESCE(SUM(quantity), 0) FROM orderLines WHERE orderNumber = ?", (obj["number"],)
    )
    rate = obj["taxPercent"]
    return {
        "quantity": quantity,
        "itemsSubtotal": order_money(ctx, obj, items),
        "shipping": order_money(ctx, obj, obj["shippingCents"]),
        "handling": order_money(ctx, obj, obj["handlingCents"]),
        "discounts": order_money(ctx, obj, obj["discountCents"]),
        "taxAdded": order_money(ctx, obj, 0),
        "taxDeducted": order_money(ctx, obj, 0),
        "taxIncluded": order_money(ctx, obj, tax_included(obj["grandTotalCents"], rate)),
        "shippingTaxIncluded": order_money(ctx, obj, tax_included(obj["shippingCents"], rate)),
        "grandTotal": order_money(ctx, obj, obj["grandTotalCents"]),
    }


def resolve_discounts(obj: dict, info: GraphQLResolveInfo) -> list[dict]:
    sql = "SELECT * FROM orderDiscounts WHERE orderNumber = ? ORDER BY id"
    return _with_order(info.context.db.all(sql, (obj["number"],)), obj)


def resolve_payment_history(obj: dict, info: GraphQLResolveInfo, where=None) -> list[dict]:
    extra = ("orderNumber = ?", [obj["number"]])
    rows = fetch_page(info.context, PAYMENT_SPEC, where, ["id_ASC"], None, None, extra)
    return _with_order(rows, obj)


def resolve_shipments(obj: dict, info: GraphQLResolveInfo) -> list[dict]:
    sql = "SELECT * FROM shipments WHERE orderNumber = ? ORDER BY id"
    return _with_order(info.context.db.all(sql, (obj["number"],)), obj)


for _target in (order, wholesale_order):
    _order_fields(_target)
order.set_field("customer", fk("customers", "customerId"))
order.set_field(
    "returns",
    lambda obj, info: info.context.db.all(
        "SELECT * FROM returns WHERE orderNumber = ? ORDER BY id", (obj["number"],)
    ),
)

applied_discount = ObjectType("AppliedDiscount")
applied_discount.set_field(
    "value", lambda obj, info: order_money(info.context, obj["_order"], obj["valueCents"])
)
applied_discount.set_field(
    "discount", lambda obj, _: {"name": obj["name"], "code": obj["code"], "type": obj["type"]}
)
discount_interface = InterfaceType("OrderDiscount", lambda *_: "AppliedDiscount")

_LINE_TYPES = {"PRODUCT": "ProductOrderLine", "BUNDLE": "BundleOrderLine"}
line_interface = InterfaceType("OrderLine", lambda obj, *_: _LINE_TYPES[obj["lineType"]])


def _line_fields(target: ObjectType) -> None:
    target.set_field(
        "hasAnyDiscount", lambda obj, _: obj["unitPriceCents"] < obj["unitOriginalPriceCents"]
    )
    target.set_field("discountPercent", _discount_percent)
    target.set_field("taxPercent", lambda obj, _: float(obj["taxPercent"]))
    target.set_field("unitOriginalPrice", _line_money("unitOriginalPriceCents", per_unit=True))
    target.set_field("unitPrice", _line_money("unitPriceCents", per_unit=True))
    target.set_field("lineValue", _line_money("unitPriceCents", per_unit=False))
    target.set_field("product", fk("products", "productId"))
    target.set_field("productVariant", fk("productVariants", "productVariantId"))
    target.set_field(
        "productSize", lambda obj, info: common.product_size(info.context, obj["productSizeId"])
    )


def _discount_percent(obj: dict, _: GraphQLResolveInfo) -> float:
    original = obj["unitOriginalPriceCents"]
    if not original:
        return 0.0
    return round(100 * (original - obj["unitPriceCents"]) / original, 2)


def _line_money(column: str, per_unit: bool):
    def resolve(obj: dict, info: GraphQLResolveInfo, includingTax: bool = True) -> Money:
        cents = obj[column] * (1 if per_unit else obj["quantity"])
        if not includingTax:
            cents -= tax_included(cents, obj["taxPercent"])
        return order_money(info.context, _order_for(info.context, obj), cents)

    return resolve


LINE_OBJECTS = [
    ObjectType(name)
    for name in (
        "ProductOrderLine",
        "BundleOrderLine",
        "BundleItemOrderLine",
        "GiftCertificateOrderLine",
    )
]
for _line_object in LINE_OBJECTS:
    _line_fields(_line_object)

payment = ObjectType("PaymentHistoryEntry")
payment.set_field(
    "value",
    lambda obj, info: order_money(info.context, _order_for(info.context, obj), obj["valueCents"]),
)
payment.set_field(
    "currencyBaseRate", lambda obj, info: float(_order_for(info.context, obj)["currencyBaseRate"])
)
payment.set_field("order", lambda obj, info: _order_for(info.context, obj))
payment.set_field("return", fk("returns", "returnId"))

shipment_interface = InterfaceType("Shipment", lambda *_: "DirectToConsumerShipment")
shipment = ObjectType("DirectToConsumerShipment")
shipment.set_field("order", lambda obj, info: _order_for(info.context, obj))
shipment.set_field(
    "currencyBaseRate", lambda obj, info: float(_order_for(info.context, obj)["currencyBaseRate"])
)
shipment.set_field(
    "carrierInformation",
    lambda obj, _: {"carrierName": obj["carrierName"], "serviceName": obj["serviceName"]},
)
shipment.set_field(
    "internalShippingCost",
    lambda obj, info: (
        order_money(info.context, _order_for(info.context, obj), obj["internalShippingCostCents"])
        if obj.get("internalShippingCostCents") is not None
        else None
    ),
)
shipment.set_field(
    "shippingAddress",
    lambda obj, info: common.by_id(
        info.context, "addresses", _order_for(info.context, obj)["shippingAddressId"]
    ),
)


def _shipment_lines(ctx: RequestContext, shipment_row: dict) -> list[dict]:
    sql = (
        "SELECT sl.*, l.unitPriceCents, l.taxPercent, l.orderNumber FROM shipmentLines sl "
        "JOIN orderLines l ON l.id = sl.orderLineId WHERE sl.shipmentId = ? ORDER BY sl.id"
    )
    return _with_order(ctx.db.all(sql, (shipment_row["id"],)), _order_for(ctx, shipment_row))


@shipment.field("lines")
def resolve_shipment_lines(obj: dict, info: GraphQLResolveInfo) -> list[dict]:
    return _shipment_lines(info.context, obj)


@shipment.field("grandTotal")
def resolve_shipment_total(obj: dict, info: GraphQLResolveInfo, includingTax: bool = True) -> Money:
    ctx = info.context
    items = sum(line["quantity"] * line["unitPriceCents"] for line in _shipment_lines(ctx, obj))
    cents = items + obj["shippingCents"] + obj["handlingCents"] - obj["discountCents"]
    order_row = _order_for(ctx, obj)
    if not includingTax:
        cents -= tax_included(cents, order_row["taxPercent"])
    return order_money(ctx, order_row, cents)


shipment_line = ObjectType("ShipmentLine")
shipment_line.set_field("lineValue", _line_money("unitPriceCents", per_unit=False))


@shipment_line.field("orderLine")
def resolve_line_of(obj: dict, info: GraphQLResolveInfo) -> dict:
    row = info.context.db.one("SELECT * FROM orderLines WHERE id = ?", (obj["orderLineId"],))
    row["_order"] = _order_for(info.context, obj)
    return row


return_interface = InterfaceType("Return", lambda *_: "DirectToConsumerReturn")
return_type = ObjectType("DirectToConsumerReturn")
return_type.set_field("status", lambda obj, _: obj["returnStatus"])
return_type.set_field("order", lambda obj, info: _order_for(info.context, obj))
return_type.set_field("store", fk("stores", "storeId"))
return_type.set_field(
    "currencyBaseRate", lambda obj, info: float(_order_for(info.context, obj)["currencyBaseRate"])
)
return_type.set_field(
    "externalId", lambda obj, info: external_id_of(info.context, "Return", obj["id"])
)
return_type.set_field(
    "customer",
    lambda obj, info: common.by_id(
        info.context, "customers", _order_for(info.context, obj)["customerId"]
    ),
)


def _return_lines(ctx: RequestContext, row: dict) -> list[dict]:
    sql = (
        "SELECT rl.*, l.unitPriceCents, l.taxPercent, l.orderNumber FROM returnLines rl "
        "JOIN orderLines l ON l.id = rl.orderLineId WHERE rl.returnId = ? ORDER BY rl.id"
    )
    return _with_order(ctx.db.all(sql, (row["id"],)), _order_for(ctx, row))


return_type.set_field("lines", lambda obj, info: _return_lines(info.context, obj))
return_type.set_field(
    "totalQuantity", lambda obj, info: sum(r["quantity"] for r in _return_lines(info.context, obj))
)


@return_type.field("grandTotal")
def resolve_return_total(obj: dict, info: GraphQLResolveInfo, includingTax: bool = True) -> Money:
    ctx = info.context
    lines = _return_lines(ctx, obj)
    cents = sum(line["quantity"] * line["unitPriceCents"] for line in lines)
    order_row = _order_for(ctx, obj)
    if not includingTax:
        cents -= tax_included(cents, order_row["taxPercent"])
    return order_money(ctx, order_row, cents)


@return_type.field("totals")
def resolve_return_totals(obj: dict, info: GraphQLResolveInfo) -> dict:
    zero = order_money(info.context, _order_for(info.context, obj), 0)
    return {"shipping": zero, "handling": zero, "returnCost": zero, "discounts": zero}


@return_type.field("refundPaymentHistory")
def resolve_refunds(obj: dict, info: GraphQLResolveInfo) -> list[dict]:
    rows = info.context.db.all(
        "SELECT * FROM payments WHERE returnId = ? ORDER BY id", (obj["id"],)
    )
    return _with_order(rows, _order_for(info.context, obj))


@return_type.field("shipment")
def resolve_return_shipment(obj: dict, info: GraphQLResolveInfo) -> dict | None:
    row = common.by_id(info.context, "shipments", obj["shipmentId"])
    if row is not None:
        row["_order"] = _order_for(info.context, obj)
    return row


return_line = ObjectType("ReturnLine")
return_line.set_field("lineValue", _line_money("unitPriceCents", per_unit=False))
return_line.set_field("unitPrice", _line_money("unitPriceCents", per_unit=True))
return_line.set_field("orderLine", resolve_line_of)


@return_line.field("shipmentLine")
def resolve_return_shipment_line(obj: dict, info: GraphQLResolveInfo) -> dict | None:
    if obj["shipmentLineId"] is None:
        return None
    sql = (
        "SELECT sl.*, l.unitPriceCents, l.taxPercent, l.orderNumber FROM shipmentLines sl "
        "JOIN orderLines l ON l.id = sl.orderLineId WHERE sl.id = ?"
    )
    row = info.context.db.one(sql, (obj["shipmentLineId"],))
    row["_order"] = _order_for(info.context, obj)
    return row


BINDABLES = [
    query, counters, customer, address, order_interface, order, wholesale_order, applied_discount,
    discount_interface, line_interface, payment, shipment_interface, shipment, shipment_line,
    return_interface, return_type, return_line, *LINE_OBJECTS,
]  # fmt: skip
