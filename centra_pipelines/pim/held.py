"""What Centra holds of the content the PIM owns, read from the warehouse.

The plan compares the PIM's content with this so that only real differences are sent. Each
write the flow makes is one *record*: a product's fields, one display's texts, one display's
texts in one language, or a product's attributes, keyed `<product number>|<part>`. For every
record this module gives the values Centra holds, field by field.

The warehouse is as fresh as the last catalogue sync. A write we made after that sync is not in
it yet, so the content we last sent of a record is laid over the warehouse's when it was sent
later than the catalogue was read: otherwise a PIM text changed back to what the stale warehouse
still shows would look unchanged and never reach Centra.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.outbound.outbox import REJECTED
from centra_pipelines.outbound.outbox import SCHEMA as OUTBOX_SCHEMA
from centra_pipelines.warehouse import DuckDBWarehouse

TARGET, ENTITY = "centra", "pim_enrichment"

# Display fields the PIM owns, as Centra names them, and their warehouse columns.
DISPLAY_FIELDS = {
    "description": "description",
    "shortDescription": "short_description",
    "metaTitle": "meta_title",
    "metaDescription": "meta_description",
    "metaKeywords": "meta_keywords",
}
GRAMS_PER_UNIT = {"KILOGRAMS": Decimal(1000), "POUNDS": Decimal("453.59237")}


@dataclass
class CentraProduct:
    """A product as the warehouse knows it: its id and the ids of its displays."""

    id: int
    number: str
    display_ids: list[int] = field(default_factory=list)


@dataclass
class Held:
    """Centra's side of the comparison."""

    products: dict[str, CentraProduct]
    languages: dict[str, int]  # active language code -> Centra language id
    mapped_attributes: dict[tuple[str, str], int]  # (attribute type, value name) -> id
    values: dict[str, dict[str, Any]]  # record key -> {field: value Centra holds}
    catalog_synced_at: datetime | None

    def of(self, record_key: str) -> dict[str, Any]:
        return self.values.get(record_key, {})


def record_key(number: str, part: str, *more: Any) -> str:
    """`P1002|product`, `P1002|display:2`, `P1002|display:2|de`, `P1002|attributes`."""
    return "|".join([number, part, *(str(item) for item in more)])


def grams_text(grams: Decimal) -> str:
    """A weight in grams as plain text without trailing zeros: `450`, `185.5`."""
    return format(grams.normalize(), "f")


def read_held(warehouse: DuckDBWarehouse) -> Held:
    """Everything the plan compares with, in one pass over the catalogue tables.

    Raises:
        dg.Failure: the warehouse has no catalogue yet.
    """
    if not warehouse.table_exists(tables.products.spec):
        raise dg.Failure(
            "The warehouse holds no Centra catalogue, so nothing can be compared or checked; "
            "run the catalogue sync (job centra_catalog_sync or the main job) first."
        )
    products, values = _products(warehouse)
    _add_displays(warehouse, products, values)
    mapped, signatures = _mapped_attributes(warehouse)
    _add_attributes(warehouse, products, values, signatures)
    held = Held(products, _languages(warehouse), mapped, values, _catalog_synced_at(warehouse))
    _lay_over_last_sent(warehouse, held)
    return held


def _products(warehouse: DuckDBWarehouse) -> tuple[dict[str, CentraProduct], dict]:
    rows = warehouse.fetch(
        "SELECT id, product_number, status, harmonized_commodity_code, weight_value, "
        f"weight_unit FROM {tables.products.spec.qualified_name}"
    )
    products, values = {}, {}
    for product_id, number, status, hs_code, weight, unit in rows:
        products[number] = CentraProduct(product_id, number)
        held = {"status": status, "harmonizedCommodityCode": hs_code}
        if weight is not None and unit in GRAMS_PER_UNIT:
            held["weight_g"] = grams_text(Decimal(weight) * GRAMS_PER_UNIT[unit])
        values[record_key(number, "product")] = held
    return products, values


def _add_displays(warehouse: DuckDBWarehouse, products: dict, values: dict) -> None:
    by_id = {product.id: product for product in products.values()}
    columns = ", ".join(DISPLAY_FIELDS.values())
    rows = warehouse.fetch(
        f"SELECT id, product_id, {columns} FROM {tables.displays.spec.qualified_name} ORDER BY id"
    )
    numbers = {}
    for display_id, product_id, *texts in rows:
        product = by_id.get(product_id)
        if product is None:
            continue
        product.display_ids.append(display_id)
        numbers[display_id] = product.number
        values[record_key(product.number, f"display:{display_id}")] = dict(
            zip(DISPLAY_FIELDS, texts, strict=True)
        )
    if not warehouse.table_exists(tables.translations.spec):
        return
    translated = warehouse.fetch(
        f"SELECT object_id, language_code, field, value FROM "
        f"{tables.translations.spec.qualified_name} WHERE object_type = 'Display'"
    )
    for display_id, language, name, value in translated:
        if display_id in numbers:
            key = record_key(numbers[display_id], f"display:{display_id}", language)
            values.setdefault(key, {})[name] = value


def _languages(warehouse: DuckDBWarehouse) -> dict[str, int]:
    if not warehouse.table_exists(tables.languages.spec):
        return {}
    rows = warehouse.fetch(
        f"SELECT language_code, id FROM {tables.languages.spec.qualified_name} WHERE is_active"
    )
    return dict(rows)


def _mapped_attributes(warehouse: DuckDBWarehouse) -> tuple[dict, dict]:
    """Mapped values by (type, name), and by (type, element values) to recognise assignments."""
    if not warehouse.table_exists(tables.mapped_attributes.spec):
        return {}, {}
    rows = warehouse.fetch(
        "SELECT id, attribute_type, name, elements FROM "
        f"{tables.mapped_attributes.spec.qualified_name} WHERE object_type = 'Product'"
    )
    by_name, by_signature = {}, {}
    for mapped_id, attribute_type, name, elements in rows:
        by_name[attribute_type, name] = mapped_id
        signature = _signature(json.loads(elements) if isinstance(elements, str) else elements)
        by_signature[attribute_type, signature] = mapped_id
    return by_name, by_signature


def _add_attributes(warehouse, products: dict, values: dict, signatures: dict) -> None:
    if not warehouse.table_exists(tables.catalog_attribute_values.spec):
        return
    numbers = {str(product.id): product.number for product in products.values()}
    rows = warehouse.fetch(
        "SELECT object_id, attribute_type, is_mapped, element FROM "
        f"{tables.catalog_attribute_values.spec.qualified_name} WHERE object_type = 'Product'"
    )
    mapped_elements: dict[tuple[str, str], list[dict]] = {}
    for object_id, attribute_type, is_mapped, element in rows:
        if object_id not in numbers:
            continue
        element = json.loads(element) if isinstance(element, str) else element
        key = record_key(numbers[object_id], "attributes")
        if is_mapped:
            mapped_elements.setdefault((key, attribute_type), []).append(element)
        else:
            values.setdefault(key, {})[f"dynamic:{attribute_type}.{element['key']}"] = (
                _element_value(element)
            )
    # Centra shows a mapped attribute by its elements; the id is found by matching them.
    for (key, attribute_type), elements in mapped_elements.items():
        mapped_id = signatures.get((attribute_type, _signature(elements)))
        values.setdefault(key, {})[f"mapped:{attribute_type}"] = mapped_id


def _signature(elements: list[dict]) -> tuple:
    return tuple(sorted((element["key"], _element_value(element)) for element in elements))


def _element_value(element: dict) -> Any:
    return element.get("value", element.get("selectedValue", element.get("url")))


def _catalog_synced_at(warehouse: DuckDBWarehouse) -> datetime | None:
    rows = warehouse.fetch(f"SELECT max(_synced_at) FROM {tables.products.spec.qualified_name}")
    return rows[0][0]


def rejected_before(warehouse: DuckDBWarehouse) -> set[tuple[str, str]]:
    """(record key, content hash) of every rejection stored, to tell old ones from news."""
    if not _outbox_has(warehouse, "planned"):
        return set()
    rows = warehouse.fetch(
        f"SELECT record_key, content_hash FROM {OUTBOX_SCHEMA}.planned "
        "WHERE target_system = ? AND entity = ? AND status = ?",
        [TARGET, ENTITY, REJECTED],
    )
    return {(key, content_hash) for key, content_hash in rows}


def _lay_over_last_sent(warehouse: DuckDBWarehouse, held: Held) -> None:
    if not _outbox_has(warehouse, "last_sent"):
        return
    rows = warehouse.fetch(
        f"SELECT record_key, payload_json, sent_at FROM {OUTBOX_SCHEMA}.last_sent "
        "WHERE target_system = ? AND entity = ?",
        [TARGET, ENTITY],
    )
    for key, payload, sent_at in rows:
        if held.catalog_synced_at is None or sent_at > held.catalog_synced_at:
            held.values.setdefault(key, {}).update(json.loads(payload)["fields"])


def _outbox_has(warehouse: DuckDBWarehouse, table: str) -> bool:
    rows = warehouse.fetch(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [OUTBOX_SCHEMA, table],
    )
    return rows[0][0] > 0
