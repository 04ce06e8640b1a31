"""Three-way comparison of one record held by Centra and by another system.

Both sides are given in one vocabulary (the mapping files translate the other system's fields and
codes into Centra's), together with what the two last agreed on. Per field:

- equal on both sides: nothing to do, and the agreement is remembered;
- changed on one side only (still equal to the last agreed value on the other): copied across;
- different on both sides, or different with nothing agreed before: a conflict, settled by the
  field's policy in conflicts.yaml. A held conflict writes nothing for that field.

Nothing here reads or writes a database; `outbound.conflicts` stores the outcome.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from centra_pipelines.config.conflicts import (
    CENTRA,
    HOLD,
    NEWEST_WINS,
    SYSTEM_OF_RECORD,
    EntityPolicies,
    FieldPolicy,
)

# Field name of a conflict about the record itself (one side deleted it after a sync).
WHOLE_RECORD = "*record*"


@dataclass(frozen=True)
class Side:
    """One system's copy of a record."""

    system: str
    values: dict[str, Any]
    updated_at: datetime | None = None
    # When this copy was read from the system; None when it was read just now. A copy older than
    # our last write to the system does not show that write yet (see conflicts.plan_two_way).
    read_at: datetime | None = None


@dataclass(frozen=True)
class Conflict:
    """A field that differs on both sides, and how its policy settled it."""

    field: str
    centra_value: Any
    other_value: Any
    agreed_value: Any
    policy: str
    winner: str | None  # None: held for review

    @property
    def held(self) -> bool:
        return self.winner is None


@dataclass
class Decision:
    """What to write where for one record, and why."""

    record_key: str
    to_centra: dict[str, Any] = field(default_factory=dict)
    to_other: dict[str, Any] = field(default_factory=dict)
    create_in: str | None = None  # the system that does not have the record yet
    agreed: dict[str, Any] = field(default_factory=dict)  # equal on both sides now
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def writes_anything(self) -> bool:
        return bool(self.to_centra or self.to_other or self.create_in)


def reconcile(
    record_key: str,
    centra: Side | None,
    other: Side | None,
    agreed: dict[str, Any] | None,
    policies: EntityPolicies,
) -> Decision:
    """Decide, field by field, what each side must be told about one record."""
    decision = Decision(record_key)
    if centra is None or other is None:
        return _one_side_only(decision, centra or other, agreed, policies)

    for name in sorted(set(centra.values) | set(other.values)):
        _decide_field(decision, name, centra, other, agreed or {}, policies.for_field(name))
    return decision


def _one_side_only(
    decision: Decision, present: Side | None, agreed: dict | None, policies: EntityPolicies
) -> Decision:
    """A record new on one side is created on the other; one we synced before is not deleted."""
    if present is None:
        return decision
    missing_in = policies.other_system if present.system == CENTRA else CENTRA
    if agreed is None:
        decision.create_in = missing_in
        target = decision.to_other if missing_in != CENTRA else decision.to_centra
        target.update(present.values)
        return decision

    # Deletions are never copied: a record gone from one side after a sync waits for a person.
    centra_value = "present" if present.system == CENTRA else "deleted"
    other_value = "deleted" if present.system == CENTRA else "present"
    decision.conflicts.append(
        Conflict(WHOLE_RECORD, centra_value, other_value, "present", HOLD, None)
    )
    return decision


def _decide_field(
    decision: Decision,
    name: str,
    centra: Side,
    other: Side,
    agreed: dict[str, Any],
    policy: FieldPolicy,
) -> None:
    ours, theirs = centra.values.get(name), other.values.get(name)
    if ours == theirs:
        decision.agreed[name] = ours
        return

    known = name in agreed
    centra_changed = not known or ours != agreed[name]
    other_changed = not known or theirs != agreed[name]
    if centra_changed and not other_changed:
        decision.to_other[name] = ours
        return
    if other_changed and not centra_changed:
        decision.to_centra[name] = theirs
        return

    winner = _winner(policy, centra, other)
    decision.conflicts.append(
        Conflict(name, ours, theirs, agreed.get(name), policy.describe(), winner)
    )
    if winner == CENTRA:
        decision.to_other[name] = ours
    elif winner is not None:
        decision.to_centra[name] = theirs


def _winner(policy: FieldPolicy, centra: Side, other: Side) -> str | None:
    if policy.policy == SYSTEM_OF_RECORD:
        return policy.system
    if policy.policy == NEWEST_WINS:
        return _newest(centra, other)
    if policy.policy == HOLD:
        return None
    raise ValueError(f"unknown conflict policy {policy.policy!r}")


def _newest(centra: Side, other: Side) -> str | None:
    """The side updated last; a tie or a missing time is held, as neither is known newer."""
    if centra.updated_at is None or other.updated_at is None:
        return None
    if centra.updated_at == other.updated_at:
        return None
    return centra.system if centra.updated_at > other.updated_at else other.system
