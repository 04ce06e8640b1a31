"""The webhook inbox: deliveries and their events, stored durably before Centra hears "200".

Sensors read new events with a cursor (`events_after(last_seen_id)`), so ids must become visible
in increasing order: a sensor that has seen id 7 never looks below it again. On SQLite the
database's single writer lock already commits inserts one at a time in id order. On PostgreSQL
concurrent transactions can take ids 7 and 8 and commit 8 first; a sensor reading in between would
move its cursor past 7 forever. Every inserting transaction therefore first takes one
transaction-scoped advisory lock, which makes PostgreSQL writers commit in id order too.

The inbox is its own small database (SQLite by default, or PostgreSQL), never the DuckDB warehouse:
DuckDB admits one writing process, and a webhook must not wait for a pipeline run to finish.
"""

import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.schema import CreateTable

from centra_pipelines.webhooks.payloads import INTEGRATION, WebhookEvent

logger = logging.getLogger(__name__)

# How long a writer waits for SQLite's write lock before giving up (the receiver then answers 503
# and Centra retries). Writes take milliseconds; only a stuck process holds the lock this long.
# It stays under Centra's default 5 s call timeout, so Centra hears the 503 instead of timing out.
DEFAULT_BUSY_TIMEOUT_SECONDS = 3.0

# How long to wait for a PostgreSQL connection. Centra gives up on a call after 5 s by default,
# so a quick 503 is better than a hang.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5

# Key of the PostgreSQL advisory lock that serializes inbox writers. Any constant works as long as
# every receiver uses the same one and nothing else in the database uses it.
ADVISORY_LOCK_KEY = 7_314_420_151

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class InboxConfigError(ValueError):
    """The inbox URL cannot work; the message says what to change."""


class InboxUnavailable(RuntimeError):
    """The inbox database did not answer or refused the write; nothing was stored."""


class UTCDateTime(TypeDecorator):
    """A timestamp that is UTC-aware in Python on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("inbox timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("signature_timestamp", BigInteger, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("new_event_count", Integer, nullable=False),
)

events = Table(
    "webhook_events",
    metadata,
    # INTEGER (not BIGINT) on SQLite, where only that spelling becomes the autoincrementing rowid.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("delivery_id", String(32), ForeignKey(deliveries.c.id), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("type", String(100), nullable=False),
    Column("action", String(100)),
    Column("object_id", String(100), nullable=False),
    Column("event_date", String(100)),
    Column("received_at", UTCDateTime, nullable=False),
    Column("dedupe_key", Text, nullable=False),
    UniqueConstraint("dedupe_key", name="uq_webhook_events_dedupe_key"),
    # AUTOINCREMENT keeps SQLite from ever handing out an id again, even the highest one.
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class InboxEvent:
    """An event as stored: its inbox id (the sensor cursor) and when it arrived."""

    id: int
    delivery_id: str
    kind: str
    type: str
    action: str | None
    object_id: str
    event_date: str | None
    received_at: datetime
    dedupe_key: str

    @property
    def event(self) -> WebhookEvent:
        """The event as Centra sent it."""
        return WebhookEvent(self.kind, self.type, self.action, self.object_id, self.event_date)


@dataclass(frozen=True)
class StoreResult:
    """What one delivery added: `stored` new events, `duplicates` already in the inbox."""

    delivery_id: str
    stored: int
    duplicates: int


def dedupe_key(event: WebhookEvent, signature_timestamp: int, body_sha256: str) -> str:
    """The key under which an event is stored at most once.

    Integration API events carry their own date, so a retry of the same event (re-signed or not)
    has the same key. Checkout API events carry only an id; the signing time and the body tell a
    later change of the same object from a byte-identical redelivery of the same call.
    """
    if event.kind == INTEGRATION:
        parts = (event.type, event.action or "", event.object_id, event.event_date or "")
    else:
        parts = (event.type, event.object_id, str(signature_timestamp), body_sha256)
    # Escaping keeps the key unambiguous when a value itself contains "|".
    escaped = (part.replace("\\", "\\\\").replace("|", "\\|") for part in parts)
    return "|".join((event.kind, *escaped))


class WebhookInbox:
    """Deliveries and events in SQLite or PostgreSQL, safe for one writer and many readers.

    Args:
        database_url: a SQLAlchemy URL: `sqlite:////abs/path.sqlite` or
            `postgresql+psycopg2://user:password@host/db`.
        busy_timeout_seconds: how long a SQLite writer waits for another process's write lock.
    """

    def __init__(
        self, database_url: str, *, busy_timeout_seconds: float = DEFAULT_BUSY_TIMEOUT_SECONDS
    ) -> None:
        self._url = _parse_url(database_url)
        self._engine = _create_engine(self._url, busy_timeout_seconds)
        self._prepared = False
        self._prepare_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WebhookInbox({self.display_url!r})"

    @property
    def display_url(self) -> str:
        """The database URL with any password masked, for logs and messages."""
        return self._url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Close pooled connections (the inbox opens new ones if used again)."""
        self._engine.dispose()

    def prepare(self) -> None:
        """Create the tables unless they exist; safe to call from several processes at once."""
        if self._prepared:
            return
        with self._prepare_lock, self._guard("create the inbox tables"):
            if self._prepared:
                return
            with self._engine.begin() as conn:
                self._serialize_writers(conn)
                for table in metadata.sorted_tables:
                    conn.execute(CreateTable(table, if_not_exists=True))
            self._prepared = True
            logger.info("webhook inbox ready at %s", self.display_url)

    def store(
        self,
        events: Sequence[WebhookEvent],
        *,
        signature_timestamp: int,
        body_sha256: str,
        delivery_id: str | None = None,
        received_at: datetime | None = None,
    ) -> StoreResult:
        """Record one delivery and its events not stored before, in one transaction.

        Args:
            events: the delivery's events, in the order Centra sent them.
            signature_timestamp: the verified `t` of the X-Centra-Signature header.
            body_sha256: hex SHA-256 of the raw body, to recognize byte-identical redeliveries.
            delivery_id: id to record the delivery under; a new UUID when omitted.
            received_at: when the delivery arrived (UTC-aware); now when omitted.

        Returns:
            The delivery id and how many events were new and how many already stored.

        Raises:
            InboxUnavailable: the database failed; nothing of this delivery was stored.
        """
        self.prepare()
        delivery_id = delivery_id or uuid.uuid4().hex
        received_at = received_at or datetime.now(UTC)
        rows = _event_rows(events, delivery_id, received_at, signature_timestamp, body_sha256)

        with self._guard(f"store delivery {delivery_id}"), self._engine.begin() as conn:
            self._serialize_writers(conn)

            conn.execute(
                insert(deliveries).values(
                    id=delivery_id,
                    received_at=received_at,
                    signature_timestamp=signature_timestamp,
                    body_sha256=body_sha256,
                    event_count=len(events),
                    new_event_count=0,
                )
            )
            stored = self._insert_new_events(conn, rows)

            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(new_event_count=stored)
            )

        return StoreResult(delivery_id, stored=stored, duplicates=len(events) - stored)

    def events_after(self, last_id: int, limit: int) -> list[InboxEvent]:
        """Up to `limit` events with an id above `last_id`, in id order (0 reads from the start)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.prepare()
        query = select(events).where(events.c.id > last_id).order_by(events.c.id).limit(limit)
        with self._guard("read events"), self._engine.connect() as conn:
            return [InboxEvent(**row._mapping) for row in conn.execute(query)]

    def last_event_id(self) -> int:
        """The highest stored event id, 0 when the inbox is empty."""
        return self._scalar(select(func.coalesce(func.max(events.c.id), 0)))

    def count(self) -> int:
        """How many events are stored."""
        return self._scalar(select(func.count()).select_from(events))

    def delivery_count(self) -> int:
        """How many deliveries were stored, duplicates included."""
        return self._scalar(select(func.count()).select_from(deliveries))

    def _scalar(self, query) -> int:
        self.prepare()
        with self._guard("read the inbox"), self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def _serialize_writers(self, conn: Connection) -> None:
        # See the module docstring: without this, PostgreSQL could show id 8 before id 7. The lock
        # is released when the transaction ends. SQLite's write lock already serializes writers.
        if self._engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})

    def _insert_new_events(self, conn: Connection, rows: list[dict]) -> int:
        if not rows:
            return 0
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        statement = (
            dialect_insert(events)
            .on_conflict_do_nothing(index_elements=[events.c.dedupe_key])
            .returning(events.c.id)
        )
        return len(conn.execute(statement, rows).all())

    def _guard(self, doing: str):
        return _database_errors(doing, self.display_url)


@contextmanager
def _database_errors(doing: str, where: str) -> Iterator[None]:
    """Turn driver errors into InboxUnavailable, saying what failed and where."""
    try:
        yield
    except SQLAlchemyError as error:
        # The engine hides bound parameters, so the message carries no payload values.
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise InboxUnavailable(
            f"could not {doing} in {where}: {type(error).__name__}: {reason}"
        ) from error


def _event_rows(
    items: Iterable[WebhookEvent],
    delivery_id: str,
    received_at: datetime,
    signature_timestamp: int,
    body_sha256: str,
) -> list[dict]:
    rows: dict[str, dict] = {}
    for item in items:
        key = dedupe_key(item, signature_timestamp, body_sha256)
        # A key repeated within one delivery is a duplicate like any other.
        rows.setdefault(
            key,
            {
                "delivery_id": delivery_id,
                "kind": item.kind,
                "type": item.type,
                "action": item.action,
                "object_id": item.object_id,
                "event_date": item.event_date,
                "received_at": received_at,
                "dedupe_key": key,
            },
        )
    return list(rows.values())


def _parse_url(database_url: str) -> URL:
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise InboxConfigError(
            "the webhook inbox URL is not a database URL; use sqlite:////absolute/path.sqlite "
            "or postgresql+psycopg2://user:password@host/database"
        ) from None
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise InboxConfigError(
            f"the webhook inbox runs on SQLite or PostgreSQL, not {url.get_backend_name()!r}"
        )
    return url


def _create_engine(url: URL, busy_timeout_seconds: float) -> Engine:
    if url.get_backend_name() == "sqlite":
        _create_sqlite_folder(url)
        engine = create_engine(
            url, hide_parameters=True, connect_args={"timeout": busy_timeout_seconds}
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine

    connect_args = {}
    if url.get_driver_name() in ("psycopg2", "psycopg") and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    # pre_ping replaces connections a database restart has closed instead of failing a delivery.
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, connect_args=connect_args)


def _create_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database.startswith("file:") or url.query.get("uri"):
        # A URI filename goes to SQLite as it is; its folder is the caller's business.
        return
    if database in ("", ":memory:"):
        raise InboxConfigError(
            "the webhook inbox cannot live in memory: the receiver and the sensors are separate "
            "processes; use sqlite:////absolute/path/webhook-inbox.sqlite"
        )
    Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets a sensor read while the receiver writes, from another process. The default
        # synchronous=FULL is kept: "200" promises Centra the events survive a power cut.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()
