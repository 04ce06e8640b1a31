"""Stock from the WMS to Centra: absolute levels, sent only for the sizes that changed.

`wms/stock_plan` claims the WMS's stock files, maps each row with `config/mappings/wms/stock.yaml`,
checks it against what the warehouse knows of Centra (the SKU and the warehouse must exist) and
stores one planned change per warehouse and SKU in the outbox. Its blocking check fails when a row
could not be planned, so nothing is sent from a file with a bad row until someone has looked.
A SKU and warehouse listed twice in one file is planned with the later line's level, counted in
the metadata (`duplicates`) and logged with both line numbers.
`wms/stock_sent_to_centra` then sends the planned levels with `setStock` (physical quantities, a
mutation per warehouse and batch of sizes), leaving out sizes whose level Centra already got from
us. Materializing the plan alone is the dry run: its metadata lists what would be sent.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.connectors.files import ClaimedFile, FileExchange
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset, send_asset
from centra_pipelines.outbound.files import plan_waiting_files
from centra_pipelines.outbound.outbox import (
    HELD,
    PENDING,
    REJECTED,
    Change,
    Outbox,
    Outcome,
    Planned,
)
from centra_pipelines.outbound.sending import failed, raise_if_failed, send_all_or_none, send_due
from centra_pipelines.warehouse import DuckDBWarehouse

TARGET, ENTITY = "centra", "stock"
# Sizes per setStock call: one mutation token each call, whatever its size (digest §2.1).
SIZES_PER_MUTATION = 100

# Every mapping file is loaded when definitions load, so a bad one (this flow's or another's)
# stops them with its file, line and reason instead of failing a run later.
STOCK_MAPPING = load_mappings()["wms", "stock", "to_centra"]

SET_STOCK = """
mutation SetStockFromWms($input: StockSetInput!) {
  setStock(input: $input) {
    stockChanges { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""


@plan_asset(
    ["wms", "stock_plan"],
    deps=[dg.AssetKey(["centra", "product_sizes"]), dg.AssetKey(["centra", "warehouses"])],
    check="Every row of the claimed stock files mapped to a known SKU and warehouse; when "
    "not, nothing is sent to Centra.",
    description="Stock levels from the WMS's files, planned for Centra (the dry run).",
)
def wms_stock_plan(
    context: dg.AssetExecutionContext, wms_files: FileExchange, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    known = _known_skus(warehouse), _known_warehouses(warehouse)
    duplicates: list[Duplicate] = []
    plan = plan_waiting_files(
        wms_files,
        Outbox(warehouse),
        pattern="stock*",
        run_id=context.run.run_id,
        changes_of=lambda claimed: _file_changes(claimed, *known, duplicates),
    )
    _log_duplicates(context, duplicates)

    context.log.info(
        "%d stock files, %d rows: %d would be sent, %d unchanged, %d held, %d rejected",
        len(plan.files),
        plan.rows,
        len(plan.with_status(PENDING)),
        plan.unchanged,
        len(plan.with_status(HELD)),
        len(plan.with_status(REJECTED)),
    )
    yield from plan.results(_table, duplicates=len(duplicates))


@send_asset(
    ["wms", "stock_sent_to_centra"],
    plan=wms_stock_plan,
    description="Planned stock levels sent to Centra with setStock, changed sizes only.",
)
def wms_stock_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    outcome, metadata = send_due(
        context,
        Outbox(warehouse),
        TARGET,
        ENTITY,
        lambda batch: _send_batch(context, centra, batch),
        batch_size=SIZES_PER_MUTATION,
        group_by=lambda item: item.change.payload["warehouse_id"],
        centra=centra,
        preview=_table,
    )
    raise_if_failed(outcome, "stock levels")
    return dg.MaterializeResult(metadata=metadata)


class Duplicate(NamedTuple):
    """A SKU and warehouse a stock file lists again: the later line's level is the one planned."""

    file: str
    sku: str
    warehouse_id: int
    first_line: int
    later_line: int


def _file_changes(
    claimed: ClaimedFile, skus: set[str], warehouse_ids: set[int], duplicates: list[Duplicate]
) -> Iterator[Change]:
    lines: dict[str, int] = {}
    for row_number, record in enumerate(claimed.records, start=2):  # line 1 is the header
        mapped = apply(STOCK_MAPPING, record)
        values = mapped.values
        reason = "; ".join(f"{p.field}: {p.reason}" for p in mapped.problems) or None
        if reason is None and values["sku"] not in skus:
            reason = f"SKU {values['sku']!r} is not a size Centra has"
        if reason is None and values["warehouse_id"] not in warehouse_ids:
            reason = f"warehouse {values['warehouse_id']} is not one Centra has"
        if reason is None and values["quantity"] < 0:
            reason = f"quantity {values['quantity']} is below 0; Centra takes 0 or more"

        key = f"{values.get('warehouse_id')}|{values.get('sku')}"
        if reason is None and key in lines:
            duplicates.append(
                Duplicate(
                    claimed.name, values["sku"], values["warehouse_id"], lines[key], row_number
                )
            )
        if reason is None:
            lines[key] = row_number
        payload = {k: values.get(k) for k in ("warehouse_id", "sku", "quantity")}
        yield Change(TARGET, ENTITY, key, payload, f"{claimed.name}:{row_number}", reason)


def _log_duplicates(context: dg.AssetExecutionContext, duplicates: list[Duplicate]) -> None:
    # The outbox keeps the last change of a record in a batch, so the later line wins.
    for found in duplicates:
        context.log.warning(
            "%s: SKU %s in warehouse %s is on lines %d and %d; line %d's level is planned. Ask "
            "the WMS for one row per SKU and warehouse if the earlier line was the right one.",
            found.file,
            found.sku,
            found.warehouse_id,
            found.first_line,
            found.later_line,
            found.later_line,
        )


def _send_batch(context, centra: CentraClient, batch: list[Planned]) -> Outcome:
    """One setStock call for one warehouse; setStock applies all sizes or none."""
    warehouse_id = batch[0].change.payload["warehouse_id"]

    def fail(items: list[Planned], reason: str) -> Outcome:
        context.log.error("Centra did not take stock for warehouse %s: %s", warehouse_id, reason)
        return failed(items, reason)

    # Absolute levels: sending them again after a refused or unanswered call is safe.
    return send_all_or_none(
        batch, lambda items: _set_stock(context, centra, warehouse_id, items), "productSizes", fail
    )


def _set_stock(context, centra: CentraClient, warehouse_id: int, batch: list[Planned]) -> None:
    sizes = [
        {
            "productSize": {"SKU": item.change.payload["sku"]},
            "quantity": item.change.payload["quantity"],
        }
        for item in batch
    ]
    stock_input = {
        "warehouse": {"id": warehouse_id},
        "description": f"WMS stock levels, run {context.run.run_id}",
        "stockQuantityType": "PHYSICAL",
        "productSizes": sizes,
    }
    centra.mutate(SET_STOCK, payload_field="setStock", variables={"input": stock_input})


def _known_skus(warehouse: DuckDBWarehouse) -> set[str]:
    return {
        row[0] for row in warehouse.fetch(f"SELECT sku FROM {_table_name(tables.product_sizes)}")
    }


def _known_warehouses(warehouse: DuckDBWarehouse) -> set[int]:
    return {row[0] for row in warehouse.fetch(f"SELECT id FROM {_table_name(tables.warehouses)}")}


def _table_name(table) -> str:
    return table.spec.qualified_name


def _table(planned: list[Planned]) -> str:
    lines = ["| warehouse | SKU | quantity | source | reason |", "|---|---|---|---|---|"]
    for item in planned:
        payload: dict[str, Any] = item.change.payload
        lines.append(
            f"| {payload.get('warehouse_id')} | {payload.get('sku')} | {payload.get('quantity')} "
            f"| {item.change.source} | {item.reason or ''} |"
        )
    return "\n".join(lines)
