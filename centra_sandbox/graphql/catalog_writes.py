"""Catalogue enrichment mutations (digest §5.2, §10.3, §10.4), as a PIM sends them.

updateProduct, updateDisplay, assign/unassignAttributes and localize. Each write bumps the
object's `updatedAt` and records the object UPDATED in the change feed.
"""

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.permissions import permission_error
from centra_sandbox.graphql.writes import UserErrors, find, transaction
from centra_sandbox.store.catalog_generator import slug
from centra_sandbox.store.database import bump_updated_at

mutation = MutationType()

# Objects whose attributes the sandbox stores: (table, key column).
ATTRIBUTE_OBJECTS = {
    "Product": ("products", "id"),
    "ProductVariant": ("productVariants", "id"),
    "Display": ("displays", "id"),
    "Customer": ("customers", "id"),
    "Order": ("orders", "number"),
}
GRAMS_PER_UNIT = {
    "GRAMS": Decimal(1),
    "KILOGRAMS": Decimal(1000),
    "OUNCES": Decimal("28.349523125"),
    "POUNDS": Decimal("453.59237"),
}
WEIGHT_DECIMALS = Decimal("0.001")
PRODUCT_COLUMNS = (
    "name", "status", "harmonizedCommodityCode", "harmonizedCommodityCodeDescription",
    "internalComment", "isSerializableProduct",
)  # fmt: skip
DISPLAY_COLUMNS = (
    "name", "status", "uri", "description", "shortDescription", "metaTitle", "metaDescription",
    "metaKeywords",
)  # fmt: skip
# Translatable fields per object type (digest §10.3), besides `attributes.<type>.<key>`.
TRANSLATABLE_FIELDS = {
    "Display": {
        "name", "uri", "metaDescription", "metaKeywords", "metaTitle", "shortDescription",
        "description",
    },
    "Product": {"name"},
    "ProductVariant": {"name"},
}  # fmt: skip


# --- updateProduct --------------------------------------------------------------------------


@mutation.field("updateProduct")
def resolve_update_product(_: Any, info: GraphQLResolveInfo, id: int, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    product = ctx.db.one("SELECT * FROM products WHERE id = ?", (id,))
    if product is None:
        errors.error(f"Could not find Product with ID {id}.", "id")
        return errors.payload(product=None)
    ops = _product_attribute_ops(ctx, input, errors)
    if input.get("name") is not None and not input["name"].strip():
        errors.error("name must not be empty.", "input", "name")
    grams = _weight_grams(input.get("weight"), errors)
    country_id = _country_id(ctx, input.get("countryOfOrigin"), errors)
    if errors.errors:
        return errors.payload(product=product)

    with transaction(ctx):
        _set_columns(ctx, "products", id, PRODUCT_COLUMNS, input)
        if grams is not None:
            ctx.db.execute("UPDATE products SET weightGrams = ? WHERE id = ?", (grams, id))
        if country_id is not None:
            ctx.db.execute(
                "UPDATE products SET countryOfOriginId = ? WHERE id = ?", (country_id, id)
            )
        _apply_attribute_ops(ctx, "Product", id, ops, errors)
        _touched(ctx, "Product", id)
    return errors.payload(product=ctx.db.one("SELECT * FROM products WHERE id = ?", (id,)))


def _product_attribute_ops(ctx: RequestContext, input: dict, errors: UserErrors) -> list[tuple]:
    fields = ("assignMappedAttributes", "unassignMappedAttributes", "assignDynamicAttributes")
    if not any(input.get(field) for field in fields):
        return []
    # Attribute values are a sensitive sub-field with their own permission (digest §1.2).
    if not ctx.use_permission("Product.attributes:write"):
        raise permission_error("Product.attributes:write", "updateProduct")
    return [
        *_mapped_ops(ctx, "Product", input, "assignMappedAttributes", "set", errors),
        *_mapped_ops(ctx, "Product", input, "unassignMappedAttributes", "unset", errors),
        *_dynamic_ops(ctx, "Product", input, "assignDynamicAttributes", "set", errors),
    ]


def _country_id(ctx: RequestContext, country: dict | None, errors: UserErrors) -> int | None:
    """The country a CountryInput names (exactly one of id and code), or None."""
    if country is None:
        return None
    given = {key: value for key, value in country.items() if value is not None}
    if len(given) != 1:
        errors.error("CountryInput takes exactly one of id, code.", "input", "countryOfOrigin")
        return None
    column, value = next(iter(given.items()))
    found = ctx.db.scalar(f"SELECT id FROM countries WHERE {column} = ?", (value,))
    if found is None:
        errors.error(f"Could not find Country with {column} {value}.", "input", "countryOfOrigin")
    return found


def _weight_grams(weight: dict | None, errors: UserErrors) -> int | None:
    """Whole grams of a WeightInput; more than three decimals are rounded with a warning."""
    if weight is None:
        return None
    value = Decimal(str(weight["value"]))
    if value < 0:
        errors.error(f"Weight must be 0 or more; got {weight['value']}.", "input", "weight")
        return None
    rounded = value.quantize(WEIGHT_DECIMALS, rounding=ROUND_HALF_UP)
    if rounded != value:
        errors.warn("Weight has been rounded to 3 decimal places", "input", "weight", "value")
    grams = rounded * GRAMS_PER_UNIT[weight["unit"]]
    return int(grams.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- updateDisplay --------------------------------------------------------------------------


@mutation.field("updateDisplay")
def resolve_update_display(_: Any, info: GraphQLResolveInfo, id: int, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    display = ctx.db.one("SELECT * FROM displays WHERE id = ?", (id,))
    if display is None:
        errors.error(f"Could not find Display with ID {id}.", "id")
        return errors.payload(display=None)
    values = dict(input)
    if values.get("name") is not None and not values["name"].strip():
        errors.error("name must not be empty.", "input", "name")
    if values.get("uri") == "":
        # An empty uri means: make one from the name (digest §5.2).
        values["uri"] = slug(values.get("name") or display["name"])
    if values.get("uri") is not None:
        _check_unique_uri(ctx, display, values["uri"], errors)
    if errors.errors:
        return errors.payload(display=display)

    with transaction(ctx):
        _set_columns(ctx, "displays", id, DISPLAY_COLUMNS, values)
        _touched(ctx, "Display", id)
    return errors.payload(display=ctx.db.one("SELECT * FROM displays WHERE id = ?", (id,)))


def _check_unique_uri(ctx: RequestContext, display: dict, uri: str, errors: UserErrors) -> None:
    taken = ctx.db.scalar(
        "SELECT id FROM displays WHERE storeId = ? AND uri = ? AND id != ?",
        (display["storeId"], uri, display["id"]),
    )
    if taken is not None:
        errors.error(
            f"uri {uri!r} is taken by display {taken} in store {display['storeId']}.",
            "input",
            "uri",
        )


# --- assignAttributes, unassignAttributes ---------------------------------------------------


@mutation.field("assignAttributes")
def resolve_assign_attributes(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    return _attribute_write(info.context, input, "set")


@mutation.field("unassignAttributes")
def resolve_unassign_attributes(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    return _attribute_write(info.context, input, "unset")


def _attribute_write(ctx: RequestContext, input: dict, action: str) -> dict:
    errors = UserErrors()
    object_type, object_id = input["objectType"], input["objectId"]
    target = _attribute_object(ctx, object_type, object_id, errors)
    if target is None:
        return errors.payload(object=None)
    ops = [
        *_mapped_ops(ctx, object_type, input, "mappedAttributes", action, errors),
        *_dynamic_ops(ctx, object_type, input, "dynamicAttributes", action, errors),
    ]
    if not ops and not errors.errors:
        errors.error("Give mappedAttributes, dynamicAttributes or both.", "input")
    if errors.errors:
        return errors.payload(object=target)

    with transaction(ctx):
        # An unassign of what is not there only warns: nothing changed, nothing to announce.
        if _apply_attribute_ops(ctx, object_type, object_id, ops, errors):
            _touched(ctx, object_type, object_id)
    return errors.payload(object=_attribute_object(ctx, object_type, object_id, errors))


def _attribute_object(
    ctx: RequestContext, object_type: str, object_id: int, errors: UserErrors
) -> dict | None:
    """The object's row, tagged with its GraphQL type for the ObjectWithAttributes interface."""
    if object_type not in ATTRIBUTE_OBJECTS:
        errors.error(
            f"The sandbox stores attributes of {', '.join(ATTRIBUTE_OBJECTS)} only; "
            f"got {object_type}.",
            "input",
            "objectType",
        )
        return None
    table, key = ATTRIBUTE_OBJECTS[object_type]
    row = ctx.db.one(f"SELECT * FROM {table} WHERE {key} = ?", (object_id,))
    if row is None:
        errors.error(f"Could not find {object_type} with ID {object_id}.", "input", "objectId")
        return None
    type_name = "DirectToConsumerOrder" if object_type == "Order" else object_type
    if object_type == "Order" and row["storeId"] == 2:
        type_name = "WholesaleOrder"
    return {**row, "__typename": type_name}


def _attribute_type(
    ctx: RequestContext, object_type: str, name: str, mapped: bool, errors: UserErrors, *path
) -> dict | None:
    row = ctx.db.one("SELECT * FROM attributeTypes WHERE name = ?", (name,))
    problem = None
    if row is None:
        problem = f"Could not find AttributeType with ID {name}."
    elif row["objectType"] != object_type:
        problem = f"Attribute type {name} belongs to {row['objectType']}, not {object_type}."
    elif bool(row["isMapped"]) != mapped:
        kind, field = ("mapped", "mapped") if row["isMapped"] else ("dynamic", "dynamic")
        problem = f"Attribute type {name} is {kind}; send it in {field}Attributes."
    if problem is not None:
        errors.error(problem, *path, "attributeTypeName")
        return None
    return row


def _mapped_ops(
    ctx: RequestContext, object_type: str, input: dict, field: str, action: str, errors: UserErrors
) -> list[tuple]:
    """("set_mapped" | "unset_mapped", type name, mapped attribute id, path) per valid entry."""
    ops = []
    for index, entry in enumerate(input.get(field) or []):
        path = ("input", field, index)
        name = entry["attributeTypeName"]
        if _attribute_type(ctx, object_type, name, True, errors, *path) is None:
            continue
        exists = ctx.db.scalar(
            "SELECT id FROM mappedAttributes WHERE id = ? AND typeName = ?",
            (entry["attributeId"], name),
        )
        if exists is None:
            errors.error(
                f"Could not find MappedAttribute with ID {entry['attributeId']} of type {name}.",
                *path,
                "attributeId",
            )
            continue
        ops.append((f"{action}_mapped", name, entry["attributeId"], path))
    return ops


def _dynamic_ops(
    ctx: RequestContext, object_type: str, input: dict, field: str, action: str, errors: UserErrors
) -> list[tuple]:
    """("set_dynamic" | "unset_dynamic", type name, (key, value), path) per valid entry."""
    ops = []
    for index, entry in enumerate(input.get(field) or []):
        path = ("input", field, index)
        name, key = entry["attributeTypeName"], entry["attributeElementKey"]
        attribute_type = _attribute_type(ctx, object_type, name, False, errors, *path)
        if attribute_type is None:
            continue
        elements = json.loads(attribute_type["elementsJSON"])
        kinds = {element["key"]: element["kind"] for element in elements}
        if key not in kinds:
            errors.error(
                f"Attribute type {name} has no element {key!r}; it has {', '.join(kinds)}.",
                *path,
                "attributeElementKey",
            )
            continue
        value = entry.get("attributeElementValue")
        if action == "set" and value is None:
            errors.error(
                "attributeElementValue is required; unassignAttributes removes a value.",
                *path,
                "attributeElementValue",
            )
            continue
        if kinds[key] == "SELECT" and value is not None:
            value = {"selectedValue": value, "selectedValueName": value}
        ops.append((f"{action}_dynamic", name, (key, value), path))
    return ops


def _apply_attribute_ops(
    ctx: RequestContext, object_type: str, object_id: int, ops: list[tuple], errors: UserErrors
) -> int:
    """Apply the ops; returns how many changed something (the others warned)."""
    changed = 0
    for op, name, argument, path in ops:
        scope = (object_type, object_id, name)
        if op == "set_mapped":
            # One value per attribute type: assigning replaces what the object had.
            _delete_attribute(ctx, *scope)
            ctx.db.execute(
                "INSERT INTO objectAttributes VALUES (?, ?, ?, ?, NULL)", (*scope, argument)
            )
            changed += 1
        elif op == "unset_mapped":
            if _delete_attribute(ctx, *scope, mapped_id=argument):
                changed += 1
            else:
                errors.warn(
                    f"Mapped attribute {argument} is not assigned to {object_type} {object_id}; "
                    "nothing to unassign.",
                    *path,
                )
        else:
            changed += _write_dynamic(ctx, scope, argument, op == "set_dynamic", errors, path)
    return changed


def _write_dynamic(ctx, scope: tuple, element: tuple, assign: bool, errors, path) -> bool:
    key, value = element
    current = ctx.db.scalar(
        "SELECT valuesJSON FROM objectAttributes WHERE objectType = ? AND objectId = ? "
        "AND typeName = ?",
        scope,
    )
    values = json.loads(current or "{}")
    if assign:
        values[key] = value
    elif values.pop(key, None) is None:
        errors.warn(
            f"{scope[2]}.{key} is not set on {scope[0]} {scope[1]}; nothing to unassign.", *path
        )
        return False
    _delete_attribute(ctx, *scope)
    if values:
        ctx.db.execute(
            "INSERT INTO objectAttributes VALUES (?, ?, ?, NULL, ?)", (*scope, json.dumps(values))
        )
    return True


def _delete_attribute(
    ctx: RequestContext, object_type: str, object_id: int, name: str, mapped_id: int | None = None
) -> int:
    sql = "DELETE FROM objectAttributes WHERE objectType = ? AND objectId = ? AND typeName = ?"
    params: tuple = (object_type, object_id, name)
    if mapped_id is not None:
        sql, params = sql + " AND mappedAttributeId = ?", (*params, mapped_id)
    return ctx.db.connection.execute(sql, params).rowcount


# --- localize -------------------------------------------------------------------------------


@mutation.field("localize")
def resolve_localize(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    object_type, object_id = input["objectType"], input["objectId"]
    target = _attribute_object(ctx, object_type, object_id, errors)
    language = find(ctx, "Language", input["language"], errors, "input", "language")
    if language is not None and not language["isActive"]:
        errors.error(
            f"Language {language['code']} is not available for localization.", "input", "language"
        )
    for index, item in enumerate(input["translations"]):
        _check_translatable(ctx, object_type, item["field"], errors, "input", "translations", index)
    if errors.errors or target is None:
        return errors.payload(localizedObject=target)

    with transaction(ctx):
        for item in input["translations"]:
            _translate(ctx, (object_type, object_id, language["id"]), item["field"], item["value"])
        _touched(ctx, object_type, object_id)
    return errors.payload(localizedObject=_attribute_object(ctx, object_type, object_id, errors))


def _check_translatable(
    ctx: RequestContext, object_type: str, field: str, errors: UserErrors, *path: Any
) -> None:
    if field in TRANSLATABLE_FIELDS[object_type]:
        return
    prefix, _, rest = field.partition(".")
    type_name, _, key = rest.partition(".")
    if prefix == "attributes":
        row = ctx.db.one(
            "SELECT elementsJSON FROM attributeTypes WHERE name = ? AND objectType = ?",
            (type_name, object_type),
        )
        keys = {element["key"] for element in json.loads(row["elementsJSON"])} if row else set()
        if key in keys:
            return
    allowed = ", ".join(sorted(TRANSLATABLE_FIELDS[object_type]))
    errors.error(
        f"{object_type} has no translatable field {field!r}; use one of {allowed} or "
        "attributes.<attributeType>.<elementKey>.",
        *path,
        "field",
    )


def _translate(ctx: RequestContext, scope: tuple, field: str, value: str | None) -> None:
    ctx.db.execute(
        "DELETE FROM translations WHERE objectType = ? AND objectId = ? AND languageId = ? "
        "AND field = ?",
        (*scope, field),
    )
    # No row is what "untranslated" means after a null: the default language shows instead.
    if value is not None:
        ctx.db.execute("INSERT INTO translations VALUES (?, ?, ?, ?, ?)", (*scope, field, value))


# --- shared ---------------------------------------------------------------------------------


def _set_columns(ctx: RequestContext, table: str, row_id: int, columns: tuple, values: dict):
    for column in columns:
        value = values.get(column)
        if value is not None:
            stored = int(value) if isinstance(value, bool) else value
            ctx.db.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (stored, row_id))


def _touched(ctx: RequestContext, object_type: str, object_id: int) -> None:
    """Bump updatedAt and record UPDATED, scoped to the object's store where it has one."""
    table, key = ATTRIBUTE_OBJECTS[object_type]
    bump_updated_at(ctx.db, table, key, object_id)
    if object_type == "Order":
        ctx.changes.order(object_id, "UPDATED")
    elif object_type == "Customer":
        ctx.changes.customer(object_id, "UPDATED")
    elif object_type == "Display":
        store_id = ctx.db.scalar("SELECT storeId FROM displays WHERE id = ?", (object_id,))
        ctx.changes.record("Display", "UPDATED", object_id, store_id=store_id)
    else:
        ctx.changes.record(object_type, "UPDATED", object_id)


BINDABLES = [mutation]
