"""Files we write for the WMS: planned in the outbox, written one file per record, atomically.

The flows that send Centra's records to the WMS (orders, return notices) share this: planning
stores one `Change` per record, and sending writes each due change as one file in the WMS
folder's outgoing subfolder. One file per record rather than one per run, so that a file the WMS
refuses holds up one order, a failed write is retried for that record alone, and the outbox's
per-record state (sent, unchanged, failed) is exactly what the folder holds.

File names carry the record key and the first characters of the content hash, so a rerun after
a crash between writing and recording rewrites the same file instead of adding a second one.
"""

from collections.abc import Callable, Iterable, Mapping

import dagster as dg

from centra_pipelines.connectors.files import FileExchange, FileExchangeError
from centra_pipelines.connectors.formats import RecordError
from centra_pipelines.outbound.files import FilePlan
from centra_pipelines.outbound.outbox import (
    SCHEMA,
    Change,
    Outbox,
    Outcome,
    Planned,
)
from centra_pipelines.outbound.sending import raise_if_failed, send_due
from centra_pipelines.warehouse import DuckDBWarehouse

TARGET = "wms"
# Files recorded per outbox transaction: a crash loses at most this many records' state.
FILES_PER_BATCH = 50

# (file name, rows) of one planned record; `first` says the WMS never got this record before.
FileOf = Callable[[Planned, bool], tuple[str, list[dict[str, str]]]]


def plan_records(
    outbox: Outbox,
    changes: Iterable[Change],
    run_id: str,
    *,
    echoes: Iterable[Change] = (),
    echo_reason: str = "",
) -> tuple[FilePlan, list[Planned]]:
    """Store the changes of a run in the outbox; the plan carries metadata and the check.

    `echoes` (some of `changes`) show the WMS only what it asked Centra for itself: they are
    recorded as what the WMS holds and counted unchanged, and no file is written for them, now
    or later. Returns the plan and the echoes newly recorded this run.
    """
    changes, echoes = list(changes), list(echoes)
    acknowledged = outbox.acknowledge(echoes, run_id, echo_reason)
    echoed = {change.record_key for change in echoes}
    rest = [change for change in changes if change.record_key not in echoed]
    planned, unchanged = outbox.plan(rest, run_id)
    plan = FilePlan(planned=planned, unchanged=unchanged + len(echoes), rows=len(changes))
    return plan, acknowledged


def sent_keys(warehouse: DuckDBWarehouse, entity: str, keys: Iterable[str] = ()) -> set[str]:
    """Record keys of `entity` the WMS already got from us (all of them when `keys` is empty)."""
    if not warehouse.fetch(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [SCHEMA, "last_sent"],
    ):
        return set()
    query = f"SELECT record_key FROM {SCHEMA}.last_sent WHERE target_system = ? AND entity = ?"
    wanted = list(keys)
    if wanted:
        query += " AND list_contains(?, record_key)"
    parameters = [TARGET, entity, *([wanted] if wanted else [])]
    return {row[0] for row in warehouse.fetch(query, parameters)}


def write_due_files(
    context: dg.AssetExecutionContext,
    wms_files: FileExchange,
    outbox: Outbox,
    entity: str,
    file_of: FileOf,
) -> dg.MaterializeResult:
    """Write every due change of `entity` as a file; raise dg.Failure naming what failed."""

    def write_batch(batch: list[Planned]) -> Outcome:
        keys = [item.change.record_key for item in batch]
        before = sent_keys(outbox.warehouse, entity, keys)
        done = Outcome()
        for planned in batch:
            first = planned.change.record_key not in before
            written = _write_one(context, wms_files, planned, file_of, first)
            (done.sent if written else done.failed).append(planned)
        return done

    outcome, metadata = send_due(
        context,
        outbox,
        TARGET,
        entity,
        write_batch,
        batch_size=FILES_PER_BATCH,
        target_name=f"the WMS folder {wms_files.display_url}",
    )
    raise_if_failed(
        outcome, f"{entity} files", target="The WMS folder", then="check that it is reachable"
    )
    return dg.MaterializeResult(metadata=metadata)


def _write_one(
    context: dg.AssetExecutionContext,
    wms_files: FileExchange,
    planned: Planned,
    file_of: FileOf,
    first: bool,
) -> bool:
    name, rows = file_of(planned, first)
    try:
        # Overwrite: the name holds the content hash, so an existing file is this very content.
        wms_files.write_records(name, rows, overwrite=True)
    except (FileExchangeError, RecordError, OSError) as error:
        planned.reason = str(error)[:500]
        context.log.error("%s not written: %s", name, error)
        return False
    return True


def file_name(prefix: str, change: Change) -> str:
    """`<prefix>-<record key>-h<8 hash characters>.csv`, the same for the same content.

    The `h` keeps the name from reading as a card number: eight hash characters are all digits
    about once in forty, and glued to an order number by a bare hyphen they made 13 digits that
    the log's card-data guard removed (`order-[card number removed].csv`).
    """
    return f"{prefix}-{change.record_key}-h{change.content_hash[:8]}.csv"


def as_text(row: Mapping[str, object]) -> dict[str, str]:
    """A file row: every value as text, absent values as empty cells."""
    return {name: "" if value is None else str(value) for name, value in row.items()}
