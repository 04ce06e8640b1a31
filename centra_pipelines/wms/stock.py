"""Stock from the WMS to Centra: absolute levels, sent only for the sizes that changed.

`wms/stock_plan` claims the WMS's stock files, maps each row with `config/mappings/wms/stock.yaml`,
checks it against what the warehouse knows of Centra (the SKU and the warehouse must exist) and
stores one planned change per warehouse and SKU in the outbox. Its blocking check fails when a row
could not be planned, so nothing is sent from a file with a bad row until someone has looked.
`wms/stock_sent_to_centra` then sends the planned levels with `setStock` (physical quantities, a
mutation per warehouse and batch of sizes), leaving out sizes whose level Centra already got from
us. Materializing the plan alone is the dry run: its metadata lists what would be sent.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraUserErrors
from centra_pipelines.connectors.files import ClaimedFile, FileExchange
from centra_pipelines.mapping import apply, load_mappings
from centra_pipelines.outbound.outbox import Change, Outbox, Outcome, Planned, batches
from centra_pipelines.warehouse import DuckDBWarehouse

GROUP = "wms"
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

PLAN_CHECK = "every_row_planned"


@dg.asset(
    key=["wms", "stock_plan"],
    group_name=GROUP,
    deps=[dg.AssetKey(["centra", "product_sizes"]), dg.AssetKey(["centra", "warehouses"])],
    check_specs=[
        dg.AssetCheckSpec(
            PLAN_CHECK,
            asset=dg.AssetKey(["wms", "stock_plan"]),
            blocking=True,
            description="Every row of the claimed stock files mapped to a known SKU and "
            "warehouse; when not, nothing is sent to Centra.",
        )
    ],
    description="Stock levels from the WMS's files, planned for Centra (the dry run).",
)
def wms_stock_plan(
    context: dg.AssetExecutionContext, wms_files: FileExchange, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    outbox = Outbox(warehouse)
    known = _known_skus(warehouse), _known_warehouses(warehouse)
    changes, files = [], []
    for claimed in wms_files.claim():
        changes += list(_file_changes(claimed, *known))
        files.append(claimed.name)
        wms_files.done(claimed)

    planned, unchanged = outbox.plan(changes, context.run.run_id)
    would_send = [p for p in planned if p.reason is None]
    rejected = [p for p in planned if p.reason is not None]
    context.log.info(
        "%d stock files, %d rows: %d would be sent, %d unchanged, %d rejected",
        len(files),
        len(changes),
        len(would_send),
        unchanged,
        len(rejected),
    )

    yield dg.MaterializeResult(
        metadata={
            "files": ", ".join(files) or "none",
            "rows": len(changes),
            "would_send": len(would_send),
            "unchanged": unchanged,
            "rejected": len(rejected),
            "preview": dg.MetadataValue.md(_table(would_send[:20] + rejected[:20])),
        }
    )
    yield dg.AssetCheckResult(
        check_name=PLAN_CHECK,
        passed=not rejected,
        metadata={"rejected": len(rejected), "reasons": _reasons(rejected)},
    )


@dg.asset(
    key=["wms", "stock_sent_to_centra"],
    group_name=GROUP,
    deps=[wms_stock_plan],
    description="Planned stock levels sent to Centra with setStock, changed sizes only.",
)
def wms_stock_sent_to_centra(
    context: dg.AssetExecutionContext, centra: CentraClient, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    outbox = Outbox(warehouse)
    due = outbox.due(TARGET, ENTITY)
    superseded = outbox.superseded(TARGET, ENTITY, due, context.run.run_id)
    needed, unchanged = outbox.split_unchanged(due)

    outcome = Outcome(unchanged=unchanged)
    with centra.measure() as cost:
        for warehouse_id, sizes in _by_warehouse(needed).items():
            for batch in batches(sizes, SIZES_PER_MUTATION):
                _send_batch(context, centra, warehouse_id, batch, outcome)
    outbox.record(outcome, context.run.run_id)

    if outcome.failed:
        raise dg.Failure(
            f"Centra refused {len(outcome.failed)} stock levels ({_reasons(outcome.failed)}); "
            f"{len(outcome.sent)} were sent. The refused ones stay planned and are sent again "
            "by the next run; fix the cause first (see outbound.planned for each reason).",
        )
    return dg.MaterializeResult(
        metadata={
            "sent": len(outcome.sent),
            "unchanged": len(outcome.unchanged),
            "superseded": superseded,
            "api/mutations": cost.mutations,
            "preview": dg.MetadataValue.md(_table(outcome.sent[:20])),
        }
    )


def _file_changes(
    claimed: ClaimedFile, skus: set[str], warehouse_ids: set[int]
) -> Iterator[Change]:
    for row_number, record in enumerate(claimed.records, start=2):  # line 1 is the header
        mapped = apply(STOCK_MAPPING, record)
        values = mapped.values
        reason = "; ".join(f"{p.field}: {p.reason}" for p in mapped.problems) or None
        if reason is None and values["sku"] not in skus:
            reason = f"SKU {values['sku']!r} is not a size Centra has"
        if reason is None and values["warehouse_id"] not in warehouse_ids:
            reason = f"warehouse {values['warehouse_id']} is not one Centra has"

        key = f"{values.get('warehouse_id')}|{values.get('sku')}"
        payload = {k: values.get(k) for k in ("warehouse_id", "sku", "quantity")}
        yield Change(TARGET, ENTITY, key, payload, f"{claimed.name}:{row_number}", reason)


def _send_batch(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse_id: int,
    batch: list[Planned],
    outcome: Outcome,
) -> None:
    stock_input = {
        "warehouse": {"id": warehouse_id},
        "description": f"WMS stock levels, run {context.run.run_id}",
        "stockQuantityType": "PHYSICAL",
        "productSizes": [
            {
                "productSize": {"SKU": p.change.payload["sku"]},
                "quantity": p.change.payload["quantity"],
            }
            for p in batch
        ],
    }
    try:
        centra.mutate(SET_STOCK, payload_field="setStock", variables={"input": stock_input})
    except CentraUserErrors as error:
        # setStock applies all sizes or none, so the whole batch is kept for the next run.
        for planned in batch:
            planned.reason = str(error)[:500]
        outcome.failed += batch
        context.log.error("Centra refused stock for warehouse %s: %s", warehouse_id, error)
        return
    outcome.sent += batch


def _by_warehouse(planned: list[Planned]) -> dict[int, list[Planned]]:
    grouped: dict[int, list[Planned]] = {}
    for item in planned:
        grouped.setdefault(item.change.payload["warehouse_id"], []).append(item)
    return grouped


def _known_skus(warehouse: DuckDBWarehouse) -> set[str]:
    return {
        row[0] for row in warehouse.fetch(f"SELECT sku FROM {_table_name(tables.product_sizes)}")
    }


def _known_warehouses(warehouse: DuckDBWarehouse) -> set[int]:
    return {row[0] for row in warehouse.fetch(f"SELECT id FROM {_table_name(tables.warehouses)}")}


def _table_name(table) -> str:
    return table.spec.qualified_name


def _reasons(planned: list[Planned]) -> str:
    shown = [f"{p.change.source}: {p.reason}" for p in planned[:10]]
    more = f" (+{len(planned) - 10} more)" if len(planned) > 10 else ""
    return "; ".join(shown) + more


def _table(planned: list[Planned]) -> str:
    lines = ["| warehouse | SKU | quantity | source | reason |", "|---|---|---|---|---|"]
    for item in planned:
        payload: dict[str, Any] = item.change.payload
        lines.append(
            f"| {payload.get('warehouse_id')} | {payload.get('sku')} | {payload.get('quantity')} "
            f"| {item.change.source} | {item.reason or ''} |"
        )
    return "\n".join(lines)
