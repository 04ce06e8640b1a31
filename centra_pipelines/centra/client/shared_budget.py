"""Centra's rate budget in one database table, so that every process of a deployment shares it.

Centra's six buckets belong to the environment, not to a process: two runs that each pace by a
budget of their own together spend twice their share and meet 429s. `SharedRateBudget` keeps the
levels, capacities, refill rates, the last update and the pause in a table that every run, sensor
and daemon process reads and writes, one short locked transaction per operation: rows are locked
with `SELECT ... FOR UPDATE` on PostgreSQL, and SQLite transactions start with `BEGIN IMMEDIATE`,
which takes the database's single write lock. Times are wall-clock Unix seconds, because processes
share no monotonic clock.

The budget of one Centra environment (one API URL) is six rows. The first process to find them
missing seeds them full, sized to its quotas; later processes take the levels as they are, so
starting a run never hands out a fresh burst, and a 429 seen by one process pauses all of them.
"""

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Column, Double, MetaData, String, Table, create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.schema import CreateTable

from centra_pipelines.centra.client import ratelimit
from centra_pipelines.centra.client.errors import CentraError

logger = logging.getLogger(__name__)

ENV_BUDGET_URL = "CENTRA_RATE_BUDGET_URL"

# `rate_budget_url` value that keeps the budget in memory, paced for this process alone.
PROCESS = "process"

# File beside the Dagster instance's own SQLite files, used when no URL is configured.
DEFAULT_FILE_NAME = "centra-rate-budget.sqlite"

TABLE_NAME = "centra_rate_budget"

# A budget transaction takes a millisecond or two; a writer waiting this long for SQLite's lock
# means a process is stuck holding it, and the request should fail rather than hang.
BUSY_TIMEOUT_SECONDS = 10.0

# A run that cannot reach its budget should fail at start within seconds, not hang.
CONNECT_TIMEOUT_SECONDS = 5

# Serializes creating the table on PostgreSQL, where two concurrent CREATE TABLE IF NOT EXISTS
# can both miss the table and one then fails. Any constant works if nothing else uses it.
ADVISORY_LOCK_KEY = 7_314_420_152

SUPPORTED_BACKENDS = ("sqlite", "postgresql")

metadata = MetaData()

budget_rows = Table(
    TABLE_NAME,
    metadata,
    Column("environment", String(255), primary_key=True),
    Column("bucket", String(64), primary_key=True),
    Column("capacity", Double, nullable=False),
    Column("refill_per_second", Double, nullable=False),
    Column("level", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    Column("paused_until", Double, nullable=False),
)


class RateBudgetConfigError(ValueError):
    """`rate_budget_url` cannot work; the message says what to set instead."""


class RateBudgetUnavailable(CentraError):
    """The shared rate budget's database did not answer or refused the update."""


def resolve_budget_url(configured: str | None, environ: Mapping[str, str]) -> str:
    """Where the budget lives: a database URL, or `PROCESS` for an in-memory budget.

    Args:
        configured: the resource's `rate_budget_url`; wins when set.
        environ: the environment, read when a run starts: `CENTRA_RATE_BUDGET_URL` comes next,
            then a SQLite file under `DAGSTER_HOME`, which every process of one Dagster instance
            on one machine shares; without either, the budget is this process's alone.
    """
    chosen = (configured or environ.get(ENV_BUDGET_URL) or "").strip()
    if chosen:
        return chosen
    home = environ.get("DAGSTER_HOME")
    if home:
        return f"sqlite:///{(Path(home) / DEFAULT_FILE_NAME).resolve()}"
    return PROCESS


def environment_key(api_url: str) -> str:
    """The key of a Centra environment's budget: its API URL without credentials or query."""
    parts = urlsplit(api_url)
    host = parts.netloc.rpartition("@")[2].lower()
    return f"{parts.scheme.lower()}://{host}{parts.path.rstrip('/')}"


class SharedRateBudget:
    """The six buckets of one Centra environment, in a table every process shares.

    The interface is `ratelimit.RateBudget`'s, and so is the arithmetic (`BudgetState`): only
    where the state lives differs.

    Args:
        url: SQLAlchemy URL of the database: `sqlite:////absolute/path.sqlite` or
            `postgresql+psycopg2://user:password@host/database`.
        environment: the Centra environment's key (`environment_key(api_url)`).
        quotas: this process's quotas, used to seed buckets that are not stored yet.
        share: the share of each quota the deployment may use.
        clock: wall-clock Unix seconds; injectable for tests.
        resize_to_quotas: size existing buckets to `quotas` on joining (levels are capped, never
            refilled); for clients that do not read the quotas from Centra, whose configured
            quotas are then the only truth.

    Raises:
        RateBudgetConfigError: the URL is not a SQLite file or PostgreSQL database.
        RateBudgetUnavailable: the database cannot be reached or updated.
    """

    def __init__(
        self,
        *,
        url: str,
        environment: str,
        quotas: Mapping[str, int],
        share: float,
        clock: Callable[[], float],
        resize_to_quotas: bool = False,
    ) -> None:
        self._url = parse_budget_url(url)
        self._environment = environment
        self._share = share
        self._clock = clock
        self._quotas = dict(quotas)
        self._store = _store_for(self._url)
        self._join(resize=resize_to_quotas)

    def __repr__(self) -> str:
        return f"SharedRateBudget({self.display_url!r}, {self._environment!r})"

    @property
    def display_url(self) -> str:
        """The database URL with any password masked, for logs and messages."""
        return self._url.render_as_string(hide_password=True)

    def reserve(self, costs: Mapping[str, float]) -> float:
        """Take `costs` (per bucket type) from every window; return the seconds to wait first."""
        with self._locked("reserve rate-limit tokens") as (state, now):
            return state.reserve(costs, now=now)

    def settle(self, bucket_type: str, extra: float) -> None:
        """Charge (or refund, if negative) the difference between an estimate and the real cost."""
        with self._locked("settle a complexity estimate") as (state, now):
            state.settle(bucket_type, extra, now=now)

    def pause(self, seconds: float) -> None:
        """Hold every process's requests for `seconds` and empty the short windows (a 429)."""
        with self._locked("pause after a 429") as (state, now):
            state.pause(seconds, now=now)

    def adopt(self, key: str, *, quota: int, remaining: int) -> None:
        """Resize one bucket to an environment quota reported by Centra's `rateLimits` query."""
        capacity = ratelimit.usable(quota, self._share)
        with self._locked("adopt Centra's reported quotas") as (state, now):
            state.adopt(key, capacity=capacity, remaining=remaining, now=now)

    def capacities(self) -> dict[str, float]:
        """Return each stored bucket's usable capacity, for logs and tests."""
        query = select(budget_rows.c.bucket, budget_rows.c.capacity).where(
            budget_rows.c.environment == self._environment
        )
        with self._guard("read the budget"), self._store.engine.begin() as conn:
            return {row.bucket: row.capacity for row in conn.execute(query)}

    def _join(self, *, resize: bool) -> None:
        with self._guard("create the budget table"):
            self._store.prepare()

        with self._guard("join the budget"), self._store.engine.begin() as conn:
            now = self._clock()
            state, seeded = self._load(conn, now)
            if resize:
                for key, quota in self._quotas.items():
                    capacity = ratelimit.usable(quota, self._share)
                    state.adopt(key, capacity=capacity, remaining=quota, now=now)
            self._write(conn, state)

        logger.info(
            "pacing Centra requests for %s by the shared rate budget in %s (%s)",
            self._environment,
            self.display_url,
            "seeded it" if seeded else "joined its current levels",
        )

    @contextlib.contextmanager
    def _locked(self, doing: str) -> Iterator[tuple[ratelimit.BudgetState, float]]:
        """Yield the stored state, locked, and write it back when the block returns."""
        with self._guard(doing), self._store.engine.begin() as conn:
            now = self._clock()
            state, _ = self._load(conn, now)
            yield state, now
            self._write(conn, state)

    def _load(self, conn: Connection, now: float) -> tuple[ratelimit.BudgetState, bool]:
        """Lock and read the environment's rows, seeding the missing ones; True if it seeded."""
        rows = self._select_locked(conn)
        missing = set(self._quotas) - {row.bucket for row in rows}
        if missing:
            self._insert_missing(conn, now)
            rows = self._select_locked(conn)
        return _state_of(rows), bool(missing)

    def _select_locked(self, conn: Connection) -> list:
        query = (
            select(budget_rows)
            .where(budget_rows.c.environment == self._environment)
            .order_by(budget_rows.c.bucket)
            .with_for_update()
        )
        return list(conn.execute(query))

    def _insert_missing(self, conn: Connection, now: float) -> None:
        # Concurrent seeders on PostgreSQL: the second insert waits for the first to commit and
        # then does nothing, so each bucket is seeded exactly once and no level is reset.
        full = ratelimit.full_buckets(self._quotas, self._share)
        rows = [
            self._row(key, bucket, updated_at=now, paused_until=now)
            for key, bucket in sorted(full.items())
        ]
        statement = _dialect_insert(conn).on_conflict_do_nothing(
            index_elements=[budget_rows.c.environment, budget_rows.c.bucket]
        )
        conn.execute(statement, rows)

    def _write(self, conn: Connection, state: ratelimit.BudgetState) -> None:
        rows = [
            self._row(key, bucket, updated_at=state.updated_at, paused_until=state.paused_until)
            for key, bucket in sorted(state.buckets.items())
        ]
        statement = _dialect_insert(conn)
        statement = statement.on_conflict_do_update(
            index_elements=[budget_rows.c.environment, budget_rows.c.bucket],
            set_={
                name: statement.excluded[name]
                for name in ("capacity", "refill_per_second", "level", "updated_at", "paused_until")
            },
        )
        conn.execute(statement, rows)

    def _row(
        self, key: str, bucket: ratelimit.Bucket, *, updated_at: float, paused_until: float
    ) -> dict:
        return {
            "environment": self._environment,
            "bucket": key,
            "capacity": bucket.capacity,
            "refill_per_second": bucket.refill_per_second,
            "level": bucket.level,
            "updated_at": updated_at,
            "paused_until": paused_until,
        }

    def _guard(self, doing: str) -> contextlib.AbstractContextManager[None]:
        return _database_errors(doing, self.display_url)


def parse_budget_url(database_url: str) -> URL:
    """Parse and check a budget URL; only databases several processes can open will do."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise RateBudgetConfigError(
            f"rate_budget_url (CENTRA_RATE_BUDGET_URL) is neither {PROCESS!r} nor a database "
            "URL; use sqlite:////absolute/path.sqlite or "
            "postgresql+psycopg2://user:password@host/database"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        # A plain postgresql:// URL (the form the warehouse takes) would make SQLAlchemy look for
        # psycopg 3, which is not installed; psycopg2 is.
        url = url.set(drivername="postgresql+psycopg2")
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise RateBudgetConfigError(
            f"the shared rate budget runs on SQLite or PostgreSQL, not {url.get_backend_name()!r}"
        )
    if "@" in (url.host or ""):
        # An unencoded @ in the password: the driver would try the rest of it as a host name
        # and print it.
        raise RateBudgetConfigError(
            "the password in rate_budget_url (CENTRA_RATE_BUDGET_URL) holds an @: percent-encode "
            "it as %40"
        )
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise RateBudgetConfigError(
            "a shared rate budget cannot live in memory: other processes could not see it; use "
            f"sqlite:////absolute/path.sqlite, or {PROCESS!r} for a budget of this process alone"
        )
    return url


@dataclass
class _Store:
    """One engine per database and process, shared by every client of that process."""

    engine: Engine
    pid: int
    prepared: bool = False

    def prepare(self) -> None:
        """Create the table unless it exists; safe from several processes at once."""
        if self.prepared:
            return
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.execute(CreateTable(budget_rows, if_not_exists=True))
        self.prepared = True


_STORES: dict[str, _Store] = {}
_STORES_LOCK = threading.Lock()


def _store_for(url: URL) -> _Store:
    # Sensors build a client per tick; one engine per process keeps their connections pooled
    # instead of opening a database connection each time. A forked child must not reuse its
    # parent's connections, so an engine is only reused in the process that made it.
    key = url.render_as_string(hide_password=False)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None or store.pid != os.getpid():
            store = _Store(_create_engine(url), os.getpid())
            _STORES[key] = store
        return store


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not (database.startswith("file:") or url.query.get("uri")):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, hide_parameters=True, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine

    connect_args = {}
    if url.get_driver_name() in ("psycopg2", "psycopg") and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    # pre_ping replaces connections a database restart has closed instead of failing a request.
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, connect_args=connect_args)


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    # The driver's own transaction handling would start with a plain BEGIN, which takes the
    # write lock only at the first write: two processes could both read the levels, and one
    # would then fail to upgrade. `_begin_immediate` starts every transaction instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers run beside the writer. synchronous=NORMAL skips an fsync per commit:
        # a power cut can only lose the last few levels, and the next 429 corrects those.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _dialect_insert(conn: Connection):
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(budget_rows)


def _state_of(rows: list) -> ratelimit.BudgetState:
    buckets = {
        row.bucket: ratelimit.Bucket(row.capacity, row.refill_per_second, row.level) for row in rows
    }
    # Every operation writes all rows of the environment, so their times agree; max() only
    # guards against a row written by hand.
    return ratelimit.BudgetState(
        buckets,
        updated_at=max(row.updated_at for row in rows),
        paused_until=max(row.paused_until for row in rows),
    )


@contextlib.contextmanager
def _database_errors(doing: str, where: str) -> Iterator[None]:
    """Turn driver errors into RateBudgetUnavailable, saying what failed and where."""
    try:
        yield
    except SQLAlchemyError as error:
        # The engine hides bound parameters and the URL is masked, so no secret reaches the log.
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise RateBudgetUnavailable(
            f"Could not {doing} in the shared Centra rate budget at {where}: "
            f"{type(error).__name__}: {reason}. Every run and sensor paces by this database so "
            "that together they stay within Centra's rate limits. Check that the database is "
            f"up and reachable from this process, or set CENTRA_RATE_BUDGET_URL={PROCESS} to pace "
            "each process alone (runs that overlap may then meet HTTP 429)."
        ) from error
