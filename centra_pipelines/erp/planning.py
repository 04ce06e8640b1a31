"""Plan records of the warehouse for the ERP and upsert them there, batch by batch.

The ERP flows read the warehouse rather than files, so planning streams the source table in
chunks (each chunk mapped and stored in the outbox before the next is read) and keeps only
counts and a short preview in memory. Sending upserts due changes in batches; the ERP takes a
batch in one transaction, so a batch it refuses is halved until the refused records stand alone
and the rest are booked. The refused ones stay failed in the outbox and are sent again, alone, by
the next run.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import dagster as dg

from centra_pipelines.connectors.sql import SqlConnectorError, SqlStatementError, UpsertResult
from centra_pipelines.mapping import MappedRecord, Mapping
from centra_pipelines.outbound import sending
from centra_pipelines.outbound.files import PLAN_CHECK
from centra_pipelines.outbound.outbox import (
    PENDING,
    REJECTED,
    Change,
    Outbox,
    Outcome,
    Planned,
    describe_reasons,
)
from centra_pipelines.warehouse import DuckDBWarehouse

logger = logging.getLogger(__name__)

TARGET = "erp"
# Records mapped and stored in the outbox per step: bounds memory whatever the table's size.
PLAN_CHUNK = 500
# Rows shown in a plan's or a send's preview table.
PREVIEW_ROWS = 20

UpsertBatch = Callable[[list[Planned]], list[UpsertResult]]


@dataclass
class RecordPlan:
    """Counts of one planning run, with the first pending and rejected changes as a preview."""

    rows: int = 0
    would_send: int = 0
    unchanged: int = 0
    rejected: list[Planned] = field(default_factory=list)
    rejected_count: int = 0
    preview: list[Planned] = field(default_factory=list)

    def add(self, stored: list[Planned], unchanged: int, rows: int) -> None:
        self.rows += rows
        self.unchanged += unchanged
        pending = [item for item in stored if item.status == PENDING]
        refused = [item for item in stored if item.status == REJECTED]
        self.would_send += len(pending)
        self.rejected_count += len(refused)
        self.rejected += refused[: PREVIEW_ROWS - len(self.rejected)]
        self.preview += pending[: PREVIEW_ROWS - len(self.preview)]

    def metadata(self, table: Callable[[list[Planned]], str]) -> dict[str, Any]:
        """What the planning asset shows: counts, and what would be sent (the dry run)."""
        return {
            "dagster/row_count": self.rows,
            "would_send": self.would_send,
            "unchanged": self.unchanged,
            "rejected": self.rejected_count,
            "preview": dg.MetadataValue.md(table(self.preview + self.rejected)),
        }

    def check(self) -> dg.AssetCheckResult:
        """Passes when every record mapped; a failure stops the send in the same run."""
        return dg.AssetCheckResult(
            check_name=PLAN_CHECK,
            passed=self.rejected_count == 0,
            metadata={
                "rejected": self.rejected_count,
                "reasons": describe_reasons(self.rejected) or "none",
            },
        )


def plan_changes(
    outbox: Outbox, changes: Iterable[Change], run_id: str, *, chunk: int = PLAN_CHUNK
) -> RecordPlan:
    """Store changes in the outbox chunk by chunk, so a whole table is never held in memory."""
    plan = RecordPlan()
    stream = iter(changes)
    while part := list(islice(stream, chunk)):
        stored, unchanged = outbox.plan(part, run_id)
        plan.add(stored, unchanged, len(part))
    return plan


def mapped_change(
    entity: str, mapping: Mapping, mapped: MappedRecord, key: str, source: str
) -> Change:
    """A change holding every column of the mapping, rejected with the mapping's problems."""
    reason = "; ".join(f"{problem.field}: {problem.reason}" for problem in mapped.problems)
    return Change(TARGET, entity, key, erp_row(mapping, mapped.values), source, reason or None)


def erp_row(mapping: Mapping, values: dict[str, Any]) -> dict[str, Any]:
    """Every column the mapping writes, None where the source had no value.

    The engine leaves absent values out, but an upsert needs the same columns in every row, and
    the warehouse row is the whole truth: a value it lacks is empty in the ERP too.
    """
    return {column: values.get(column) for column in mapping_columns(mapping)}


def mapping_columns(mapping: Mapping) -> list[str]:
    columns = [rule.target for rule in mapping.fields]
    columns += [rule.currency.rate_target for rule in mapping.fields if _rate_target(rule)]
    if mapping.custom_attributes is not None:
        columns.append(mapping.custom_attributes.target)
    return columns


def _rate_target(rule) -> bool:
    return rule.currency is not None and rule.currency.rate_target is not None


def fetch_records(warehouse: DuckDBWarehouse, sql: str, parameters: list) -> list[dict]:
    """Rows of a read-only warehouse query as dicts keyed by column name."""
    with warehouse.connect() as connection:
        cursor = connection.execute(sql, parameters)
        columns = [description[0] for description in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def keyset_chunks(
    warehouse: DuckDBWarehouse, table: str, key: str, where: str = "TRUE", chunk: int = PLAN_CHUNK
) -> Iterator[list[dict]]:
    """A table's rows in chunks ordered by an integer key, one query per chunk.

    Reading by key range holds one chunk in memory, and rows written meanwhile by the plan (the
    outbox lives in the same database) cannot shift a cursor's position.
    """
    last = None
    while True:
        after = "" if last is None else f" AND {key} > ?"
        rows = fetch_records(
            warehouse,
            f"SELECT * FROM {table} WHERE ({where}){after} ORDER BY {key} LIMIT {int(chunk)}",
            [] if last is None else [last],
        )
        if not rows:
            return
        yield rows
        last = rows[-1][key]


@dataclass
class SendResult:
    """What a sending asset did: outbox outcome and the ERP's own row counts."""

    outcome: Outcome
    inserted: int = 0
    updated: int = 0
    unchanged_rows: int = 0

    def count(self, results: list[UpsertResult]) -> None:
        for result in results:
            self.inserted += result.inserted
            self.updated += result.updated
            self.unchanged_rows += result.unchanged

    def metadata(self, table: Callable[[list[Planned]], str]) -> dict[str, Any]:
        return {
            "sent": len(self.outcome.sent),
            "unchanged": len(self.outcome.unchanged),
            "failed": len(self.outcome.failed),
            "erp/rows_inserted": self.inserted,
            "erp/rows_updated": self.updated,
            "erp/rows_unchanged": self.unchanged_rows,
            "preview": dg.MetadataValue.md(table(self.outcome.sent[:PREVIEW_ROWS])),
        }


def send_due(
    context: dg.AssetExecutionContext,
    outbox: Outbox,
    entity: str,
    upsert: UpsertBatch,
    *,
    batch_size: int,
) -> SendResult:
    """Upsert the due changes of one entity into the ERP, recording each batch as it is done."""
    result = SendResult(Outcome())
    result.outcome, _ = sending.send_due(
        context,
        outbox,
        TARGET,
        entity,
        lambda batch: _upsert_batch(context, upsert, batch, result),
        batch_size=batch_size,
    )
    return result


def _upsert_batch(
    context: dg.AssetExecutionContext, upsert: UpsertBatch, batch: list[Planned], result
) -> Outcome:
    try:
        result.count(upsert(batch))
    except SqlStatementError as error:
        if len(batch) == 1:
            return _failed(context, batch, str(error))
        # The ERP refused the batch as a whole; halve it so that only the refused records wait.
        middle = len(batch) // 2
        first = _upsert_batch(context, upsert, batch[:middle], result)
        second = _upsert_batch(context, upsert, batch[middle:], result)
        return Outcome(sent=first.sent + second.sent, failed=first.failed + second.failed)
    except SqlConnectorError as error:
        # Unreachable or misconfigured: halving would only repeat the same error. Unreachable is
        # transient, and a step retry sends the batch again.
        return _failed(context, batch, str(error), error=error)
    return Outcome(sent=list(batch))


def _failed(
    context: dg.AssetExecutionContext,
    batch: list[Planned],
    reason: str,
    *,
    error: Exception | None = None,
) -> Outcome:
    keys = ", ".join(item.change.record_key for item in batch[:5])
    context.log.error("the ERP did not take %d records (%s): %s", len(batch), keys, reason)
    return sending.failed(batch, reason, error=error)


def raise_if_failed(result: SendResult, what: str) -> None:
    """Fail the step naming what the ERP refused; the refused changes stay due."""
    sending.raise_if_failed(
        result.outcome,
        what,
        target="The ERP",
        then="each refused record is sent alone, so fix the cause first",
    )
