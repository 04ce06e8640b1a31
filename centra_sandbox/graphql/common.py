"""Resolver helpers shared by the entity modules."""

import json
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.money import Money

Resolver = Callable[..., Any]

SIZE_SELECT = (
    "SELECT ps.*, p.productNumber || v.variantNumber || COALESCE(ps.sizeNumber, '') AS SKU, "
    "ps.EAN AS GTIN FROM productSizes ps "
    "JOIN productVariants v ON v.id = ps.productVariantId JOIN products p ON p.id = v.productId"
)


def by_id(ctx: RequestContext, table: str, row_id: Any) -> dict | None:
    if row_id is None:
        return None
    return ctx.db.one(f"SELECT * FROM {table} WHERE id = ?", (row_id,))


def fk(table: str, column: str) -> Resolver:
    """Resolver following a foreign-key column of the parent row."""

    def resolve(obj: dict, info: GraphQLResolveInfo, **_: Any) -> dict | None:
        return by_id(info.context, table, obj[column])

    return resolve


def children(table: str, column: str, order: str = "id") -> Resolver:
    """Resolver listing rows of `table` whose `column` points at the parent row's id."""

    def resolve(obj: dict, info: GraphQLResolveInfo, **_: Any) -> list[dict]:
        sql = f"SELECT * FROM {table} WHERE {column} = ? ORDER BY {order}"
        return info.context.db.all(sql, (obj["id"],))

    return resolve


def product_size(ctx: RequestContext, size_id: int | None) -> dict | None:
    if size_id is None:
        return None
    return ctx.db.one(f"{SIZE_SELECT} WHERE ps.id = ?", (size_id,))


def with_repeats(ctx: RequestContext, type_name: str, rows: list[dict]) -> list[dict]:
    """Rows of a list, each planted duplicate listed twice with the same id (a bad record)."""
    listed = []
    for row in rows:
        listed.append(row)
        if ctx.override(type_name, row["id"], "listedTwice", False):
            listed.append(row)
    return listed


def money(ctx: RequestContext, cents: int | None, currency_id: int, rate: str | None = None) -> Any:
    if cents is None:
        return None
    currency = ctx.currencies[currency_id]
    return Money(cents, currency, rate or currency["baseRate"])


def attributes_of(
    ctx: RequestContext, object_type: str, object_id: Any, where: dict | None
) -> list:
    """Custom attributes of one object in the digest's §10.4 read shape."""
    sql = (
        "SELECT oa.*, t.description AS typeDescription, t.isMapped, t.elementsJSON, "
        "m.valuesJSON AS mappedValues FROM objectAttributes oa "
        "JOIN attributeTypes t ON t.name = oa.typeName "
        "LEFT JOIN mappedAttributes m ON m.id = oa.mappedAttributeId "
        "WHERE oa.objectType = ? AND oa.objectId = ? ORDER BY oa.typeName"
    )
    rows = ctx.db.all(sql, (object_type, object_id))
    match = (where or {}).get("typeName") or {}
    return [_attribute(row) for row in rows if _type_matches(row["typeName"], match)]


def _type_matches(name: str, match: dict) -> bool:
    if match.get("equals") is not None:
        return name == match["equals"]
    if match.get("contains") is not None:
        return match["contains"] in name
    return True


def _attribute(row: dict) -> dict:
    values = json.loads(row["mappedValues"] or row["valuesJSON"] or "{}")
    attribute_type = {
        "name": row["typeName"],
        "description": row["typeDescription"],
        "isMapped": bool(row["isMapped"]),
        "objectType": row["objectType"],
    }
    return {
        "type": attribute_type,
        "description": row["typeDescription"],
        "objectType": row["objectType"],
        "elements": attribute_elements(row["elementsJSON"], values),
    }


def attribute_elements(elements_json: str, values: dict) -> list[dict]:
    elements = []
    for element in json.loads(elements_json):
        value = values.get(element["key"])
        item = {"key": element["key"], "description": element["description"]}
        item["kind"] = element["kind"]
        if element["kind"] == "SELECT":
            chosen = value or {}
            item.update(isMulti=element.get("isMulti", False), **chosen)
        elif element["kind"] in ("IMAGE", "FILE"):
            item.update(value if isinstance(value, dict) else {"url": value})
        else:
            item["value"] = value
        elements.append(item)
    return elements


def resolve_element_type(element: dict, *_: Any) -> str:
    kind = element["kind"]
    if kind == "SELECT":
        return "AttributeChoiceElement"
    if kind == "IMAGE":
        return "AttributeImageElement"
    if kind == "FILE":
        return "AttributeFileElement"
    return "AttributeStringElement"


def translations_of(ctx: RequestContext, object_type: str, object_id: int) -> list[dict]:
    sql = (
        "SELECT t.languageId, t.field, t.value FROM translations t "
        "WHERE t.objectType = ? AND t.objectId = ? ORDER BY t.languageId, t.rowid"
    )
    grouped: dict[int, list[dict]] = {}
    for row in ctx.db.all(sql, (object_type, object_id)):
        grouped.setdefault(row["languageId"], []).append(
            {"field": row["field"], "value": row["value"]}
        )
    return [
        {"language": by_id(ctx, "languages", language_id), "fields": fields}
        for language_id, fields in grouped.items()
    ]


def attributes_resolver(object_type: str, key: str = "id") -> Resolver:
    def resolve(obj: dict, info: GraphQLResolveInfo, where: dict | None = None) -> list:
        return attributes_of(info.context, object_type, obj[key], where)

    return resolve


def translations_resolver(object_type: str) -> Resolver:
    def resolve(obj: dict, info: GraphQLResolveInfo) -> list:
        return translations_of(info.context, object_type, obj["id"])

    return resolve
