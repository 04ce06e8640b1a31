"""The embedded DuckDB warehouse (or a PostgreSQL database run through DuckDB: engines.py).

Every write replaces whole partitions (or the whole table) inside one transaction, so a rerun never
duplicates rows and a failed run leaves the previous contents in place.

DuckDB lets one process at a time open the file. By default a run's resource holds it for the
whole run; in the shared mode (CENTRA_WAREHOUSE_SHARED=1) it opens the file per transaction and
per read, and waits while another process has it, so that parallel runs take turns
(docs/deployment.md).
"""

import itertools
import json
import logging
import os
import random
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field, PrivateAttr

from centra_pipelines.contracts.card_data import guard_row
from centra_pipelines.warehouse.audit import (
    AUDIT_SCHEMA,
    AuditSummary,
    WriteAudit,
    create_ledger,
    record_write,
)
from centra_pipelines.warehouse.engines import (
    USE_CATALOG,
    WarehouseConfigError,
    WarehouseLocation,
    check_postgres,
    forget_catalog,
    locate,
    open_postgres,
)
from centra_pipelines.warehouse.tables import LINEAGE_COLUMNS, TableSpec

logger = logging.getLogger(__name__)

# Rows per partition kept for the markdown preview attached to each materialization.
PREVIEW_ROWS = 5

# Turns on the shared mode where the resource leaves `shared` unset (as definitions.py does).
SHARED_VARIABLE = "CENTRA_WAREHOUSE_SHARED"
_SHARED_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}

# Pauses between attempts to open a file another process holds. A shared transaction holds it
# for tens of milliseconds, so the first retries come quickly; the pause then doubles up to the
# maximum, with jitter so that waiting processes do not retry in step.
LOCK_RETRY_FIRST_SECONDS = 0.02
LOCK_RETRY_MAX_SECONDS = 1.0

# A wait this long means something holds the file for more than one transaction: worth a warning.
LOCK_WAIT_WARNING_SECONDS = 10.0
LOCK_WAIT_REPEAT_SECONDS = 60.0

# DuckDB's message when another process has the file open, and where it names that process.
_LOCK_CONFLICT = "Could not set lock on file"
_LOCK_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")

# Catalog name of a write's staged rows while they are copied into the shared file.
SPOOL_DATABASE = "centra_spool"

Row = Mapping[str, Any]
PartitionValues = Mapping[str, Any]


class WarehouseWriteError(RuntimeError):
    """A write was rolled back; the message says which table and why."""


class WarehouseBusyError(RuntimeError):
    """Another process kept the warehouse file longer than the shared mode waits for it."""


@dataclass
class WriteReport:
    """What one replace wrote: totals and rows per partition."""

    table: str
    rows_written: int
    rows_deleted: int
    rows_by_partition: dict[tuple, int] = field(default_factory=dict)
    preview_columns: tuple[str, ...] = ()
    preview_by_partition: dict[tuple, list[tuple]] = field(default_factory=dict)
    audit: AuditSummary | None = None

    def preview(self, partition: tuple = ()) -> list[tuple]:
        """The first stored rows of a partition (of the table when unpartitioned)."""
        return self.preview_by_partition.get(partition, [])


class DuckDBWarehouse(dg.ConfigurableResource):
    """A DuckDB file, or a PostgreSQL database run through DuckDB, that holds every synced table."""

    path: str | None = Field(
        default=None,
        description="Path of the DuckDB database file; created when missing. With url unset as "
        "well, CENTRA_WAREHOUSE_PATH (or CENTRA_WAREHOUSE_URL) is read when the run starts.",
    )
    url: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/database of a PostgreSQL warehouse, "
        "used instead of a DuckDB file (docs/deployment.md).",
    )
    _location: WarehouseLocation | None = PrivateAttr(default=None)
    _opened: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    # Table specs (and the ledger) whose DDL is known to be in place in the open database.
    _prepared: set[object] = PrivateAttr(default_factory=set)
    _pending: set[object] = PrivateAttr(default_factory=set)

    batch_rows: int = Field(
        default=5000, description="Rows buffered before they are inserted; bounds memory use."
    )
    shared: bool | None = Field(
        default=None,
        description="Open the file per transaction and per read, waiting while another process "
        "has it, so that parallel runs take turns; None reads CENTRA_WAREHOUSE_SHARED (1 or "
        "true). Unshared, the file is opened once and held until the run ends.",
    )
    lock_timeout_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How long the shared mode waits for other processes to release the file "
        "before the step fails.",
    )
    _shared: bool | None = PrivateAttr(default=None)
    # Nested uses of connect() in the shared mode share one open file; the outermost closes it.
    _depth: int = PrivateAttr(default=0)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Refuse a bad path when the run starts, before anything is fetched from a source."""
        if self.location().is_postgres:
            check_postgres(self.location().postgres_url)
        else:
            self._database_file()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.close()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the database, with UTC as the session time zone.

        Unshared, the database is opened once per resource and each use takes a cursor of it:
        opening the file costs far more than a cursor (14 ms against 0.5 ms on a 70 MB file),
        and a run writes hundreds of partitions. Shared, the outermost use opens the file and
        closes it again, so that other processes get their turn in between.
        """
        database = self._acquire()
        try:
            cursor = database.cursor()
            try:
                cursor.execute("SET TimeZone = 'UTC'")
                if self.location().is_postgres:
                    # USE holds per connection, and a cursor starts in DuckDB's own catalog.
                    cursor.execute(USE_CATALOG)
                yield cursor
            finally:
                cursor.close()
        finally:
            self._release()

    def close(self) -> None:
        """Close the database; the next use opens it again."""
        if self._opened is not None:
            self._opened.close()
            self._opened = None
            self._prepared.clear()
        self._depth = 0

    def location(self) -> WarehouseLocation:
        """The DuckDB file or PostgreSQL database this resource writes, from fields or env."""
        if self._location is None:
            self._location = locate(self.path, self.url)
        return self._location

    def is_shared(self) -> bool:
        """Whether the file is opened per use (the shared mode) rather than held for the run."""
        if self.location().is_postgres:
            # PostgreSQL serves many processes at once; there is no file to take turns with.
            return False
        if self._shared is None:
            self._shared = self.shared if self.shared is not None else _shared_from_environment()
        return self._shared

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        if not self.is_shared():
            return self._database()
        if self._depth == 0:
            self._opened = self._open_when_free()
        self._depth += 1
        return self._opened

    def _release(self) -> None:
        if not self.is_shared():
            return
        self._depth -= 1
        # The tables prepared stay known: other processes add tables and columns, never drop them.
        if self._depth == 0 and self._opened is not None:
            self._opened.close()
            self._opened = None

    def _open_when_free(self) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting with backoff while another process has it open."""
        database = self._database_file()
        database.parent.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        pause = LOCK_RETRY_FIRST_SECONDS
        warn_at = LOCK_WAIT_WARNING_SECONDS
        while True:
            try:
                return duckdb.connect(str(database))
            except duckdb.IOException as error:
                if _LOCK_CONFLICT not in str(error):
                    raise
                waited = time.monotonic() - began
                if waited >= self.lock_timeout_seconds:
                    raise self._busy_error(database, waited, error) from error
                if waited >= warn_at:
                    logger.warning(
                        "waited %.0f s for the warehouse file %s, which %s holds; waiting up to "
                        "%.0f s in all",
                        waited,
                        database,
                        _lock_holder(error),
                        self.lock_timeout_seconds,
                    )
                    # Then once a minute, so that the log shows the wait still going on.
                    warn_at = waited + LOCK_WAIT_REPEAT_SECONDS

            time.sleep(min(pause * random.uniform(0.5, 1.0), self.lock_timeout_seconds - waited))
            pause = min(pause * 2, LOCK_RETRY_MAX_SECONDS)

    def _busy_error(
        self, database: Path, waited: float, error: duckdb.IOException
    ) -> WarehouseBusyError:
        return WarehouseBusyError(
            f"the warehouse file {database} stayed locked by {_lock_holder(error)} for "
            f"{waited:.0f} s, longer than lock_timeout_seconds; nothing was written. A process "
            "that opened it outside the shared mode (a run without CENTRA_WAREHOUSE_SHARED=1, a "
            "DuckDB shell) holds it until it exits: stop that process, or cancel a stuck run in "
            "the Dagster UI, then rerun."
        )

    def _database(self) -> duckdb.DuckDBPyConnection:
        if self._opened is None and self.location().is_postgres:
            self._opened = open_postgres(self.location().postgres_url)
        if self._opened is None:
            database = self._database_file()
            database.parent.mkdir(parents=True, exist_ok=True)
            self._opened = _open_unshared(database)
        return self._opened

    def replace(
        self,
        table: TableSpec,
        rows: Iterable[Row],
        *,
        run_id: str,
        partitions: Sequence[PartitionValues] | None = None,
        audit: WriteAudit | None = None,
    ) -> WriteReport:
        """Replace the given partitions of one table (all of it when None) with `rows`."""
        reports = self.replace_many(
            {table: partitions}, ((table, row) for row in rows), run_id=run_id, audit=audit
        )
        return reports[table.name]

    def replace_many(
        self,
        targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
        rows: Iterable[tuple[TableSpec, Row]],
        *,
        run_id: str,
        audit: WriteAudit | None = None,
    ) -> dict[str, WriteReport]:
        """Replace partitions of several related tables in one transaction.

        `rows` is one stream of (table, row) pairs, so an order and its lines can be written as
        they are read, without holding a whole day in memory. Each table's rows are buffered up to
        `batch_rows` and then inserted. Every row must fall inside its table's target partitions
        (all of the table when the target is None); a row outside them, or two rows with the same
        key, rolls every table back.
        """
        synced_at = datetime.now(UTC)
        if self.is_shared():
            reports = self._replace_shared(targets, rows, run_id, audit, synced_at)
        else:
            reports = self._replace_streamed(targets, rows, run_id, audit, synced_at)

        # Per-table detail is DEBUG: the asset logs the step's summary at INFO.
        for report in reports.values():
            logger.debug(
                "replaced %s: deleted %d rows, wrote %d rows in %d partitions",
                report.table,
                report.rows_deleted,
                report.rows_written,
                len(report.rows_by_partition),
            )
        return reports

    def rebuild(
        self,
        table: TableSpec,
        select_sql: str,
        parameters: Sequence[Any] = (),
        *,
        run_id: str,
        audit: WriteAudit | None = None,
    ) -> WriteReport:
        """Replace a derived table with the result of a query over other tables, atomically.

        `select_sql` must return the table's columns in their declared order.
        """
        with self._transaction() as connection:
            report = self._rebuild_in_transaction(
                connection, table, select_sql, list(parameters), run_id, audit
            )

        logger.info("rebuilt %s: %d rows", report.table, report.rows_written)
        return report

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; tables it prepared count as prepared only once it committed."""
        with self.connect() as connection:
            connection.execute("BEGIN TRANSACTION")
            self._pending = set()
            try:
                yield connection
                connection.execute("COMMIT")
            except Exception:
                connection.execute("ROLLBACK")
                forget_catalog(connection)
                raise
            self._prepared |= self._pending

    def _ensure_table(self, connection: duckdb.DuckDBPyConnection, table: TableSpec) -> None:
        # Creating and checking a table's columns costs catalog queries on every write; once per
        # table and resource is enough, since a run's tables do not change under it.
        if table not in self._prepared:
            _create_table(connection, table)
            self._pending.add(table)

    def _ensure_ledger(self, connection: duckdb.DuckDBPyConnection) -> None:
        if AUDIT_SCHEMA not in self._prepared:
            create_ledger(connection)
            self._pending.add(AUDIT_SCHEMA)

    def _rebuild_in_transaction(
        self,
        connection: duckdb.DuckDBPyConnection,
        table: TableSpec,
        select_sql: str,
        parameters: list[Any],
        run_id: str,
        audit: WriteAudit | None,
    ) -> WriteReport:
        self._ensure_table(connection, table)
        deleted = connection.execute(f"DELETE FROM {table.qualified_name}").fetchone()[0]

        written_at = datetime.now(UTC)
        names = ", ".join(f'"{name}"' for name in table.column_names)
        connection.execute(
            f"INSERT INTO {table.qualified_name} ({names}, _run_id, _synced_at) "
            f"SELECT *, ?, ? FROM ({select_sql})",
            # Placeholders in text order: the lineage values come before the query's own.
            [run_id, written_at, *parameters],
        )

        scope = ("TRUE", [])
        total = connection.execute(f"SELECT count(*) FROM {table.qualified_name}").fetchone()[0]
        _check_unique_key(connection, table, *scope)
        report = WriteReport(
            table=table.qualified_name,
            rows_written=total,
            rows_deleted=deleted,
            rows_by_partition={(): total},
            preview_columns=table.shown_columns,
            preview_by_partition=_preview(connection, table, *scope),
        )
        if audit is not None:
            self._ensure_ledger(connection)
            _audit(
                connection,
                {table: None},
                {table: scope},
                {table.name: report},
                audit,
                run_id,
                written_at,
            )
        return report

    def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        """Run a read-only query and return all rows."""
        with self.connect() as connection:
            return connection.execute(sql, list(parameters)).fetchall()

    def _database_file(self) -> Path:
        # DuckDB treats an empty path and ":memory:" as an in-memory database: every run would
        # succeed and report rows while nothing is kept.
        path = self.location().file or ""
        if not path.strip() or path.strip().startswith(":memory:"):
            raise WarehouseConfigError(
                f"the warehouse path {path!r} is not a file, so nothing written would be "
                "kept; set CENTRA_WAREHOUSE_PATH to the DuckDB file to write (or "
                "CENTRA_WAREHOUSE_URL to a PostgreSQL database)"
            )
        return Path(path).expanduser()

    def table_exists(self, table: TableSpec) -> bool:
        if not self.location().is_postgres and not self._database_file().exists():
            return False

        rows = self.fetch(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [table.schema, table.name],
        )
        return rows[0][0] > 0

    def _replace_streamed(
        self,
        targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
        rows: Iterable[tuple[TableSpec, Row]],
        run_id: str,
        audit: WriteAudit | None,
        synced_at: datetime,
    ) -> dict[str, WriteReport]:
        with self._transaction() as connection:
            return self._replace_in_transaction(
                connection,
                targets,
                lambda c: _stream_rows(c, targets, rows, run_id, synced_at, self.batch_rows),
                run_id,
                audit,
                synced_at,
            )

    def _replace_shared(
        self,
        targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
        rows: Iterable[tuple[TableSpec, Row]],
        run_id: str,
        audit: WriteAudit | None,
        synced_at: datetime,
    ) -> dict[str, WriteReport]:
        """Read every row before taking the shared file, so that it is locked only to write them.

        The rows usually stream from a source (pages of Centra orders); reading them while holding
        the file would keep every other process waiting on the source. Up to `batch_rows` rows are
        held in memory; a larger write is staged in a private file and copied in.
        """
        rows = iter(rows)
        head = list(itertools.islice(rows, self.batch_rows))
        if len(head) < self.batch_rows:
            return self._replace_streamed(targets, head, run_id, audit, synced_at)
        rows = itertools.chain(head, rows)
        return self._replace_from_spool(targets, rows, run_id, audit, synced_at)

    def _replace_from_spool(
        self,
        targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
        rows: Iterable[tuple[TableSpec, Row]],
        run_id: str,
        audit: WriteAudit | None,
        synced_at: datetime,
    ) -> dict[str, WriteReport]:
        with (
            _spooled(targets, rows, run_id, synced_at, self.batch_rows) as (spool, written),
            self.connect() as attached,
        ):
            # Attached outside the transaction, so that a failed write can still detach it.
            attached.execute(f"ATTACH '{_sql_text(spool)}' AS {SPOOL_DATABASE} (READ_ONLY)")
            try:
                with self._transaction() as connection:
                    reports = self._replace_in_transaction(
                        connection,
                        targets,
                        lambda c: _copy_spool(c, targets, written),
                        run_id,
                        audit,
                        synced_at,
                    )
            finally:
                attached.execute(f"DETACH {SPOOL_DATABASE}")
        return reports

    def _replace_in_transaction(
        self,
        connection: duckdb.DuckDBPyConnection,
        targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
        load: Callable[[duckdb.DuckDBPyConnection], dict[TableSpec, int]],
        run_id: str,
        audit: WriteAudit | None,
        synced_at: datetime,
    ) -> dict[str, WriteReport]:
        scopes = {
            table: _partition_scope(table, partitions) for table, partitions in targets.items()
        }
        deleted = {}
        for table, (scope_sql, scope_parameters) in scopes.items():
            self._ensure_table(connection, table)
            deleted[table] = connection.execute(
                f"DELETE FROM {table.qualified_name} WHERE {scope_sql}", scope_parameters
            ).fetchone()[0]

        written = load(connection)

        reports = {}
        for table, (scope_sql, scope_parameters) in scopes.items():
            by_partition = _count_partitions(connection, table, scope_sql, scope_parameters)
            _check_scope(table, written[table], by_partition)
            _check_unique_key(connection, table, scope_sql, scope_parameters)
            reports[table.name] = WriteReport(
                table=table.qualified_name,
                rows_written=written[table],
                rows_deleted=deleted[table],
                rows_by_partition=by_partition,
                preview_columns=table.shown_columns,
                preview_by_partition=_preview(connection, table, scope_sql, scope_parameters),
            )

        if audit is not None:
            self._ensure_ledger(connection)
            _audit(connection, targets, scopes, reports, audit, run_id, synced_at)
        return reports


def _shared_from_environment() -> bool:
    value = os.environ.get(SHARED_VARIABLE, "").strip().lower()
    if not value:
        return False
    if value not in _SHARED_VALUES:
        raise WarehouseConfigError(
            f"{SHARED_VARIABLE}={value!r} is not understood; set it to 1 where several processes "
            "write the warehouse file (parallel runs), or to 0 or nothing where one run at a time "
            "does"
        )
    return _SHARED_VALUES[value]


def _lock_holder(error: duckdb.IOException) -> str:
    """The process DuckDB names as holding the file, for logs that say what to stop."""
    found = _LOCK_HOLDER.search(str(error))
    if found is None:
        return "another process"
    return f"PID {found['pid']} ({found['program']})"


@contextmanager
def _spooled(
    targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
    rows: Iterable[tuple[TableSpec, Row]],
    run_id: str,
    synced_at: datetime,
    batch_rows: int,
) -> Iterator[tuple[Path, dict[TableSpec, int]]]:
    """Rows cleaned and cast into a private DuckDB file under TMPDIR, deleted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="centra-warehouse-spool-"))
    try:
        spool_file = folder / "spool.duckdb"
        spool = duckdb.connect(str(spool_file))
        try:
            spool.execute("SET TimeZone = 'UTC'")
            spool.execute("BEGIN TRANSACTION")
            for table in targets:
                _create_table(spool, table)
            written = _stream_rows(spool, targets, rows, run_id, synced_at, batch_rows)
            spool.execute("COMMIT")
        finally:
            spool.close()

        yield spool_file, written
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _copy_spool(
    connection: duckdb.DuckDBPyConnection,
    targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
    written: dict[TableSpec, int],
) -> dict[TableSpec, int]:
    # Columns by name: a table an older version created may hold them in another order.
    for table in targets:
        names = [*table.column_names, *(name for name, _, _ in LINEAGE_COLUMNS)]
        quoted = ", ".join(f'"{name}"' for name in names)
        connection.execute(
            f"INSERT INTO {table.qualified_name} ({quoted}) "
            f"SELECT {quoted} FROM {SPOOL_DATABASE}.{table.qualified_name}"
        )
    return written


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _open_unshared(database: Path) -> duckdb.DuckDBPyConnection:
    """Open the file for this process alone, saying what to change when another one holds it."""
    try:
        return duckdb.connect(str(database))
    except duckdb.IOException as error:
        if _LOCK_CONFLICT not in str(error):
            raise
        raise WarehouseBusyError(
            f"{_lock_holder(error)} holds the warehouse file {database}. A DuckDB file takes one "
            "process at a time: where runs overlap (a queued instance with several runs at "
            "once), set CENTRA_WAREHOUSE_SHARED=1 so that runs take turns on the file, or keep "
            "the warehouse in PostgreSQL with CENTRA_WAREHOUSE_URL (docs/deployment.md)."
        ) from None


def _audit(
    connection: duckdb.DuckDBPyConnection,
    targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
    scopes: Mapping[TableSpec, tuple[str, list[Any]]],
    reports: dict[str, WriteReport],
    audit: WriteAudit,
    run_id: str,
    written_at: datetime,
) -> None:
    write_id = uuid.uuid4().hex
    for table, scope in scopes.items():
        reports[table.name].audit = record_write(
            connection,
            table,
            scope,
            audit=audit,
            write_id=write_id,
            run_id=run_id,
            written_at=written_at,
            partitions=targets[table],
            rows_replaced=reports[table.name].rows_deleted,
        )


def _without_card_data(table: TableSpec, row: Row) -> Row:
    """Card data never reaches storage, whatever field of whatever source it hides in.

    The guard replaces card numbers, CVVs and expiry dates next to them, and empties raw PSP
    payload fields; the warning names the table and the count, never the value.
    """
    cleaned, removed = guard_row(row)
    if removed:
        logger.warning(
            "removed %d card-data values from a row of %s before storing it",
            removed,
            table.qualified_name,
        )
    return cleaned


def _stream_rows(
    connection: duckdb.DuckDBPyConnection,
    targets: Mapping[TableSpec, Sequence[PartitionValues] | None],
    rows: Iterable[tuple[TableSpec, Row]],
    run_id: str,
    synced_at: datetime,
    batch_rows: int,
) -> dict[TableSpec, int]:
    buffers: dict[TableSpec, list[Row]] = {table: [] for table in targets}
    written = dict.fromkeys(targets, 0)

    for table, row in rows:
        if table not in buffers:
            raise WarehouseWriteError(
                f"a row for {table.qualified_name} arrived, but that table is not being replaced"
            )
        buffers[table].append(_without_card_data(table, row))
        if len(buffers[table]) >= batch_rows:
            _insert_batch(connection, table, buffers[table], run_id, synced_at)
            written[table] += len(buffers[table])
            buffers[table] = []

    for table, batch in buffers.items():
        if batch:
            _insert_batch(connection, table, batch, run_id, synced_at)
            written[table] += len(batch)

    return written


def _create_table(connection: duckdb.DuckDBPyConnection, table: TableSpec) -> None:
    columns = [f'"{column.name}" {column.type}' for column in table.columns]
    columns += [f'"{name}" {type_}' for name, type_, _ in LINEAGE_COLUMNS]

    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {table.schema}")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {table.qualified_name} ({', '.join(columns)})")
    _add_new_columns(connection, table)


def _add_new_columns(connection: duckdb.DuckDBPyConnection, table: TableSpec) -> None:
    """Bring a table written by an older version up to its spec by adding the new columns.

    Adding a column is safe: earlier rows read it as null until their partition is synced again.
    A column whose type changed, or that the spec dropped, needs a decision about the stored data,
    so it stops the write with a message instead of being altered silently.
    """
    # Only this database's columns: a write's staged rows may be attached under the same names.
    existing = dict(
        connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?",
            [table.schema, table.name],
        ).fetchall()
    )
    wanted = [(column.name, column.type) for column in table.columns]
    wanted += [(name, type_) for name, type_, _ in LINEAGE_COLUMNS]

    for name, type_ in wanted:
        if name not in existing:
            connection.execute(f'ALTER TABLE {table.qualified_name} ADD COLUMN "{name}" {type_}')
            logger.info("added column %s to %s", name, table.qualified_name)

    dropped = sorted(set(existing) - {name for name, _ in wanted})
    if dropped:
        raise WarehouseWriteError(
            f"{table.qualified_name} has columns {dropped} that this version no longer writes; "
            "drop them (or the table, and resync it) after checking nothing reads them"
        )


def _partition_scope(
    table: TableSpec, partitions: Sequence[PartitionValues] | None
) -> tuple[str, list[Any]]:
    """SQL predicate (and its parameters) that selects the rows being replaced."""
    if partitions is None:
        return "TRUE", []

    if not table.partition_columns:
        raise WarehouseWriteError(
            f"{table.qualified_name} is not partitioned, but partitions were given"
        )

    clauses, parameters = [], []
    for partition in partitions:
        clauses.append(
            "(" + " AND ".join(f'"{name}" = ?' for name in table.partition_columns) + ")"
        )
        parameters.extend(_sql_value(partition[name]) for name in table.partition_columns)

    return (" OR ".join(clauses) or "FALSE"), parameters


def _insert_batch(
    connection: duckdb.DuckDBPyConnection,
    table: TableSpec,
    batch: list[Row],
    run_id: str,
    synced_at: datetime,
) -> None:
    """Insert rows through a text staging frame, casting each column in SQL.

    Values travel as text so that DuckDB, not pandas, decides the type: money stays DECIMAL and
    timestamps keep their offset instead of passing through float64 or naive datetime64.
    """
    names = table.column_names
    staged = pd.DataFrame(
        [[_sql_value(row.get(name)) for name in names] for row in batch],
        columns=names,
        dtype=object,
    )

    casts = [f'CAST(staged."{column.name}" AS {column.type})' for column in table.columns]
    quoted = [f'"{name}"' for name in names] + ['"_run_id"', '"_synced_at"']
    connection.register("staged", staged)
    try:
        connection.execute(
            f"INSERT INTO {table.qualified_name} ({', '.join(quoted)}) "
            f"SELECT {', '.join(casts)}, ?, ? FROM staged",
            [run_id, synced_at],
        )
    finally:
        connection.unregister("staged")


def _sql_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise WarehouseWriteError(f"naive datetime {value!r}: every timestamp must carry UTC")
        return value.isoformat()
    if isinstance(value, date | Decimal | int | float):
        return str(value)
    if isinstance(value, dict | list):
        # Nested values keep exact decimals and dates as their text, never floats.
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _count_partitions(
    connection: duckdb.DuckDBPyConnection,
    table: TableSpec,
    scope_sql: str,
    scope_parameters: list[Any],
) -> dict[tuple, int]:
    if not table.partition_columns:
        total = connection.execute(f"SELECT count(*) FROM {table.qualified_name}").fetchone()[0]
        return {(): total}

    columns = ", ".join(f'"{name}"' for name in table.partition_columns)
    result = connection.execute(
        f"SELECT {columns}, count(*) FROM {table.qualified_name} "
        f"WHERE {scope_sql} GROUP BY {columns}",
        scope_parameters,
    ).fetchall()
    return {tuple(row[:-1]): row[-1] for row in result}


def _preview(
    connection: duckdb.DuckDBPyConnection,
    table: TableSpec,
    scope_sql: str,
    scope_parameters: list[Any],
) -> dict[tuple, list[tuple]]:
    """A few rows per replaced partition, read in the same transaction as the write."""
    partition = [f'"{name}"' for name in table.partition_columns]
    shown = [f'"{name}"' for name in table.shown_columns]
    window = f"PARTITION BY {', '.join(partition)} " if partition else ""
    result = connection.execute(
        f"SELECT {', '.join(partition + shown)} FROM ("
        f"SELECT *, row_number() OVER ({window}ORDER BY {', '.join(shown)}) AS preview_rank "
        f"FROM {table.qualified_name} WHERE {scope_sql}) "
        f"WHERE preview_rank <= {PREVIEW_ROWS} ORDER BY {', '.join(partition + shown)}",
        scope_parameters,
    ).fetchall()

    previews: dict[tuple, list[tuple]] = {}
    width = len(partition)
    for row in result:
        previews.setdefault(tuple(row[:width]), []).append(tuple(row[width:]))
    return previews


def _check_scope(table: TableSpec, written: int, by_partition: dict[tuple, int]) -> None:
    """Every written row must sit inside the partitions being replaced."""
    landed = sum(by_partition.values())
    if landed != written:
        raise WarehouseWriteError(
            f"{table.qualified_name}: wrote {written} rows but {landed} fall inside the replaced "
            "partitions; the source returned rows outside the requested window, so nothing was "
            "committed"
        )


def _check_unique_key(
    connection: duckdb.DuckDBPyConnection,
    table: TableSpec,
    scope_sql: str,
    scope_parameters: list[Any],
) -> None:
    key = ", ".join(f'"{name}"' for name in table.key)
    duplicates = connection.execute(
        f"SELECT {key}, count(*) FROM {table.qualified_name} WHERE {scope_sql} "
        f"GROUP BY {key} HAVING count(*) > 1 LIMIT 5",
        scope_parameters,
    ).fetchall()
    if duplicates:
        raise WarehouseWriteError(
            f"{table.qualified_name}: key ({key}) is not unique, for example {duplicates[0][:-1]}; "
            "nothing was committed"
        )
