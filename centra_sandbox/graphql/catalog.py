"""Resolvers of reference data, the catalogue, warehouses and stock."""

import json
from decimal import Decimal
from typing import Any

from ariadne import InterfaceType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql import common
from centra_sandbox.graphql.common import attributes_resolver, children, fk, translations_resolver
from centra_sandbox.graphql.listing import (
    ListSpec,
    date_range,
    equals,
    fetch_connection,
    fetch_page,
    in_list,
    raw,
    string_match,
)
from centra_sandbox.graphql.money import format_money

_ID_SORT = {"id": "id", "name": "name", "code": "code"}


def _spec(source: str, filters: dict, sorts: dict | None = None, **kwargs: Any) -> ListSpec:
    return ListSpec(
        source=source, filters={"id": in_list("id"), **filters}, sorts=sorts or _ID_SORT, **kwargs
    )


SPECS = {
    "stores": _spec("stores", {"type": equals("type"), "name": string_match("name")}),
    "markets": _spec("markets", {"storeId": in_list("storeId"), "name": string_match("name")}),
    "countries": _spec(
        "countries",
        {"code": in_list("code"), "name": string_match("name"), "isEU": equals("isEU")},
    ),
    "currencies": _spec("currencies", {"code": in_list("code"), "isBase": equals("isBase")}),
    "languages": _spec(
        "languages",
        {
            "isActive": equals("isActive"),
            "isAvailableForLocalization": equals("isActive"),
            "name": string_match("name"),
        },
    ),
    "pricelists": _spec(
        "pricelists",
        {"storeId": in_list("storeId"), "name": string_match("name"), "status": in_list("status")},
    ),
    "warehouses": _spec("warehouses", {"name": string_match("name"), "status": in_list("status")}),
    "products": _spec(
        "products",
        {
            "status": in_list("status"),
            "name": string_match("name"),
            "productNumber": string_match("productNumber"),
            "isBundle": equals("isBundle"),
            "updatedAt": date_range("updatedAt"),
            "createdAt": date_range("createdAt"),
        },
        {"id": "id", "name": "name", "updatedAt": "updatedAt"},
    ),
    "productVariants": _spec(
        "productVariants",
        {
            "productId": in_list("productId"),
            "status": in_list("status"),
            "updatedAt": date_range("updatedAt"),
        },
    ),
    "sizeCharts": _spec("sizeCharts", {}),
    "categories": _spec(
        "categories",
        {"storeId": in_list("storeId"), "isTopCategory": raw("(parentId IS NULL) = ?")},
    ),
    "brands": _spec("brands", {"name": string_match("name")}),
    "collections": _spec("collections", {"name": string_match("name")}),
    "folders": _spec("folders", {"isTopFolder": equals("isTopFolder")}),
    "displays": _spec(
        "displays",
        {
            "marketId": raw(
                "id IN (SELECT displayId FROM displayMarkets WHERE marketId IN ({marks}))", True
            ),
            "storeId": in_list("storeId"),
            "productId": in_list("productId"),
            "status": in_list("status"),
            "name": string_match("name"),
            "updatedAt": date_range("updatedAt"),
        },
        {"id": "id", "updatedAt": "updatedAt"},
    ),
    "mappedAttributes": _spec(
        "mappedAttributes m JOIN attributeTypes t ON t.name = m.typeName",
        {
            "id": in_list("m.id"),
            "typeName": string_match("m.typeName"),
            "objectType": in_list("t.objectType"),
        },
        {"id": "m.id"},
        key="id",
        select="m.*, t.objectType, t.isMapped, t.description AS typeDescription, t.elementsJSON",
    ),
}

STOCK_COLUMNS = (
    "freeToAllocateQuantity", "availableQuantity", "availableNowQuantity", "physicalQuantity",
    "demandQuantity", "allocatedQuantity", "unshippedQuantity", "onDeliveryQuantity",
    "incomingQuantity", "linkedIncomingQuantity", "unlinkedIncomingQuantity",
)  # fmt: skip
# The digest's identities (§4.3) computed in SQL, so a row can never contradict them.
STOCK_SELECT = (
    "s.*, v.productId AS productId, ps.productVariantId AS productVariantId, "
    "ps.sortOrder AS productSizeSort, "
    "s.freeToAllocateQuantity + s.allocatedQuantity AS physicalQuantity, "
    "s.freeToAllocateQuantity - s.demandQuantity AS availableNowQuantity, "
    "s.linkedIncomingQuantity + s.unlinkedIncomingQuantity AS incomingQuantity, "
    "s.freeToAllocateQuantity - s.demandQuantity + s.linkedIncomingQuantity "
    "+ s.unlinkedIncomingQuantity AS availableQuantity"
)
STOCK_SOURCE = (
    "stock s JOIN productSizes ps ON ps.id = s.productSizeId "
    "JOIN productVariants v ON v.id = ps.productVariantId"
)
STOCK_SPEC = ListSpec(
    source=STOCK_SOURCE,
    filters={
        "productId": in_list("v.productId"),
        "productVariantId": in_list("ps.productVariantId"),
        "productSizeId": in_list("s.productSizeId"),
        "updatedAt": date_range("s.updatedAt"),
    },
    sorts={
        "id": "s.id",
        "productId": "v.productId",
        "productVariantId": "ps.productVariantId",
        "productSizeSort": "ps.sortOrder",
    },
    select=STOCK_SELECT,
)

query = QueryType()


def _list_resolver(name: str):
    def resolve(_: Any, info: GraphQLResolveInfo, **args: Any) -> list[dict]:
        return fetch_page(info.context, SPECS[name], **args)

    return resolve


for _name in SPECS:
    query.set_field(_name, _list_resolver(_name))


@query.field("displayConnection")
def resolve_display_connection(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict:
    return fetch_connection(info.context, SPECS["displays"], args)


def stock_totals(ctx, condition: str, params: tuple) -> dict:
    sums = ", ".join(f"COALESCE(SUM({column}), 0) AS {column}" for column in STOCK_COLUMNS)
    sql = f"SELECT {sums} FROM (SELECT {STOCK_SELECT} FROM {STOCK_SOURCE} WHERE {condition})"
    return ctx.db.one(sql, params)


currency = ObjectType("Currency")
currency.set_field("isBase", lambda obj, _: bool(obj["isBase"]))
currency.set_field("baseCurrencyRate", lambda obj, _: float(Decimal(obj["baseRate"])))

monetary = ObjectType("MonetaryValue")
monetary.set_field("value", lambda m, _: float(m.amount))
monetary.set_field("currency", lambda m, _: m.currency)
monetary.set_field("formattedValue", lambda m, _: format_money(m.cents, m.currency["code"]))
monetary.set_field("conversionRate", lambda m, _: float(Decimal(m.base_rate)))

market = ObjectType("Market")
market.set_field("store", fk("stores", "storeId"))
market.set_field("allocationRule", fk("allocationRules", "allocationRuleId"))
market.set_field("assignedToCountries", children("countries", "marketId"))

country = ObjectType("Country")
country.set_field("states", lambda *_: [])

pricelist = ObjectType("Pricelist")
pricelist.set_field("store", fk("stores", "storeId"))
pricelist.set_field("currency", fk("currencies", "currencyId"))
pricelist.set_field("assignedToCountries", children("countries", "pricelistId"))

price = ObjectType("Price")
price.set_field("pricelist", fk("pricelists", "pricelistId"))
price.set_field("product", fk("products", "productId"))
price.set_field("productVariant", fk("productVariants", "productVariantId"))


@price.field("price")
def resolve_price(obj: dict, info: GraphQLResolveInfo) -> Any:
    currency_id = common.by_id(info.context, "pricelists", obj["pricelistId"])["currencyId"]
    return common.money(info.context, obj["priceCents"], currency_id)


@price.field("recommendedRetailPrice")
def resolve_rrp(obj: dict, info: GraphQLResolveInfo) -> Any:
    currency_id = common.by_id(info.context, "pricelists", obj["pricelistId"])["currencyId"]
    return common.money(info.context, obj["rrpCents"], currency_id)


warehouse = ObjectType("Warehouse")
warehouse.set_field("country", fk("countries", "countryId"))
warehouse.set_field(
    "allocationRules",
    lambda obj, info: [common.by_id(info.context, "allocationRules", obj["allocationRuleId"])],
)


@warehouse.field("stock")
def resolve_stock(obj: dict, info: GraphQLResolveInfo, **args: Any) -> list[dict]:
    extra = ("s.warehouseId = ?", [obj["id"]])
    return fetch_page(info.context, STOCK_SPEC, extra=extra, **args)


@warehouse.field("stockTotals")
def resolve_warehouse_totals(obj: dict, info: GraphQLResolveInfo, where=None) -> dict:
    condition, params = "s.warehouseId = ?", [obj["id"]]
    for name, column in (
        ("productId", "v.productId"),
        ("productVariantId", "ps.productVariantId"),
        ("productSizeId", "s.productSizeId"),
    ):
        values = list((where or {}).get(name) or [])
        if values:
            condition += f" AND {column} IN ({', '.join('?' for _ in values)})"
            params += values
    return stock_totals(info.context, condition, tuple(params))


@warehouse.field("stockChanges")
def resolve_stock_changes(obj: dict, info: GraphQLResolveInfo, **args: Any) -> list[dict]:
    spec = ListSpec(
        "stockChanges", {"id": in_list("id"), "createdAt": date_range("createdAt")}, {"id": "id"}
    )
    return fetch_page(info.context, spec, extra=("warehouseId = ?", [obj["id"]]), **args)


stock = ObjectType("Stock")
stock.set_field("warehouse", fk("warehouses", "warehouseId"))
stock.set_field("product", fk("products", "productId"))
stock.set_field("productVariant", fk("productVariants", "productVariantId"))
stock.set_field(
    "productSize", lambda obj, info: common.product_size(info.context, obj["productSizeId"])
)

stock_change = ObjectType("StockChange")
stock_change.set_field("warehouse", fk("warehouses", "warehouseId"))
stock_change.set_field("lines", children("stockChangeLines", "stockChangeId"))
stock_change_line = ObjectType("StockChangeLine")
stock_change_line.set_field(
    "productSize", lambda obj, info: common.product_size(info.context, obj["productSizeId"])
)

product = ObjectType("Product")
product.set_field("isBundle", lambda obj, _: bool(obj["isBundle"]))
product.set_field("brand", fk("brands", "brandId"))
product.set_field("collection", fk("collections", "collectionId"))
product.set_field("folder", fk("folders", "folderId"))
product.set_field("countryOfOrigin", fk("countries", "countryOfOriginId"))
product.set_field("attributes", attributes_resolver("Product"))
product.set_field("translations", translations_resolver("Product"))


@product.field("weight")
def resolve_weight(obj: dict, _: GraphQLResolveInfo) -> dict | None:
    grams = obj["weightGrams"]
    if grams is None:
        return None
    kilograms = Decimal(grams) / 1000
    return {"value": float(kilograms), "unit": "KILOGRAMS", "formattedValue": f"{kilograms:.3f} kg"}


@product.field("bundle")
def resolve_bundle(obj: dict, info: GraphQLResolveInfo) -> dict | None:
    return info.context.db.one("SELECT * FROM bundles WHERE productId = ?", (obj["id"],))


@product.field("variants")
def resolve_variants(obj: dict, info: GraphQLResolveInfo, where=None) -> list[dict]:
    return fetch_page(
        info.context,
        SPECS["productVariants"],
        where,
        limit=None,
        extra=("productId = ?", [obj["id"]]),
    )


@product.field("displays")
def resolve_product_displays(obj: dict, info: GraphQLResolveInfo, **args: Any) -> list[dict]:
    return fetch_page(info.context, SPECS["displays"], extra=("productId = ?", [obj["id"]]), **args)


@product.field("media")
def resolve_media(obj: dict, info: GraphQLResolveInfo, sort=None, limit=None, page=None) -> list:
    spec = ListSpec("productMedia", {}, {"id": "id"})
    return fetch_page(
        info.context, spec, None, sort, limit, page, extra=("productId = ?", [obj["id"]])
    )


variant = ObjectType("ProductVariant")
variant.set_field("product", fk("products", "productId"))
variant.set_field("sizeChart", fk("sizeCharts", "sizeChartId"))
variant.set_field("attributes", attributes_resolver("ProductVariant"))
variant.set_field("translations", translations_resolver("ProductVariant"))


@variant.field("productSizes")
def resolve_product_sizes(obj: dict, info: GraphQLResolveInfo) -> list[dict]:
    sql = f"{common.SIZE_SELECT} WHERE ps.productVariantId = ? ORDER BY ps.sortOrder"
    rows = info.context.db.all(sql, (obj["id"],))
    return common.with_repeats(info.context, "ProductSize", rows)


variant.set_field(
    "unitCost",
    lambda obj, info: common.money(
        info.context, obj["unitCostCents"], obj["unitCostCurrencyId"] or 1
    ),
)
variant.set_field(
    "stockTotals",
    lambda obj, info: stock_totals(info.context, "ps.productVariantId = ?", (obj["id"],)),
)

size = ObjectType("ProductSize")
size.set_field("size", fk("sizes", "sizeId"))
size.set_field("productVariant", fk("productVariants", "productVariantId"))
size.set_field(
    "SKU", lambda obj, info: info.context.override("ProductSize", obj["id"], "SKU", obj["SKU"])
)
size.set_field(
    "stockTotals", lambda obj, info: stock_totals(info.context, "s.productSizeId = ?", (obj["id"],))
)

size_chart = ObjectType("SizeChart")
size_chart.set_field("sizes", children("sizes", "sizeChartId", "sortOrder"))
size_chart.set_field("horizontalLabels", lambda obj, _: json.loads(obj["horizontalLabels"]))
size_chart.set_field("verticalLabels", lambda obj, _: json.loads(obj["verticalLabels"] or "null"))

folder = ObjectType("Folder")
folder.set_field("parentFolder", fk("folders", "parentId"))
folder.set_field("childFolders", children("folders", "parentId"))

category = ObjectType("Category")
category.set_field("store", fk("stores", "storeId"))
category.set_field("parentCategory", fk("categories", "parentId"))
category.set_field("childCategories", children("categories", "parentId"))

media = ObjectType("ProductMedia")
media.set_field("productVariant", fk("productVariants", "productVariantId"))


@media.field("source")
def resolve_media_source(obj: dict, _: GraphQLResolveInfo, sizeName: str = "standard") -> dict:
    url = obj["url"] if sizeName == "standard" else obj["url"].replace(".jpg", f"-{sizeName}.jpg")
    size_info = {"name": sizeName, "quality": 85, "maxWidth": 1600, "maxHeight": 2400}
    return {"url": url, "mimeType": obj["mimeType"], "mediaSize": size_info}


bundle = ObjectType("Bundle")
bundle.set_field("product", fk("products", "productId"))
bundle.set_field("sections", children("bundleSections", "bundleId"))
bundle_section = ObjectType("BundleSection")
bundle_section.set_field(
    "productVariants",
    lambda obj, info: info.context.db.all(
        "SELECT v.* FROM bundleSectionVariants b "
        "JOIN productVariants v ON v.id = b.productVariantId "
        "WHERE b.sectionId = ? ORDER BY v.id",
        (obj["id"],),
    ),
)

display = ObjectType("Display")
display.set_field("store", fk("stores", "storeId"))
display.set_field("product", fk("products", "productId"))
display.set_field("canonicalCategory", fk("categories", "canonicalCategoryId"))
display.set_field("tags", lambda obj, _: json.loads(obj["tags"]))
display.set_field("attributes", attributes_resolver("Display"))
display.set_field("translations", translations_resolver("Display"))
display.set_field(
    "categories",
    lambda obj, info: info.context.db.all(
        "SELECT c.* FROM displayCategories d JOIN categories c ON c.id = d.categoryId "
        "WHERE d.displayId = ? ORDER BY c.id",
        (obj["id"],),
    ),
)
display.set_field(
    "markets",
    lambda obj, info: info.context.db.all(
        "SELECT m.* FROM displayMarkets d JOIN markets m ON m.id = d.marketId "
        "WHERE d.displayId = ? ORDER BY m.id",
        (obj["id"],),
    ),
)
display.set_field(
    "productVariants",
    lambda obj, info: info.context.db.all(
        "SELECT v.* FROM displayItems d JOIN productVariants v ON v.id = d.productVariantId "
        "WHERE d.displayId = ? ORDER BY v.id",
        (obj["id"],),
    ),
)
display.set_field("displayItems", children("displayItems", "displayId"))
display.set_field("media", lambda obj, info: resolve_media({"id": obj["productId"]}, info))
display_item = ObjectType("DisplayItem")
display_item.set_field("productVariant", fk("productVariants", "productVariantId"))


@display.field("prices")
def resolve_display_prices(obj: dict, info: GraphQLResolveInfo, where=None) -> list[dict]:
    spec = ListSpec(
        "prices",
        {
            "pricelistId": in_list("pricelistId"),
            "productId": in_list("productId"),
            "productVariantId": in_list("productVariantId"),
        },
        {"id": "id"},
    )
    return fetch_page(info.context, spec, where, limit=None, extra=("displayId = ?", [obj["id"]]))


mapped_attribute = ObjectType("MappedAttribute")
mapped_attribute.set_field(
    "type",
    lambda obj, _: {
        "name": obj["typeName"],
        "description": obj["typeDescription"],
        "isMapped": bool(obj["isMapped"]),
        "objectType": obj["objectType"],
    },
)
mapped_attribute.set_field(
    "elements",
    lambda obj, _: common.attribute_elements(obj["elementsJSON"], json.loads(obj["valuesJSON"])),
)

attribute_element = InterfaceType("AttributeElement", common.resolve_element_type)
choice_element = ObjectType("AttributeChoiceElement")
choice_element.set_field("isMulti", lambda obj, _: bool(obj.get("isMulti")))

BINDABLES = [
    query, currency, monetary, market, country, pricelist, price, warehouse, stock, stock_change,
    stock_change_line, product, variant, size, size_chart, folder, category, media, bundle,
    bundle_section, display, display_item, mapped_attribute, attribute_element, choice_element,
]  # fmt: skip
