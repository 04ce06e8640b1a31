"""What the ERP's two-way flows (customers, prices, products) share (docs/conflicts.md).

Each of them brings both sides into one vocabulary (`Sides`), plans the writes both ways with
`outbound.plan_two_way`, sends Centra's share to Centra and the ERP's share to the ERP, and tells
the agreement ledger what each side now holds, so that the next comparison starts from there.
"""

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.config.conflicts import CENTRA, load_conflict_config
from centra_pipelines.connectors.sql import SqlDatabase, UpsertResult
from centra_pipelines.erp.planning import (
    PREVIEW_ROWS,
    UpsertBatch,
    mapping_columns,
    raise_if_failed,
    send_due,
)
from centra_pipelines.mapping import Mapping, apply
from centra_pipelines.outbound import sending
from centra_pipelines.outbound.conflicts import (
    SyncLedger,
    TwoWayPlan,
    after_sent,
    conflicts_check,
    conflicts_table,
    plan_two_way,
)
from centra_pipelines.outbound.files import PLAN_CHECK
from centra_pipelines.outbound.outbox import (
    PENDING,
    Change,
    Outbox,
    Outcome,
    Planned,
    describe_reasons,
)
from centra_pipelines.outbound.reconcile import Side
from centra_pipelines.warehouse import DuckDBWarehouse

ERP = "erp"
# ERP rows per upsert: one ERP transaction each.
ERP_BATCH = 500

Describe = Callable[[dict[str, Any]], str]


@dataclass
class Sides:
    """Both sides of an entity in the shared vocabulary, and the records that could not join."""

    centra: dict[str, Side] = field(default_factory=dict)
    erp: dict[str, Side] = field(default_factory=dict)
    rejected: list[Change] = field(default_factory=list)

    def leave_out(self, key: str) -> None:
        """Keep a record out of this comparison on both sides."""
        self.centra.pop(key, None)
        self.erp.pop(key, None)


def erp_rows(erp_database: SqlDatabase, table: str) -> Iterator[dict[str, Any]]:
    for batch in erp_database.read(table):
        yield from batch


def describe_fields(fields: dict[str, Any]) -> str:
    """A write's fields with their values, for preview tables."""
    return ", ".join(f"{name} {value}" for name, value in sorted(fields.items()))


# --- planning both ways ---------------------------------------------------------------------


def plan_both_ways(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBWarehouse,
    entity: str,
    sides: Sides,
    describe: Describe,
    unmatched: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Plan the writes both ways and yield the materialization, the plan check and conflicts.

    `metadata` is added to the materialization's (what the entity left out of the comparison).
    """
    run_id = context.run.run_id
    outbox, ledger = Outbox(warehouse), SyncLedger(warehouse)
    policies = load_conflict_config().for_entity(entity)
    plan = plan_two_way(ledger, outbox, entity, policies, sides.centra, sides.erp, run_id)
    # Their own id prefix: change ids are `<prefix>:<position>` and the plan used the run id.
    rejected, _ = outbox.plan(sides.rejected, f"{run_id}:rejected")

    to_centra, to_erp = plan.writes_to(CENTRA), plan.writes_to(policies.other_system)
    context.log.info(
        "%s: %d in Centra, %d in the ERP; %d writes to Centra, %d to the ERP, %d unchanged, "
        "%d conflicts (%d held), %d ERP rows rejected",
        entity,
        len(sides.centra),
        len(sides.erp),
        len(to_centra),
        len(to_erp),
        plan.unchanged,
        len(plan.conflicts),
        sum(1 for _, conflict in plan.conflicts if conflict.held),
        len(rejected),
    )
    yield dg.MaterializeResult(
        metadata={**_plan_metadata(plan, rejected, describe), **(metadata or {})}
    )
    yield plan_check(rejected)
    yield _conflicts_check(plan, ledger, unmatched or [])


def _plan_metadata(plan: TwoWayPlan, rejected: list[Planned], describe) -> dict[str, Any]:
    pending = [item for item in plan.planned if item.status == PENDING]
    return {
        "would_send": len(pending),
        "to_centra": len(plan.writes_to(CENTRA)),
        "to_erp": len(plan.writes_to(plan.other_system)),
        "unchanged": plan.unchanged,
        "conflicts": len(plan.conflicts),
        "rejected": len(rejected),
        "preview": dg.MetadataValue.md(writes_table(pending[:PREVIEW_ROWS], describe)),
        "conflicts_preview": dg.MetadataValue.md(conflicts_table(plan, plan.other_system)),
    }


def plan_check(rejected: list[Planned]) -> dg.AssetCheckResult:
    """Passes when every record of both sides joined the comparison."""
    return dg.AssetCheckResult(
        check_name=PLAN_CHECK,
        passed=not rejected,
        metadata={"rejected": len(rejected), "reasons": describe_reasons(rejected) or "none"},
    )


def _conflicts_check(plan: TwoWayPlan, ledger: SyncLedger, unmatched: list[str]):
    """The core's conflicts check, also warning about ERP records nothing can be written to."""
    result = conflicts_check(plan, ledger)
    if not unmatched:
        return result
    return dg.AssetCheckResult(
        check_name=result.check_name,
        passed=False,
        severity=result.severity,
        metadata={
            **result.metadata,
            "erp_only": len(unmatched),
            "erp_only_records": ", ".join(unmatched[:PREVIEW_ROWS]),
        },
    )


def writes_table(planned: list[Planned], describe: Describe) -> str:
    lines = ["| to | record | create | fields |", "|---|---|---|---|"]
    for item in planned:
        payload = item.change.payload
        lines.append(
            f"| {item.change.target_system} | {item.change.record_key} "
            f"| {'yes' if payload['create'] else ''} | {describe(payload['fields'])} |"
        )
    return "\n".join(lines)


# --- sending ----------------------------------------------------------------------------------


def send_to_centra(
    context: dg.AssetExecutionContext,
    centra: CentraClient,
    warehouse: DuckDBWarehouse,
    entity: str,
    send: sending.SendBatch,
    describe: Describe,
    *,
    batch_size: int,
    group_by: Callable[[Planned], Hashable] | None = None,
) -> dg.MaterializeResult:
    """Send the due writes to Centra batch by batch; record each batch and its agreement."""
    run_id, ledger = context.run.run_id, SyncLedger(warehouse)

    def agreed(done: Outcome) -> None:
        after_sent(ledger, entity, ERP, done.sent, run_id)

    outcome, metadata = sending.send_due(
        context,
        Outbox(warehouse),
        CENTRA,
        entity,
        send,
        batch_size=batch_size,
        group_by=group_by,
        centra=centra,
        after_batch=agreed,
        preview=lambda sent: writes_table(sent, describe),
    )
    sending.raise_if_failed(outcome, entity)
    return dg.MaterializeResult(metadata=metadata)


def send_to_erp(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBWarehouse,
    entity: str,
    upsert: UpsertBatch,
    describe: Describe,
    *,
    batch_size: int = ERP_BATCH,
) -> dg.MaterializeResult:
    """Upsert the due writes into the ERP; then the ledger records what the ERP now holds."""
    result = send_due(context, Outbox(warehouse), entity, upsert, batch_size=batch_size)
    after_sent(SyncLedger(warehouse), entity, ERP, result.outcome.sent, context.run.run_id)
    raise_if_failed(result, entity)
    return dg.MaterializeResult(metadata=result.metadata(lambda sent: writes_table(sent, describe)))


def send_rows_to_erp(
    context: dg.AssetExecutionContext,
    erp_database: SqlDatabase,
    warehouse: DuckDBWarehouse,
    entity: str,
    to_row: Callable[[Planned, dict], dict[str, Any]],
    describe: Describe,
    *,
    table: str,
    key: tuple[str, ...],
) -> dg.MaterializeResult:
    """Upsert the due writes into `table`, whole rows: the ERP's other columns are kept."""
    current = {tuple(row[column] for column in key): row for row in erp_rows(erp_database, table)}

    def upsert(batch: list[Planned]) -> list[UpsertResult]:
        rows = [to_row(item, current) for item in batch]
        return [erp_database.upsert(table, rows, key)]

    return send_to_erp(context, warehouse, entity, upsert, describe)


def erp_row(mapping: Mapping, values: dict[str, Any], current: dict, key: tuple) -> dict:
    """The ERP row after the write: its current columns, overwritten by the mapped fields.

    Whole rows, because the ERP's NOT NULL columns must be present even when one field changes.
    """
    mapped = apply(mapping, values)
    if mapped.problems:
        # The plan mapped these same values already; failing here means the mapping changed.
        problems = "; ".join(f"{p.field}: {p.reason}" for p in mapped.problems)
        raise ValueError(f"{values} no longer maps to an ERP row ({problems}); plan again")
    # A field emptied on the other side empties its column; the engine leaves absent values out.
    emptied = {rule.target: None for rule in mapping.fields if rule.source in values}
    existing = current.get(tuple(mapped.values[column] for column in key), {})
    row = {name: value for name, value in existing.items() if name != "updated_at"}
    return {**dict.fromkeys(mapping_columns(mapping)), **row, **emptied, **mapped.values}
