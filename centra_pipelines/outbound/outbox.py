"""The outbox: changes planned for another system, and what was last sent there.

Writing to another system is split in two steps so that checks can stand between them. A planning
asset maps what came in and stores each intended change in `outbound.planned` with status
`pending` (or `rejected`, with the reason). A sending asset then sends the pending changes,
skipping those whose content matches what `outbound.last_sent` says the target already holds, and
marks each one `sent`, `unchanged` or `failed`. A failed change stays to be sent again; a sent one
is never sent twice. Both tables live in the warehouse, so they are as durable as the data.
A change the target asked Centra for itself, read back from Centra, is stored as `echo`: the
target already holds it, so it counts as sent without being sent (docs/outbound.md).
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import duckdb

from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.warehouse.engines import create_sequence, next_value

SCHEMA = "outbound"
CHANGE_NUMBERS = f"{SCHEMA}.change_numbers"

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.planned (
    change_id VARCHAR PRIMARY KEY,
    target_system VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    payload_json VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    planned_run_id VARCHAR NOT NULL,
    planned_at TIMESTAMPTZ NOT NULL,
    handled_run_id VARCHAR,
    handled_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.remote_ids (
    target_system VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    remote_id VARCHAR NOT NULL,
    PRIMARY KEY (target_system, entity, record_key)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.last_sent (
    target_system VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    payload_json VARCHAR NOT NULL,
    sent_run_id VARCHAR NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (target_system, entity, record_key)
);
"""

PENDING, HELD, REJECTED = "pending", "held", "rejected"
Identity = tuple[str, str, str]  # target system, entity, record key
SENT, UNCHANGED, FAILED, SUPERSEDED = "sent", "unchanged", "failed", "superseded"
# Content the target holds because it made the change itself: recorded, never sent.
ECHO = "echo"


@dataclass(frozen=True)
class Change:
    """One record's intended state in the target system."""

    target_system: str
    entity: str
    record_key: str
    payload: dict[str, Any]
    source: str
    reason: str | None = None

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, sort_keys=True, default=json_value)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.payload_json.encode()).hexdigest()


@dataclass
class Planned:
    """A stored change, as the sending step reads it back."""

    change_id: str
    change: Change
    status: str
    reason: str | None = None
    handled_at: datetime | None = None
    # Set when sending failed only because the target could not serve us yet, so a step retry
    # may send it again (centra_pipelines/failures.py); never stored.
    retryable: bool = False


@dataclass(frozen=True)
class LastSent:
    """What the target holds of one record, as we last sent (or acknowledged) it."""

    payload: dict[str, Any]
    content_hash: str
    sent_at: datetime


@dataclass
class Outcome:
    """What one sending step did, for the materialization's metadata."""

    sent: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    failed: list[Planned] = field(default_factory=list)
    # Why sending stopped before every change was tried (the target became unreachable).
    stopped: str | None = None


class Outbox:
    """The outbound tables of one warehouse."""

    def __init__(self, warehouse: DuckDBWarehouse) -> None:
        self.warehouse = warehouse
        with warehouse.connect() as connection:
            connection.execute(_DDL)
            create_sequence(connection, CHANGE_NUMBERS)

    def plan(
        self, changes: Iterable[Change], run_id: str, *, hold: bool = False
    ) -> tuple[list[Planned], int]:
        """Store changes as pending (held when `hold`, rejected when they carry a reason).

        Within the batch the last change of a record wins. A change replaces every earlier
        pending, held or failed plan of its record (marked superseded), so only the newest intent
        is ever sent. A change whose content the target already got from us, with nothing else
        waiting for that record, is only counted: planning every order on every run must not grow
        the table by every order. Returns the stored changes and how many were unchanged.
        """
        changes = list(changes)  # read twice below; a generator would be empty the second time
        latest = {(c.target_system, c.entity, c.record_key): c for c in changes if not c.reason}
        rejected = [change for change in changes if change.reason]
        identities = {_identity(change) for change in changes}
        last = self._last_sent_hashes(identities)
        waiting = self._waiting_keys(identities)

        now = datetime.now(UTC)
        planned, unchanged = [], 0
        with self._transaction() as connection:
            for change in [*latest.values(), *rejected]:
                identity = _identity(change)
                already_there = last.get(identity) == change.content_hash
                if not change.reason and identity not in waiting and already_there:
                    unchanged += 1
                    continue
                if not change.reason:
                    self._supersede(connection, identity, run_id, now)
                status = REJECTED if change.reason else HELD if hold else PENDING
                change_id = self._insert(connection, change, status, change.reason, run_id, now)
                planned.append(Planned(change_id, change, status, change.reason))
        return planned, unchanged

    def acknowledge(self, changes: Iterable[Change], run_id: str, reason: str) -> list[Planned]:
        """Record content the target holds because it asked for the change itself (an echo).

        Each change is stored with status `echo` and the reason, becomes the target's last-sent
        state and supersedes the record's waiting plans, so neither this run nor a later one
        sends it back. Content the target already holds, with nothing waiting, is skipped.
        """
        changes = list(changes)
        identities = {_identity(change) for change in changes}
        last = self._last_sent_hashes(identities)
        waiting = self._waiting_keys(identities)

        now = datetime.now(UTC)
        acknowledged = []
        with self._transaction() as connection:
            for change in changes:
                identity = _identity(change)
                if identity not in waiting and last.get(identity) == change.content_hash:
                    continue
                self._supersede(connection, identity, run_id, now)
                change_id = self._insert(connection, change, ECHO, reason, run_id, now)
                self._mark(connection, change_id, ECHO, run_id, now, reason)
                self._remember_sent(connection, change, run_id, now)
                acknowledged.append(Planned(change_id, change, ECHO, reason, now))
        return acknowledged

    def last_sent(
        self, target_system: str, entity: str, keys: Iterable[str]
    ) -> dict[str, LastSent]:
        """What the target holds of these records of `entity`, by record key."""
        rows = self._rows_for(
            {(target_system, entity, key) for key in keys},
            f"SELECT record_key, payload_json, content_hash, sent_at FROM {SCHEMA}.last_sent",
        )
        return {key: LastSent(json.loads(payload), hash_, at) for key, payload, hash_, at in rows}

    def sent_after(self, target_system: str, entity: str, since: datetime) -> list[Planned]:
        """Changes of `entity` the target took after `since`, oldest first, with when."""
        rows = self.warehouse.fetch(
            f"SELECT change_id, record_key, payload_json, source, handled_at FROM {SCHEMA}.planned "
            "WHERE target_system = ? AND entity = ? AND status = ? AND handled_at > ? "
            "ORDER BY handled_at, change_id",
            [target_system, entity, SENT, since],
        )
        return [
            Planned(
                change_id,
                Change(target_system, entity, key, json.loads(payload), source),
                SENT,
                handled_at=handled_at,
            )
            for change_id, key, payload, source, handled_at in rows
        ]

    def due(self, target_system: str, entity: str) -> list[Planned]:
        """Pending and failed changes (one per record, the newest), in the order planned."""
        rows = self.warehouse.fetch(
            f"SELECT change_id, record_key, payload_json, source, status FROM {SCHEMA}.planned "
            "WHERE target_system = ? AND entity = ? AND status IN (?, ?) ORDER BY change_id",
            [target_system, entity, PENDING, FAILED],
        )
        return [
            Planned(change_id, Change(target_system, entity, key, json.loads(payload), source), st)
            for change_id, key, payload, source, st in rows
        ]

    def split_unchanged(self, due: list[Planned]) -> tuple[list[Planned], list[Planned]]:
        """Changes the target needs, and those whose content it already got from us."""
        last = self._last_sent_hashes({_identity(planned.change) for planned in due})
        needed, unchanged = [], []
        for planned in due:
            same = last.get(_identity(planned.change)) == planned.change.content_hash
            (unchanged if same else needed).append(planned)
        return needed, unchanged

    def _last_sent_hashes(self, identities: set[Identity]) -> dict[Identity, str]:
        """Last-sent hashes of just these records: last_sent holds every record ever sent."""
        rows = self._rows_for(
            identities,
            f"SELECT target_system, entity, record_key, content_hash FROM {SCHEMA}.last_sent",
        )
        return {(system, entity, key): content_hash for system, entity, key, content_hash in rows}

    def record(self, outcome: Outcome, run_id: str) -> None:
        """Store what a sending step did, statuses and last-sent state in one transaction."""
        now = datetime.now(UTC)
        with self._transaction() as connection:
            for planned in outcome.sent:
                self._remember_sent(connection, planned.change, run_id, now)
                self._mark(connection, planned.change_id, SENT, run_id, now, None)
            for planned in outcome.unchanged:
                self._mark(connection, planned.change_id, UNCHANGED, run_id, now, None)
            for planned in outcome.failed:
                self._mark(connection, planned.change_id, FAILED, run_id, now, planned.reason)

    def remote_id(self, change: Change) -> int | None:
        """The id the target gave the record when we created it, if we did."""
        rows = self.warehouse.fetch(
            f"SELECT remote_id FROM {SCHEMA}.remote_ids "
            "WHERE target_system = ? AND entity = ? AND record_key = ?",
            list(_identity(change)),
        )
        return int(rows[0][0]) if rows else None

    def remote_ids(self, target_system: str, entity: str) -> dict[str, int]:
        """Every id the target gave records of `entity` we created there, by record key."""
        rows = self.warehouse.fetch(
            f"SELECT record_key, remote_id FROM {SCHEMA}.remote_ids "
            "WHERE target_system = ? AND entity = ?",
            [target_system, entity],
        )
        return {key: int(remote_id) for key, remote_id in rows}

    def remember_remote_id(self, change: Change, remote_id: int) -> None:
        """Record a created object's id at once, so a rerun continues instead of creating twice."""
        with self._transaction() as connection:
            connection.execute(
                f"INSERT OR REPLACE INTO {SCHEMA}.remote_ids VALUES (?, ?, ?, ?)",
                [*_identity(change), str(remote_id)],
            )

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.warehouse.connect() as connection:
            connection.execute("BEGIN")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _waiting_keys(self, identities: set[Identity]) -> set[Identity]:
        query = (
            f"SELECT target_system, entity, record_key FROM {SCHEMA}.planned "
            f"WHERE status IN ('{PENDING}', '{HELD}', '{FAILED}')"
        )
        return {tuple(row) for row in self._rows_for(identities, query)}

    def _rows_for(self, identities: set[Identity], query: str) -> list[tuple]:
        """Rows of `query` for the given records, one lookup per target system and entity."""
        keys_by_kind: dict[tuple[str, str], list[str]] = {}
        for system, entity, key in identities:
            keys_by_kind.setdefault((system, entity), []).append(key)

        joiner = " AND " if " WHERE " in query else " WHERE "
        condition = "target_system = ? AND entity = ? AND list_contains(?, record_key)"
        rows = []
        for (system, entity), keys in keys_by_kind.items():
            rows += self.warehouse.fetch(query + joiner + condition, [system, entity, keys])
        return rows

    def supersede_all_waiting(self, target_system: str, entity: str, run_id: str) -> int:
        """Mark every waiting plan of an entity for a target superseded; returns how many.

        For a planner that compares every record afresh: whatever its new comparison does not
        plan again is no longer wanted, however it came to wait (a dry run, a failed send).
        """
        # The count comes from UPDATE itself: a PostgreSQL warehouse refuses UPDATE ... RETURNING.
        with self._transaction() as connection:
            return connection.execute(
                f"UPDATE {SCHEMA}.planned SET status = ?, reason = ?, handled_run_id = ?, "
                "handled_at = ? WHERE target_system = ? AND entity = ? AND status IN (?, ?, ?)",
                [
                    SUPERSEDED,
                    "a newer comparison of both sides replaced it",
                    run_id,
                    datetime.now(UTC),
                    target_system,
                    entity,
                    PENDING,
                    HELD,
                    FAILED,
                ],
            ).fetchone()[0]

    def _supersede(self, connection, identity, run_id: str, now: datetime) -> None:
        connection.execute(
            f"UPDATE {SCHEMA}.planned SET status = ?, reason = ?, handled_run_id = ?, "
            "handled_at = ? WHERE target_system = ? AND entity = ? AND record_key = ? "
            "AND status IN (?, ?, ?)",
            [
                SUPERSEDED,
                "a newer plan of the same record replaced it",
                run_id,
                now,
                *identity,
                PENDING,
                HELD,
                FAILED,
            ],
        )

    def _remember_sent(self, connection, change: Change, run_id: str, now: datetime) -> None:
        connection.execute(
            f"INSERT OR REPLACE INTO {SCHEMA}.last_sent VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                change.target_system,
                change.entity,
                change.record_key,
                change.content_hash,
                change.payload_json,
                run_id,
                now,
            ],
        )

    @staticmethod
    def _insert(connection, change: Change, status: str, reason, run_id: str, now) -> str:
        change_id = _next_change_id(connection, run_id)
        connection.execute(
            f"INSERT INTO {SCHEMA}.planned VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            [
                change_id,
                change.target_system,
                change.entity,
                change.record_key,
                change.payload_json,
                change.content_hash,
                change.source,
                status,
                reason,
                run_id,
                now,
            ],
        )
        return change_id

    @staticmethod
    def _mark(connection, change_id: str, status: str, run_id: str, now, reason) -> None:
        connection.execute(
            f"UPDATE {SCHEMA}.planned SET status = ?, reason = ?, handled_run_id = ?, "
            "handled_at = ? WHERE change_id = ?",
            [status, reason, run_id, now, change_id],
        )


def describe_reasons(planned: list[Planned], limit: int = 10) -> str:
    """The first reasons of refused or failed changes, each with where the change came from."""
    shown = [f"{item.change.source}: {item.reason}" for item in planned[:limit]]
    more = f" (+{len(planned) - limit} more)" if len(planned) > limit else ""
    return "; ".join(shown) + more


def _next_change_id(connection: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """Unique across plan calls and assets of one run; zero-padded so ids sort in planned order."""
    number = next_value(connection, CHANGE_NUMBERS)
    return f"{number:012d}:{run_id}"


def _identity(change: Change) -> Identity:
    return change.target_system, change.entity, change.record_key


def batches(items: list[Planned], size: int) -> Iterator[list[Planned]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
