"""SQL database connector: upsert, stream and create tables in PostgreSQL or DuckDB.

An upsert first loads the rows into a temporary table with the target's column types, so the
database itself converts and compares the values; it then counts which rows are new, which differ
and which are already there, and writes only the new and changed ones with
`INSERT ... ON CONFLICT (keys) DO UPDATE ... WHERE <some column differs>`. A rerun of the same rows
therefore reports 0 changes and writes nothing. Everything happens in one transaction: a bad row
leaves the table as it was.

PostgreSQL goes through SQLAlchemy Core (`postgresql+psycopg2://`). DuckDB goes through the duckdb
Python API directly, with one connection per call: DuckDB lets one process hold a file for writing,
so holding it between calls would lock out the warehouse jobs and the UI.

Table and column names are checked against a strict identifier pattern and double-quoted; values
only ever travel as bound parameters.
"""

import logging
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, Protocol

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr
from sqlalchemy import column as column_clause
from sqlalchemy import create_engine, insert, text
from sqlalchemy import table as table_clause
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

logger = logging.getLogger(__name__)

# Letters, digits and underscores, not starting with a digit: portable across PostgreSQL and
# DuckDB, and nothing in it can end a quoted identifier.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# PostgreSQL silently truncates longer names, which would make two columns collide.
MAX_IDENTIFIER_LENGTH = 63

# A type name with an optional precision and array suffix (`NUMERIC(12, 2)`, `TEXT[]`,
# `TIMESTAMP WITH TIME ZONE`). Type names are spliced into DDL, so nothing else gets through.
COLUMN_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?")

# Rows per staging insert and per fetch when streaming.
DEFAULT_BATCH_SIZE = 1000

# A database that does not accept a connection within this time is down or unreachable.
CONNECT_TIMEOUT_SECONDS = 10

# The first word of a read that is a query rather than a table name.
QUERY_STARTS = ("select", "with")

# The name under which the DuckDB file is attached; see _DuckDBBackend._connect.
DUCKDB_CATALOG = "sql_connector_target"

# `:name` bind parameters, as SQLAlchemy's text() reads them (a `::` cast is not a parameter).
_BIND_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class SqlConnectorError(Exception):
    """Base class of everything the SQL connector raises."""


class SqlConfigError(SqlConnectorError, ValueError):
    """The connector's configuration cannot work; the message says what to change."""


class SqlIdentifierError(SqlConnectorError, ValueError):
    """A table, column or type name is not one the connector will put into SQL."""


class SqlUnavailable(SqlConnectorError):
    """The database could not be reached or opened."""


class SqlStatementError(SqlConnectorError):
    """The database refused a statement; a write was rolled back as a whole."""


class SqlSchemaError(SqlConnectorError):
    """A table exists but does not have the shape the caller needs."""


@dataclass(frozen=True)
class TableName:
    """A validated table name, optionally schema-qualified (`erp.orders`)."""

    schema: str | None
    name: str

    @classmethod
    def parse(cls, text_name: str) -> "TableName":
        """Read `table` or `schema.table`, refusing anything that is not plain identifiers."""
        parts = text_name.split(".") if isinstance(text_name, str) else [text_name]
        if len(parts) > 2:
            raise SqlIdentifierError(
                f"{text_name!r} is not a table name: use `table` or `schema.table`"
            )
        checked = [checked_identifier(part, "table name") for part in parts]
        return cls(None, checked[0]) if len(checked) == 1 else cls(checked[0], checked[1])

    @property
    def quoted(self) -> str:
        name = quote(self.name)
        return f"{quote(self.schema)}.{name}" if self.schema else name

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class UpsertResult:
    """What one upsert did: rows `inserted`, `updated`, and `unchanged` (already up to date)."""

    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


def checked_identifier(name: Any, what: str) -> str:
    """Return `name` if it is a plain identifier; raise SqlIdentifierError naming `what` if not."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise SqlIdentifierError(
            f"{name!r} is not an acceptable {what}: use letters, digits and underscores, "
            "not starting with a digit"
        )
    if len(name) > MAX_IDENTIFIER_LENGTH:
        raise SqlIdentifierError(
            f"{what} {name!r} is longer than {MAX_IDENTIFIER_LENGTH} characters, which "
            "PostgreSQL would truncate"
        )
    return name


def quote(identifier: str) -> str:
    """Double-quote an identifier that `checked_identifier` accepted."""
    return f'"{identifier}"'


class _Transaction(Protocol):
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]: ...

    def insert_rows(self, staged: str, columns: Sequence[str], rows: list[tuple]) -> None: ...


class _Backend(Protocol):
    def transaction(self, doing: str) -> Any: ...

    def stream(
        self, sql: str, params: Mapping[str, Any], *, batch_size: int, doing: str
    ) -> Iterator[tuple[list[str], list[tuple]]]: ...

    def close(self) -> None: ...


class SqlDatabase(ConfigurableResource):
    """A PostgreSQL or DuckDB database to upsert into, read from and create tables in.

    The same resource serves any role (the ERP's order table, a WMS staging schema, the demo's
    sandbox ERP); only `url` differs. See docs/connectors.md.
    """

    url: str = Field(
        description="postgresql+psycopg2://user@host:5432/database, or duckdb:///path/file.duckdb "
        "(four slashes for an absolute path).",
        repr=False,
    )
    password: str | None = Field(
        default=None,
        description="PostgreSQL password, when it is kept out of the URL (e.g. an EnvVar).",
        repr=False,
    )
    batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE, description="Rows per staging insert and per streamed batch."
    )

    _backend: _Backend | None = PrivateAttr(default=None)
    _backend_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Check the URL when a run starts rather than at the first statement."""
        self._ready()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections; the connector opens new ones if used again."""
        if self._backend is not None:
            self._backend.close()

    @property
    def display_url(self) -> str:
        """The database URL with any password masked, for logs and messages."""
        return _display(_database_url(self.url, self.password))

    def upsert(
        self, table: str, rows: Iterable[Mapping[str, Any]], key_columns: Sequence[str]
    ) -> UpsertResult:
        """Insert new rows and update changed ones by their key, in one transaction.

        Args:
            table: `table` or `schema.table`; it needs a primary key or unique constraint on
                exactly `key_columns` (ensure_table creates one).
            rows: mappings with the same column names each; streamed to the database in batches.
            key_columns: the columns that identify a row, usually the other system's external id.

        Returns:
            How many rows were inserted, updated, and already up to date (nothing written).

        Raises:
            SqlIdentifierError: a table or column name is not a plain identifier.
            SqlStatementError: the database refused a row or the statement; nothing was written.
        """
        name = TableName.parse(table)
        keys = _key_list(key_columns, name)
        remaining = iter(rows)
        first = next(remaining, None)
        if first is None:
            logger.warning("no rows to upsert into %s; nothing written", name)
            return UpsertResult(0, 0, 0)

        columns = _row_columns(first, keys, name)
        staged = f"upsert_staged_{uuid.uuid4().hex}"
        tuples = _row_tuples(chain([first], remaining), columns, name)

        with self._ready().transaction(f"upsert into {name}") as tx:
            tx.execute(
                f"CREATE TEMPORARY TABLE {quote(staged)} AS "
                f"SELECT {_column_list(columns)} FROM {name.quoted} LIMIT 0"
            )
            for batch in _batches(tuples, self.batch_size):
                tx.insert_rows(staged, columns, batch)
            _refuse_duplicate_keys(tx, staged, keys, name)

            inserted, updated, total = tx.execute(_classify_sql(name, staged, columns, keys))[0]
            if inserted or updated:
                tx.execute(_upsert_sql(name, staged, columns, keys))
            tx.execute(f"DROP TABLE {quote(staged)}")

        result = UpsertResult(inserted, updated, total - inserted - updated)
        logger.info(
            "upserted %d rows into %s: %d inserted, %d updated, %d unchanged",
            result.total,
            name,
            result.inserted,
            result.updated,
            result.unchanged,
        )
        return result

    def read(
        self,
        table_or_query: str,
        params: Mapping[str, Any] | None = None,
        *,
        batch_size: int | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Stream rows in batches, holding one batch in memory at a time.

        Args:
            table_or_query: `schema.table` (then `params` are equality filters on columns), or a
                single SELECT (or WITH) query with `:name` parameters. Queries run read-only.
            params: column filters for a table, bound parameters for a query.
            batch_size: rows per batch; the connector's `batch_size` when None.

        Yields:
            Lists of rows as dicts keyed by column name.
        """
        # Checked here rather than in the generator, so a bad name fails at the call.
        sql, bound, source = _read_statement(table_or_query, dict(params or {}))
        size = self.batch_size if batch_size is None else batch_size
        if size < 1:
            raise SqlConfigError(f"batch_size must be at least 1, not {size}")
        return self._stream(sql, bound, source, size)

    def _stream(
        self, sql: str, params: dict[str, Any], source: str, size: int
    ) -> Iterator[list[dict[str, Any]]]:
        rows = batches = 0
        try:
            for columns, batch in self._ready().stream(
                sql, params, batch_size=size, doing=f"read {source}"
            ):
                batches += 1
                rows += len(batch)
                yield [dict(zip(columns, row, strict=True)) for row in batch]
        finally:
            logger.info("read %d rows in %d batches from %s", rows, batches, source)

    def ensure_table(
        self, table: str, columns: Mapping[str, str], key_columns: Sequence[str]
    ) -> bool:
        """Create a table (and its schema) unless it exists; check an existing one's columns.

        Args:
            table: `table` or `schema.table`.
            columns: column name to SQL type (`VARCHAR`, `NUMERIC(12, 2)`, `TIMESTAMPTZ`).
            key_columns: columns of the primary key, which upsert() matches rows on.

        Returns:
            True if the table was created, False if it was already there.

        Raises:
            SqlSchemaError: the table exists but lacks some of `columns`.
        """
        name = TableName.parse(table)
        keys = _key_list(key_columns, name)
        definitions = [_column_definition(col, kind, keys) for col, kind in columns.items()]
        if any(key not in columns for key in keys):
            raise SqlIdentifierError(
                f"key columns {list(key_columns)} of {name} must be among its columns"
            )

        with self._ready().transaction(f"create table {name}") as tx:
            existing = _existing_columns(tx, name)
            if existing:
                _require_columns(name, existing, columns)
                return False
            if name.schema:
                tx.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(name.schema)}")
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {name.quoted} "
                f"({', '.join(definitions)}, PRIMARY KEY ({_column_list(keys)}))"
            )

        logger.info("created table %s with %d columns in %s", name, len(columns), self.display_url)
        return True

    def _ready(self) -> _Backend:
        if self._backend is not None:
            return self._backend
        with self._backend_lock:
            if self._backend is None:
                url = _database_url(self.url, self.password)
                if self.batch_size < 1:
                    raise SqlConfigError(f"batch_size must be at least 1, not {self.batch_size}")
                if url.drivername == "duckdb":
                    self._backend = _DuckDBBackend(_duckdb_path(url))
                else:
                    self._backend = _PostgresBackend(url)
        return self._backend


class _PostgresBackend:
    """PostgreSQL through SQLAlchemy Core; server-side cursors for streaming reads."""

    def __init__(self, url: URL) -> None:
        self._where = _display(url)
        connect_args = {}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        # hide_parameters keeps row values out of error messages and logs.
        self._engine: Engine = create_engine(
            url, hide_parameters=True, pool_pre_ping=True, connect_args=connect_args
        )

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def transaction(self, doing: str) -> Iterator["_PostgresTransaction"]:
        with self._connect() as conn:
            try:
                with conn.begin():
                    yield _PostgresTransaction(conn)
            except SQLAlchemyError as error:
                raise _refused(doing, self._where, error, wrote=True) from error

    def stream(
        self, sql: str, params: Mapping[str, Any], *, batch_size: int, doing: str
    ) -> Iterator[tuple[list[str], list[tuple]]]:
        with self._connect() as conn:
            # A named (server-side) cursor sends rows as they are fetched, and the read-only
            # transaction makes a configured query unable to change anything.
            streaming = conn.execution_options(
                stream_results=True, yield_per=batch_size, postgresql_readonly=True
            )
            try:
                result = streaming.execute(text(sql), params)
                columns = list(result.keys())
                for partition in result.partitions(batch_size):
                    yield columns, [tuple(row) for row in partition]
            except SQLAlchemyError as error:
                raise _refused(doing, self._where, error, wrote=False) from error

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as error:
            raise SqlUnavailable(
                f"could not connect to {self._where}: {_first_line(error)}. Check that the "
                "server runs and accepts this user, and the connector's url and password."
            ) from error
        with conn:
            yield conn


class _PostgresTransaction:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        result = self._conn.execute(text(sql), dict(params or {}))
        return [tuple(row) for row in result] if result.returns_rows else []

    def insert_rows(self, staged: str, columns: Sequence[str], rows: list[tuple]) -> None:
        # A Core insert lets psycopg2 send the batch as multi-row VALUES, not one row per trip.
        target = table_clause(staged, *(column_clause(name) for name in columns))
        self._conn.execute(insert(target), [dict(zip(columns, row, strict=True)) for row in rows])


class _DuckDBBackend:
    """A DuckDB file, opened for each call and closed after it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._where = f"duckdb:///{path}"

    def close(self) -> None:
        """Nothing stays open between calls."""

    @contextmanager
    def transaction(self, doing: str) -> Iterator["_DuckDBTransaction"]:
        with self._connect() as conn:
            try:
                conn.begin()
                yield _DuckDBTransaction(conn)
                conn.commit()
            except duckdb.Error as error:
                conn.rollback()
                raise _refused(doing, self._where, error, wrote=True) from error
            except BaseException:
                conn.rollback()
                raise

    def stream(
        self, sql: str, params: Mapping[str, Any], *, batch_size: int, doing: str
    ) -> Iterator[tuple[list[str], list[tuple]]]:
        with self._connect() as conn:
            try:
                duckdb_sql = _duckdb_parameters(sql)
                _require_one_select(duckdb_sql)
                cursor = conn.execute(duckdb_sql, dict(params))
                columns = [description[0] for description in cursor.description]
                while batch := cursor.fetchmany(batch_size):
                    yield columns, batch
            except duckdb.Error as error:
                raise _refused(doing, self._where, error, wrote=False) from error

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = duckdb.connect(":memory:")
            # DuckDB names a file's catalog after the file, so in erp.duckdb the name `erp.orders`
            # would be ambiguous between catalog erp and schema erp. Under a fixed alias it is not.
            conn.execute(f"ATTACH {_sql_string(str(self._path))} AS {quote(DUCKDB_CATALOG)}")
            conn.execute(f"USE {quote(DUCKDB_CATALOG)}")
        except (duckdb.Error, OSError) as error:
            raise SqlUnavailable(
                f"could not open {self._where}: {_first_line(error)}. DuckDB lets one process "
                "write a file at a time; check that no other process holds it."
            ) from error
        try:
            yield conn
        finally:
            conn.close()


class _DuckDBTransaction:
    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        cursor = self._conn.execute(_duckdb_parameters(sql), dict(params or {}))
        return cursor.fetchall() if cursor.description else []

    def insert_rows(self, staged: str, columns: Sequence[str], rows: list[tuple]) -> None:
        placeholders = ", ".join("?" for _ in columns)
        self._conn.executemany(
            f"INSERT INTO {quote(staged)} ({_column_list(columns)}) VALUES ({placeholders})", rows
        )


def _database_url(raw: str, password: str | None) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SqlConfigError(
            "the SQL connector's url is not a database URL; use "
            "postgresql+psycopg2://user@host:5432/database or duckdb:///path/file.duckdb"
        ) from None

    # Read from the text: asking SQLAlchemy would load a dialect, and DuckDB has none here.
    backend, _, driver = url.drivername.partition("+")
    if backend not in ("postgresql", "duckdb"):
        raise SqlConfigError(f"the SQL connector supports PostgreSQL and DuckDB, not {backend!r}")
    if backend == "postgresql" and driver not in ("", "psycopg2"):
        # psycopg 3 with SQLAlchemy 2.1 is what breaks dagster-postgres; we test psycopg2 only.
        raise SqlConfigError(f"use postgresql+psycopg2:// URLs, not {url.drivername}://")
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url.set(password=password) if password is not None else url


def _duckdb_path(url: URL) -> Path:
    database = url.database or ""
    if database in ("", ":memory:"):
        raise SqlConfigError(
            "the SQL connector opens DuckDB once per call, so an in-memory database would be "
            "empty every time; use duckdb:////absolute/path/file.duckdb"
        )
    return Path(database)


def _sql_string(value: str) -> str:
    """A SQL string literal, for the one statement (ATTACH) that takes no bound parameters."""
    return "'" + value.replace("'", "''") + "'"


def _display(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _refused(doing: str, where: str, error: Exception, *, wrote: bool) -> SqlStatementError:
    outcome = " The transaction was rolled back; nothing was written." if wrote else ""
    return SqlStatementError(f"could not {doing} in {where}: {_first_line(error)}.{outcome}")


def _first_line(error: Exception) -> str:
    reason = getattr(error, "orig", None) or error
    lines = str(reason).strip().splitlines()
    return f"{type(reason).__name__}: {lines[0] if lines else 'no message'}"


def _key_list(key_columns: Sequence[str], name: TableName) -> list[str]:
    # A bare string is a sequence too, and would become one key column per character.
    if isinstance(key_columns, str) or not key_columns:
        raise SqlIdentifierError(
            f"key_columns of {name} must be a non-empty list of column names, not {key_columns!r}"
        )
    return [checked_identifier(key, f"key column of {name}") for key in key_columns]


def _row_columns(first: Mapping[str, Any], keys: list[str], name: TableName) -> list[str]:
    columns = [checked_identifier(col, f"column of {name}") for col in first]
    missing = [key for key in keys if key not in columns]
    if missing:
        raise SqlIdentifierError(f"the rows for {name} lack the key columns {missing}")
    return columns


def _row_tuples(
    rows: Iterable[Mapping[str, Any]], columns: list[str], name: TableName
) -> Iterator[tuple]:
    expected = set(columns)
    for index, row in enumerate(rows):
        # A row with a column missing would silently store NULL there; a row with an extra one
        # would silently drop it.
        if set(row) != expected:
            raise SqlStatementError(
                f"row {index} for {name} has columns {sorted(row)}, but the first row has "
                f"{sorted(expected)}; give every row the same columns. Nothing was written."
            )
        yield tuple(row[col] for col in columns)


def _batches(items: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while batch := list(islice(items, size)):
        yield batch


def _column_list(columns: Iterable[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{quote(col)}" for col in columns)


def _refuse_duplicate_keys(tx: _Transaction, staged: str, keys: list[str], name: TableName) -> None:
    # ON CONFLICT cannot update one row twice in a statement; and two versions of one record in a
    # batch mean the source is confused about which is current, so no order is guessed here.
    found = tx.execute(
        f"SELECT {_column_list(keys)}, count(*) FROM {quote(staged)} "
        f"GROUP BY {_column_list(keys)} HAVING count(*) > 1 LIMIT 1"
    )
    if found:
        *key, copies = found[0]
        raise SqlStatementError(
            f"the rows for {name} hold key {tuple(key)} {copies} times; send each key once per "
            "upsert. Nothing was written."
        )


def _distinct(left: str, right: str, columns: list[str]) -> str:
    return " OR ".join(
        f"{left}.{quote(col)} IS DISTINCT FROM {right}.{quote(col)}" for col in columns
    )


def _classify_sql(name: TableName, staged: str, columns: list[str], keys: list[str]) -> str:
    values = [col for col in columns if col not in keys]
    matched = " AND ".join(f"s.{quote(key)} = t.{quote(key)}" for key in keys)
    probe = f"t.{quote(keys[0])}"
    changed = f"({_distinct('t', 's', values)})" if values else "FALSE"
    return (
        f"SELECT count(*) FILTER (WHERE {probe} IS NULL), "
        f"count(*) FILTER (WHERE {probe} IS NOT NULL AND {changed}), count(*) "
        f"FROM {quote(staged)} AS s LEFT JOIN {name.quoted} AS t ON {matched}"
    )


def _upsert_sql(name: TableName, staged: str, columns: list[str], keys: list[str]) -> str:
    values = [col for col in columns if col not in keys]
    head = (
        f"INSERT INTO {name.quoted} AS t ({_column_list(columns)}) "
        f"SELECT {_column_list(columns)} FROM {quote(staged)} "
        f"ON CONFLICT ({_column_list(keys)}) DO "
    )
    if not values:
        return head + "NOTHING"
    assignments = ", ".join(f"{quote(col)} = EXCLUDED.{quote(col)}" for col in values)
    # The WHERE leaves identical rows alone: no new row version, no trigger, no replication.
    return head + f"UPDATE SET {assignments} WHERE {_distinct('t', 'EXCLUDED', values)}"


def _column_definition(name: str, kind: str, keys: Sequence[str]) -> str:
    checked_identifier(name, "column name")
    if not isinstance(kind, str) or not COLUMN_TYPE.fullmatch(kind.strip()):
        raise SqlIdentifierError(
            f"{kind!r} is not an acceptable type for column {name!r}: use a type name with an "
            "optional precision, like VARCHAR, NUMERIC(12, 2) or TIMESTAMPTZ"
        )
    not_null = " NOT NULL" if name in keys else ""
    return f"{quote(name)} {kind.strip()}{not_null}"


def _existing_columns(tx: _Transaction, name: TableName) -> set[str]:
    found = tx.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() "
        "AND table_schema = coalesce(:schema, current_schema()) AND table_name = :table",
        {"schema": name.schema, "table": name.name},
    )
    return {row[0] for row in found}


def _require_columns(name: TableName, existing: set[str], wanted: Mapping[str, str]) -> None:
    missing = sorted(set(wanted) - existing)
    if missing:
        raise SqlSchemaError(
            f"table {name} exists but lacks the columns {missing}; add them with ALTER TABLE or "
            "point the connector at another table"
        )
    logger.debug("table %s already exists with the needed columns", name)


def _read_statement(table_or_query: str, params: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """Return the SQL, its parameters, and how to name the source in logs (never the SQL)."""
    first_word = table_or_query.lstrip().split(None, 1)[0].lower() if table_or_query else ""
    if first_word in QUERY_STARTS:
        return table_or_query, params, "a query"

    name = TableName.parse(table_or_query.strip())
    conditions = []
    for col, value in params.items():
        checked_identifier(col, f"filter column of {name}")
        conditions.append(f"{quote(col)} IS NULL" if value is None else f"{quote(col)} = :{col}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    bound = {col: value for col, value in params.items() if value is not None}
    return f"SELECT * FROM {name.quoted}{where}", bound, str(name)


def _duckdb_parameters(sql: str) -> str:
    """Turn `:name` parameters into DuckDB's `$name`, so one query text works on both backends."""
    return _BIND_PARAMETER.sub(r"$\1", sql).replace("\\:", ":")


def _require_one_select(sql: str) -> None:
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise SqlStatementError(
            "a read takes a single SELECT query; the one given is "
            f"{len(statements)} statement(s), not a lone SELECT"
        )
