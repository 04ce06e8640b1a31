"""What Centra and another system last agreed on, and every conflict between them.

`outbound.synced_state` holds, per entity, record and system, the field values that system held
when the two last agreed (after a comparison found them equal, or after we wrote the value
across), and when we last wrote to that system. `outbound.conflicts` keeps every field found
different on both sides with the policy that settled it; a held conflict stays `held` until the
two sides agree again, then becomes `closed`. Two-way planning assets (`plan_two_way`) use both
tables with the outbox, and their `conflicts` check makes held conflicts visible in the UI.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from centra_pipelines.config.conflicts import CENTRA, EntityPolicies
from centra_pipelines.outbound.outbox import Change, Outbox, Planned, json_value
from centra_pipelines.outbound.reconcile import Conflict, Decision, Side, reconcile
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.warehouse.engines import create_sequence, next_value

SCHEMA = "outbound"
HELD, RESOLVED, CLOSED = "held", "resolved", "closed"
CONFLICTS_CHECK = "conflicts"
CONFLICT_IDS = f"{SCHEMA}.conflict_ids"

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.synced_state (
    entity VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    system VARCHAR NOT NULL,
    values_json VARCHAR NOT NULL,
    synced_run_id VARCHAR NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL,
    written_at TIMESTAMPTZ,
    PRIMARY KEY (entity, record_key, system)
);
-- Ids come from the conflict_ids sequence at insert: a column default cannot name a sequence
-- when the warehouse is PostgreSQL (centra_pipelines/warehouse/engines.py).
CREATE TABLE IF NOT EXISTS {SCHEMA}.conflicts (
    conflict_id BIGINT PRIMARY KEY,
    entity VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    other_system VARCHAR NOT NULL,
    centra_value VARCHAR,
    other_value VARCHAR,
    agreed_value VARCHAR,
    policy VARCHAR NOT NULL,
    winner VARCHAR,
    status VARCHAR NOT NULL,
    detected_run_id VARCHAR NOT NULL,
    detected_at TIMESTAMPTZ NOT NULL,
    closed_run_id VARCHAR,
    closed_at TIMESTAMPTZ
);
"""


@dataclass
class TwoWayPlan:
    """What planning one entity both ways decided."""

    entity: str
    other_system: str
    decisions: list[Decision] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    unchanged: int = 0

    @property
    def conflicts(self) -> list[tuple[str, Conflict]]:
        return [(d.record_key, c) for d in self.decisions for c in d.conflicts]

    def writes_to(self, system: str) -> list[Planned]:
        return [item for item in self.planned if item.change.target_system == system]


@dataclass(frozen=True)
class _StoredConflict:
    conflict_id: int
    status: str
    centra_value: str | None
    other_value: str | None
    agreed_value: str | None
    winner: str | None

    def settles(self, values: list[str | None], winner: str | None) -> bool:
        """Whether this row records the same three values settled for the same side."""
        stored = [self.centra_value, self.other_value, self.agreed_value]
        return stored == values and self.winner == winner


class SyncLedger:
    """The synced-state and conflicts tables of one warehouse."""

    def __init__(self, warehouse: DuckDBWarehouse) -> None:
        self.warehouse = warehouse
        with warehouse.connect() as connection:
            connection.execute(_DDL)
            create_sequence(connection, CONFLICT_IDS)

    def agreed(self, entity: str, other_system: str) -> dict[str, dict[str, Any]]:
        """Per record, the fields both systems held with the same value at the last sync."""
        rows = self.warehouse.fetch(
            f"SELECT record_key, system, values_json FROM {SCHEMA}.synced_state "
            "WHERE entity = ? AND system IN (?, ?)",
            [entity, CENTRA, other_system],
        )
        by_record: dict[str, dict[str, dict]] = {}
        for key, system, values_json in rows:
            by_record.setdefault(key, {})[system] = json.loads(values_json)

        agreed = {}
        for key, states in by_record.items():
            ours, theirs = states.get(CENTRA, {}), states.get(other_system, {})
            agreed[key] = {
                name: v for name, v in ours.items() if name in theirs and theirs[name] == v
            }
        return agreed

    def last_written(self, entity: str, system: str) -> dict[str, datetime]:
        """Per record, when we last wrote it to `system`."""
        rows = self.warehouse.fetch(
            f"SELECT record_key, written_at FROM {SCHEMA}.synced_state "
            "WHERE entity = ? AND system = ? AND written_at IS NOT NULL",
            [entity, system],
        )
        return dict(rows)

    def remember(
        self,
        entity: str,
        other_system: str,
        agreements: dict[str, dict[str, Any]],
        run_id: str,
        *,
        written_to: str | None = None,
    ) -> None:
        """Record fields now equal on both sides (merged into what each system held before).

        `written_to` names the system we just wrote these fields to, so that a copy of it read
        before this moment is known not to show them yet.
        """
        agreements = {key: values for key, values in agreements.items() if values}
        if not agreements:
            return
        now = datetime.now(UTC)
        with self.warehouse.connect() as connection:
            connection.execute("BEGIN")
            for key, values in agreements.items():
                for system in (CENTRA, other_system):
                    written = now if system == written_to else None
                    self._merge_state(connection, entity, key, system, values, run_id, now, written)
            connection.execute("COMMIT")

    def record_conflicts(
        self, entity: str, other_system: str, decisions: Iterable[Decision], run_id: str
    ) -> None:
        """Store this comparison's conflicts; close held ones whose two sides now agree."""
        now = datetime.now(UTC)
        with self.warehouse.connect() as connection:
            connection.execute("BEGIN")
            for decision in decisions:
                held_fields = {c.field for c in decision.conflicts if c.held}
                self._close_settled(connection, entity, decision.record_key, held_fields, run_id)
                for conflict in decision.conflicts:
                    self._store(
                        connection, entity, other_system, decision.record_key, conflict, run_id, now
                    )
            connection.execute("COMMIT")

    def held(self, entity: str) -> list[tuple]:
        """Conflicts waiting for a person: record, field, both values, since when."""
        return self.warehouse.fetch(
            f"SELECT record_key, field, centra_value, other_value, detected_at "
            f"FROM {SCHEMA}.conflicts WHERE entity = ? AND status = ? ORDER BY conflict_id",
            [entity, HELD],
        )

    def _merge_state(self, connection, entity, key, system, values, run_id, now, written):
        row = connection.execute(
            f"SELECT values_json, written_at FROM {SCHEMA}.synced_state "
            "WHERE entity = ? AND record_key = ? AND system = ?",
            [entity, key, system],
        ).fetchone()
        merged = {**(json.loads(row[0]) if row else {}), **_plain(values)}
        written = written or (row[1] if row else None)
        connection.execute(
            f"INSERT OR REPLACE INTO {SCHEMA}.synced_state VALUES (?, ?, ?, ?, ?, ?, ?)",
            [entity, key, system, json.dumps(merged, sort_keys=True), run_id, now, written],
        )

    def _close_settled(self, connection, entity, key, held_fields: set[str], run_id) -> None:
        """A held conflict whose field is no longer in dispute was settled by a person."""
        open_fields = connection.execute(
            f"SELECT conflict_id, field FROM {SCHEMA}.conflicts "
            "WHERE entity = ? AND record_key = ? AND status = ?",
            [entity, key, HELD],
        ).fetchall()
        for conflict_id, name in open_fields:
            if name not in held_fields:
                connection.execute(
                    f"UPDATE {SCHEMA}.conflicts SET status = ?, closed_run_id = ?, "
                    "closed_at = ? WHERE conflict_id = ?",
                    [CLOSED, run_id, datetime.now(UTC), conflict_id],
                )

    @staticmethod
    def _latest(connection, entity: str, key: str, name: str) -> "_StoredConflict | None":
        row = connection.execute(
            f"SELECT conflict_id, status, centra_value, other_value, agreed_value, winner "
            f"FROM {SCHEMA}.conflicts WHERE entity = ? AND record_key = ? AND field = ? "
            "ORDER BY conflict_id DESC LIMIT 1",
            [entity, key, name],
        ).fetchone()
        return _StoredConflict(*row) if row else None

    def _store(self, connection, entity, other_system, key, conflict: Conflict, run_id, now):
        values = [
            _as_json(conflict.centra_value),
            _as_json(conflict.other_value),
            _as_json(conflict.agreed_value),
        ]
        latest = self._latest(connection, entity, key, conflict.field)
        if latest and latest.status == RESOLVED and latest.settles(values, conflict.winner):
            # Settled the same way before but not written yet (a dry run, or a send that
            # failed): it is the same dispute, stored once.
            return
        if latest and latest.status == HELD and conflict.held:
            # The same dispute seen again: refresh the values, keep one row and its first date.
            connection.execute(
                f"UPDATE {SCHEMA}.conflicts SET centra_value = ?, other_value = ?, "
                "agreed_value = ? WHERE conflict_id = ?",
                [*values, latest.conflict_id],
            )
            return
        connection.execute(
            f"INSERT INTO {SCHEMA}.conflicts (conflict_id, entity, record_key, field, "
            "other_system, centra_value, other_value, agreed_value, policy, winner, status, "
            "detected_run_id, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                next_value(connection, CONFLICT_IDS),
                entity,
                key,
                conflict.field,
                other_system,
                *values,
                conflict.policy,
                conflict.winner,
                HELD if conflict.held else RESOLVED,
                run_id,
                now,
            ],
        )


def plan_two_way(
    ledger: SyncLedger,
    outbox: Outbox,
    entity: str,
    policies: EntityPolicies,
    centra_records: dict[str, Side],
    other_records: dict[str, Side],
    run_id: str,
) -> TwoWayPlan:
    """Compare every record of both sides, plan the writes each way, store agreement and conflicts.

    A write is a `Change` to target `centra` or to the other system with payload
    `{"create": bool, "fields": {...}}` in the shared vocabulary; the sending asset translates it
    into the target's API and calls `after_sent` for what the target took.
    """
    plan = TwoWayPlan(entity, policies.other_system)
    agreed = ledger.agreed(entity, policies.other_system)
    written = {
        system: ledger.last_written(entity, system) for system in (CENTRA, policies.other_system)
    }
    for key in sorted(set(centra_records) | set(other_records)):
        sides = [centra_records.get(key), other_records.get(key)]
        centra, other = (_as_of_our_write(side, key, agreed, written) for side in sides)
        decision = reconcile(key, centra, other, agreed.get(key), policies)
        plan.decisions.append(decision)

    agreements = {decision.record_key: decision.agreed for decision in plan.decisions}
    ledger.remember(entity, policies.other_system, agreements, run_id)
    ledger.record_conflicts(entity, policies.other_system, plan.decisions, run_id)

    # This comparison covers every record, so a write planned earlier (by a dry run, or one
    # that failed) and not planned again now must not be sent: the other side may have changed
    # since, and sending it would overwrite the newer value.
    for target in (CENTRA, policies.other_system):
        outbox.supersede_all_waiting(target, entity, run_id)
    plan.planned, unchanged_writes = outbox.plan(_changes(plan), run_id)
    in_agreement = sum(1 for d in plan.decisions if not d.writes_anything and not d.conflicts)
    plan.unchanged = unchanged_writes + in_agreement
    return plan


def after_sent(ledger: SyncLedger, entity: str, other_system: str, sent: list[Planned], run_id):
    """The fields a target took now agree on both sides."""
    for target in {item.change.target_system for item in sent}:
        ledger.remember(
            entity,
            other_system,
            {
                item.change.record_key: item.change.payload["fields"]
                for item in sent
                if item.change.target_system == target
            },
            run_id,
            written_to=target,
        )


def conflicts_check_spec(asset_key: list[str], entity: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        CONFLICTS_CHECK,
        asset=dg.AssetKey(asset_key),
        description=f"No {entity} field is held for review because it changed on both sides "
        "(see outbound.conflicts). Conflicts a policy settled are listed, not failed.",
    )


def conflicts_check(plan: TwoWayPlan, ledger: SyncLedger) -> dg.AssetCheckResult:
    """Warns while any conflict of the entity is held; lists this run's conflicts either way."""
    held = ledger.held(plan.entity)
    return dg.AssetCheckResult(
        check_name=CONFLICTS_CHECK,
        passed=not held,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "held": len(held),
            "settled_by_policy": sum(1 for _, c in plan.conflicts if not c.held),
            "this_run": dg.MetadataValue.md(conflicts_table(plan, plan.other_system)),
        },
    )


def conflicts_table(plan: TwoWayPlan, other_system: str, limit: int = 20) -> str:
    lines = [
        f"| record | field | centra | {other_system} | last agreed | policy | winner |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, conflict in plan.conflicts[:limit]:
        lines.append(
            f"| {key} | {conflict.field} | {conflict.centra_value} | {conflict.other_value} "
            f"| {conflict.agreed_value} | {conflict.policy} | {conflict.winner or 'held'} |"
        )
    return "\n".join(lines)


def _changes(plan: TwoWayPlan) -> list[Change]:
    changes = []
    for decision in plan.decisions:
        for target, fields in (
            (CENTRA, decision.to_centra),
            (plan.other_system, decision.to_other),
        ):
            if fields:
                payload = {"create": decision.create_in == target, "fields": fields}
                source = f"{plan.entity} from {_other(target, plan.other_system)}"
                changes.append(Change(target, plan.entity, decision.record_key, payload, source))
    return changes


def _other(system: str, other_system: str) -> str:
    return other_system if system == CENTRA else CENTRA


def _as_of_our_write(
    side: Side | None, key: str, agreed: dict, written: dict[str, dict[str, datetime]]
) -> Side | None:
    """A copy read before our last write to its system, with what that write put there.

    Centra's side is read from the warehouse, which shows our writes only after the next sync of
    that data type. Without this, a value we just wrote would look like Centra still holding the
    old one, and the old one would be copied back to the other system.
    """
    side = _comparable(side)
    if side is None or side.read_at is None:
        return side
    written_at = written.get(side.system, {}).get(key)
    if written_at is None or side.read_at >= written_at:
        return side
    return Side(side.system, {**side.values, **agreed.get(key, {})}, side.updated_at, side.read_at)


def _comparable(side: Side | None) -> Side | None:
    """Values in the form the synced state stores them, so that stored and live compare equal.

    Flows give decimals in one canonical form (e.g. money at the currency's places): Decimal("9.9")
    and Decimal("9.90") would be stored as different strings.
    """
    if side is None:
        return None
    return Side(side.system, _plain(side.values), side.updated_at, side.read_at)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe values (decimals and times as strings), as the comparison reads them back."""
    return json.loads(json.dumps(values, default=json_value))


def _as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=json_value)
