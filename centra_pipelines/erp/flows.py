"""A plan and a send asset for a flow that maps one warehouse row to one ERP row.

Payments and credit notes differ only in which rows they read, the mapping and the ERP table, so
both are built here from a `RowFlow`; the orders flow, which joins lines and attributes to each
order, is written out in orders.py.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg

from centra_pipelines.connectors.sql import SqlDatabase, UpsertResult
from centra_pipelines.erp.planning import (
    PREVIEW_ROWS,
    keyset_chunks,
    mapped_change,
    plan_changes,
    raise_if_failed,
    send_due,
)
from centra_pipelines.mapping import Mapping, apply
from centra_pipelines.outbound import assets as outbound_assets
from centra_pipelines.outbound.outbox import Change, Outbox, Planned
from centra_pipelines.warehouse import DuckDBWarehouse, TableSpec


@dataclass(frozen=True)
class RowFlow:
    """One warehouse row becomes one ERP row, keyed by the source's integer id."""

    entity: str  # outbox entity and asset name: erp/<entity>_plan, erp/<entity>_sent_to_erp
    what: str  # plural noun for logs and messages
    source: TableSpec
    source_key: str
    where: str  # SQL condition on the source rows that belong to this flow
    mapping: Mapping
    erp_table: str
    deps: tuple[dg.AssetKey, ...]
    preview_columns: tuple[str, ...]
    rows_per_batch: int = 500


def build_row_flow(flow: RowFlow) -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """The plan asset (the dry run, with its blocking check) and the send asset of a flow."""
    plan_key = ["erp", f"{flow.entity}_plan"]

    @outbound_assets.plan_asset(
        plan_key,
        deps=flow.deps,
        check=f"Every one of the warehouse's {flow.what} mapped to the ERP; when not, "
        "nothing is sent to the ERP.",
        description=f"The warehouse's {flow.what}, planned for {flow.erp_table} (the dry run).",
    )
    def plan_asset(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        exists = warehouse.table_exists(flow.source)
        if not exists:
            context.log.warning("the warehouse holds no %s yet; sync Centra first", flow.what)
        changes = _changes(flow, warehouse) if exists else []
        plan = plan_changes(Outbox(warehouse), changes, context.run.run_id)

        context.log.info(
            "%d %s: %d would be sent, %d unchanged, %d rejected",
            plan.rows,
            flow.what,
            plan.would_send,
            plan.unchanged,
            plan.rejected_count,
        )
        yield dg.MaterializeResult(metadata=plan.metadata(lambda items: _table(flow, items)))
        yield plan.check()

    @outbound_assets.send_asset(
        ["erp", f"{flow.entity}_sent_to_erp"],
        plan=plan_asset,
        description=f"Planned {flow.what} upserted into {flow.erp_table}.",
    )
    def send_asset(
        context: dg.AssetExecutionContext, erp_database: SqlDatabase, warehouse: DuckDBWarehouse
    ) -> dg.MaterializeResult:
        result = send_due(
            context,
            Outbox(warehouse),
            flow.entity,
            lambda batch: _upsert(flow, erp_database, batch),
            batch_size=flow.rows_per_batch,
        )
        raise_if_failed(result, flow.what)
        return dg.MaterializeResult(metadata=result.metadata(lambda items: _table(flow, items)))

    return plan_asset, send_asset


def _changes(flow: RowFlow, warehouse: DuckDBWarehouse) -> Iterator[Change]:
    source = flow.source.qualified_name
    for rows in keyset_chunks(warehouse, source, flow.source_key, flow.where):
        for row in rows:
            key = str(row[flow.source_key])
            mapped = apply(flow.mapping, row)
            yield mapped_change(flow.entity, flow.mapping, mapped, key, f"{flow.entity} {key}")


def _upsert(flow: RowFlow, erp: SqlDatabase, batch: list[Planned]) -> list[UpsertResult]:
    return [erp.upsert(flow.erp_table, [item.change.payload for item in batch], ["external_id"])]


def _table(flow: RowFlow, planned: list[Planned]) -> str:
    columns = flow.preview_columns
    rows = [
        "| " + " | ".join(columns) + " | reason |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for item in planned[: 2 * PREVIEW_ROWS]:
        cells = [str(item.change.payload.get(column, "")) for column in columns]
        rows.append("| " + " | ".join(cells) + f" | {item.reason or ''} |")
    return "\n".join(rows)
