"""Products both ways between Centra and the ERP's item master (docs/conflicts.md "Products").

`erp/products_plan` compares each product's name, customs tariff code, country of origin and
weight as the warehouse last synced them from Centra with the ERP's item (mapped with
config/mappings/erp/products.to_centra.yaml), against what the two last agreed on; a field
changed on both sides is settled by conflicts.yaml. `erp/products_sent_to_centra` sends Centra's
share with `updateProduct`, one product per call (the API has no batch form);
`erp/products_sent_to_erp` upserts the ERP's share, creating items for products new in Centra.

Records are keyed by product number: the ERP's item number is Centra's product number, it exists
on both sides before either creates anything, and updateProduct cannot change it. An item only
the ERP has is not created in Centra: a Centra product needs variants and sizes the item master
does not hold, so such items are listed by the conflicts check until someone creates them.
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraError
from centra_pipelines.config.conflicts import CENTRA
from centra_pipelines.connectors.sql import SqlDatabase
from centra_pipelines.erp.prices import product_ids
from centra_pipelines.erp.two_way import (
    ERP,
    Sides,
    describe_fields,
    erp_row,
    erp_rows,
    plan_both_ways,
    send_rows_to_erp,
    send_to_centra,
)
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.conflicts import SyncLedger, conflicts_check_spec
from centra_pipelines.outbound.outbox import Change, Outcome, Planned
from centra_pipelines.outbound.reconcile import Side
from centra_pipelines.outbound.sending import failed
from centra_pipelines.warehouse import DuckDBWarehouse

ENTITY = "products"
ERP_TABLE, ERP_KEY = "erp.items", ("item_number",)
FROM_ERP = load_mappings()["erp", "products", "to_centra"]
TO_ERP = load_mappings()["erp", "products", "to_system"]

# Exact by definition (international pound, 1959).
KILOGRAMS_PER_POUND = Decimal("0.45359237")
WEIGHT_PLACES = Decimal("0.001")

UPDATE_PRODUCT = """
mutation UpdateProductFromErp($id: Int!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) {
    product { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""


@plan_asset(
    ["erp", "products_plan"],
    deps=[dg.AssetKey(["centra", "products"])],
    check="Every ERP item maps to the shared vocabulary; when not, nothing is sent either way.",
    more_checks=[conflicts_check_spec(["erp", "products_plan"], ENTITY)],
    description="Products compared between Centra and the ERP's items, planned both ways "
    "(the dry run).",
)
def erp_products_plan(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    sides = Sides(centra=centra_products(warehouse))
    for row in erp_rows(erp_database, ERP_TABLE):
        _add_erp_item(sides, row)

    # Items new in the ERP are left out of the comparison: it would plan their creation in
    # Centra, which this flow cannot do faithfully (see the module docstring).
    agreed = SyncLedger(warehouse).agreed(ENTITY, ERP)
    unmatched = sorted(key for key in sides.erp if key not in sides.centra and key not in agreed)
    for key in unmatched:
        del sides.erp[key]
    if unmatched:
        context.log.warning(
            "%d items exist only in the ERP (%s); create them in Centra with their variants and "
            "sizes, and the next run will compare them",
            len(unmatched),
            ", ".join(unmatched[:5]),
        )
    yield from plan_both_ways(context, warehouse, ENTITY, sides, describe_fields, unmatched)


@send_asset(
    ["erp", "products_sent_to_centra"],
    plan=erp_products_plan,
    description="Product fields the ERP changed, sent to Centra with updateProduct.",
)
def erp_products_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    ids = product_ids(warehouse)

    def send(items: list[Planned]) -> Outcome:
        return _update_product(context, centra, items[0], ids)

    # One product per batch: updateProduct takes one product.
    return send_to_centra(context, centra, warehouse, ENTITY, send, describe_fields, batch_size=1)


@send_asset(
    ["erp", "products_sent_to_erp"],
    plan=erp_products_plan,
    description="Products changed or new in Centra, upserted into the ERP's item master.",
)
def erp_products_sent_to_erp(
    context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    return send_rows_to_erp(
        context,
        erp_database,
        warehouse,
        ENTITY,
        _erp_item_row,
        describe_fields,
        table=ERP_TABLE,
        key=ERP_KEY,
    )


def centra_products(warehouse: DuckDBWarehouse) -> dict[str, Side]:
    """One side per product as last synced, with Centra's updatedAt for newest-wins."""
    rows = warehouse.fetch(
        "SELECT product_number, name, harmonized_commodity_code, country_of_origin, weight_value, "
        f"weight_unit, updated_at, _synced_at FROM {tables.products.spec.qualified_name}"
    )
    sides = {}
    for number, name, code, country, weight, unit, updated_at, synced_at in rows:
        values = {
            "name": name,
            "harmonized_commodity_code": code,
            "country_of_origin": country,
            "weight_kg": kilograms(weight, unit),
        }
        sides[number] = Side(CENTRA, values, updated_at=updated_at, read_at=synced_at)
    return sides


def kilograms(value: Decimal | None, unit: str | None) -> Decimal | None:
    """A Centra weight in kilograms at three places (Centra's own precision)."""
    if value is None:
        return None
    factor = KILOGRAMS_PER_POUND if unit == "POUNDS" else Decimal(1)
    return (Decimal(value) * factor).quantize(WEIGHT_PLACES)


def _add_erp_item(sides: Sides, row: dict[str, Any]) -> None:
    mapped = apply(FROM_ERP, row)
    if mapped.problems:
        reason = "; ".join(f"{p.field}: {p.reason}" for p in mapped.problems)
        key = str(row.get("item_number"))
        sides.rejected.append(Change(CENTRA, ENTITY, key, {"erp_row": key}, ERP_TABLE, reason))
        return
    values = mapped.values
    shared = {
        name: values.get(name)
        for name in ("name", "harmonized_commodity_code", "country_of_origin", "weight_kg")
    }
    sides.erp[values["product_number"]] = Side(ERP, shared, updated_at=row.get("updated_at"))


def _erp_item_row(item: Planned, current: dict) -> dict[str, Any]:
    values = {"product_number": item.change.record_key, **item.change.payload["fields"]}
    return erp_row(TO_ERP, values, current, ERP_KEY)


def _update_product(
    context: dg.AssetExecutionContext, centra: CentraClient, item: Planned, ids: dict[str, int]
) -> Outcome:
    product_id = ids.get(item.change.record_key)
    if product_id is None:
        return _failed(context, item, "no such product number in Centra (synced catalogue)")
    product_input = centra_input(item.change.payload["fields"])
    if not product_input:
        # Only emptied fields: updateProduct cannot empty them (docs/conflicts.md).
        return Outcome(sent=[item])
    try:
        centra.mutate(
            UPDATE_PRODUCT,
            payload_field="updateProduct",
            variables={"id": product_id, "input": product_input},
        )
    except CentraError as error:
        # Field values are absolute, so a product whose answer was lost is safe to send again.
        return _failed(context, item, str(error))
    return Outcome(sent=[item])


def centra_input(fields: dict[str, Any]) -> dict[str, Any]:
    """ProductUpdateInput of the shared fields that have a value."""
    product_input: dict[str, Any] = {}
    if fields.get("name") is not None:
        product_input["name"] = fields["name"]
    if fields.get("harmonized_commodity_code") is not None:
        product_input["harmonizedCommodityCode"] = fields["harmonized_commodity_code"]
    if fields.get("country_of_origin") is not None:
        product_input["countryOfOrigin"] = {"code": fields["country_of_origin"]}
    if fields.get("weight_kg") is not None:
        # WeightInput takes a Float; Centra keeps three decimals, which the float round-trips.
        product_input["weight"] = {"value": float(fields["weight_kg"]), "unit": "KILOGRAMS"}
    return product_input


def _failed(context, item: Planned, reason: str) -> Outcome:
    context.log.error("Centra did not take product %s: %s", item.change.record_key, reason)
    return failed([item], reason)
