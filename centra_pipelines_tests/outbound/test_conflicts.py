"""Two-way comparison: one-sided changes copied, conflicts settled by policy, held ones kept."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from centra_pipelines.config.conflicts import (
    ConfigFileError,
    EntityPolicies,
    load_conflict_config,
)
from centra_pipelines.outbound.conflicts import (
    RESOLVED,
    SyncLedger,
    after_sent,
    conflicts_check,
    plan_two_way,
)
from centra_pipelines.outbound.outbox import Outbox
from centra_pipelines.outbound.reconcile import WHOLE_RECORD, Side, reconcile
from centra_pipelines.warehouse import DuckDBWarehouse

EARLY, LATE = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)

POLICIES = EntityPolicies.model_validate(
    {
        "other_system": "erp",
        "default": {"policy": "newest_wins"},
        "fields": {
            "email": {"policy": "system_of_record", "system": "centra"},
            "phone": {"policy": "system_of_record", "system": "erp"},
            "newsletter": {"policy": "hold"},
        },
    }
)


def centra(values, updated_at=EARLY, read_at=None):
    return Side("centra", values, updated_at, read_at)


def erp(values, updated_at=EARLY):
    return Side("erp", values, updated_at)


def test_a_field_changed_on_one_side_is_copied_to_the_other():
    agreed = {"name": "Ada", "phone": "1"}

    decision = reconcile(
        "7", centra({"name": "Ada B", "phone": "1"}), erp(agreed), agreed, POLICIES
    )

    assert decision.to_other == {"name": "Ada B"}
    assert decision.to_centra == {}
    assert decision.agreed == {"phone": "1"}
    assert decision.conflicts == []


def test_both_sides_changed_is_settled_by_each_fields_policy():
    agreed = {"email": "a@x", "phone": "1", "name": "Ada", "newsletter": True}
    ours = centra({"email": "c@x", "phone": "2", "name": "Ada C", "newsletter": False}, LATE)
    theirs = erp({"email": "e@x", "phone": "3", "name": "Ada E", "newsletter": None}, EARLY)

    decision = reconcile("7", ours, theirs, agreed, POLICIES)

    winners = {c.field: c.winner for c in decision.conflicts}
    assert winners == {"email": "centra", "phone": "erp", "name": "centra", "newsletter": None}
    assert decision.to_other == {"email": "c@x", "name": "Ada C"}
    assert decision.to_centra == {"phone": "3"}


def test_newest_wins_holds_a_tie_instead_of_guessing():
    agreed = {"name": "Ada"}

    decision = reconcile(
        "7", centra({"name": "B"}, LATE), erp({"name": "C"}, LATE), agreed, POLICIES
    )

    assert [c.winner for c in decision.conflicts] == [None]
    assert decision.to_centra == decision.to_other == {}


def test_a_record_new_on_one_side_is_created_and_a_deleted_one_is_held():
    created = reconcile("9", None, erp({"name": "New"}), None, POLICIES)
    deleted = reconcile("9", None, erp({"name": "New"}), {"name": "New"}, POLICIES)

    assert created.create_in == "centra" and created.to_centra == {"name": "New"}
    assert deleted.writes_anything is False
    assert [c.field for c in deleted.conflicts] == [WHOLE_RECORD]


def compare(ledger, outbox, run_id: str, ours: dict, theirs: dict, *, entity: str = "customers"):
    """One comparison of both sides, as a planning asset runs it."""
    return plan_two_way(ledger, outbox, entity, POLICIES, ours, theirs, run_id)


@pytest.fixture
def ledger_and_outbox(tmp_path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    return SyncLedger(warehouse), Outbox(warehouse)


def test_two_runs_keep_one_held_conflict_and_close_it_once_the_sides_agree(ledger_and_outbox):
    ledger, outbox = ledger_and_outbox
    first = {"7": centra({"newsletter": True})}, {"7": erp({"newsletter": True})}
    compare(ledger, outbox, "run-1", *first)
    disputed = {"7": centra({"newsletter": False})}, {"7": erp({"newsletter": None})}

    plan = compare(ledger, outbox, "run-2", *disputed)
    compare(ledger, outbox, "run-3", *disputed)

    assert plan.planned == []
    assert [row[:4] for row in ledger.held("customers")] == [("7", "newsletter", "false", None)]
    assert conflicts_check(plan, ledger).passed is False

    settled = {"7": centra({"newsletter": False})}, {"7": erp({"newsletter": False})}
    compare(ledger, outbox, "run-4", *settled)
    assert ledger.held("customers") == []


def test_a_sent_change_becomes_the_agreed_value_and_is_not_planned_again(ledger_and_outbox):
    ledger, outbox = ledger_and_outbox
    compare(ledger, outbox, "r1", {"7": centra({"name": "A"})}, {"7": erp({"name": "A"})})
    changed = {"7": centra({"name": "B"})}, {"7": erp({"name": "A"})}

    plan = compare(ledger, outbox, "r2", *changed)
    assert [(p.change.target_system, p.change.payload) for p in plan.planned] == [
        ("erp", {"create": False, "fields": {"name": "B"}})
    ]
    after_sent(ledger, "customers", "erp", plan.planned, "r2")

    again = compare(ledger, outbox, "r3", {"7": centra({"name": "B"})}, {"7": erp({"name": "B"})})
    assert again.planned == [] and again.conflicts == []


def test_a_failed_send_is_planned_again_in_the_same_direction(ledger_and_outbox):
    """The agreed value moves only after the target took it, so a retry is not a conflict."""
    ledger, outbox = ledger_and_outbox
    compare(
        ledger,
        outbox,
        "r1",
        {"1": centra({"price": Decimal("10.00")})},
        {"1": erp({"price": Decimal("10.00")})},
        entity="prices",
    )
    changed = {"1": centra({"price": Decimal("10.00")})}, {"1": erp({"price": Decimal("12.50")})}

    compare(ledger, outbox, "r2", *changed, entity="prices")  # sending failed
    retry = compare(ledger, outbox, "r3", *changed, entity="prices")

    assert retry.conflicts == []
    assert [(p.change.target_system, p.change.payload["fields"]) for p in retry.planned] == [
        ("centra", {"price": "12.50"})
    ]


def test_every_settled_conflict_is_kept_with_its_policy_and_winner(ledger_and_outbox):
    ledger, outbox = ledger_and_outbox
    compare(ledger, outbox, "r1", {"7": centra({"email": "a"})}, {"7": erp({"email": "a"})})
    compare(ledger, outbox, "r2", {"7": centra({"email": "b"})}, {"7": erp({"email": "c"})})

    rows = ledger.warehouse.fetch(
        "SELECT field, centra_value, other_value, agreed_value, policy, winner, status "
        "FROM outbound.conflicts"
    )
    assert rows == [("email", '"b"', '"c"', '"a"', "system_of_record (centra)", "centra", RESOLVED)]


def test_the_shipped_policies_load_and_a_bad_file_names_its_line(tmp_path: Path):
    shipped = load_conflict_config()
    assert shipped.for_entity("customers").for_field("vip").policy == "hold"

    bad = tmp_path / "conflicts.yaml"
    bad.write_text(
        "entities:\n  customers:\n    other_system: erp\n    default:\n"
        "      policy: system_of_record\n      system: wms\n"
    )
    with pytest.raises(ConfigFileError, match=r"conflicts.yaml:\d+: .*neither centra nor erp"):
        load_conflict_config(bad)


def test_a_copy_read_before_our_write_is_taken_to_hold_what_we_wrote(ledger_and_outbox):
    """The warehouse shows our write to Centra only after the next sync; no bounce meanwhile."""
    ledger, outbox = ledger_and_outbox
    before = datetime.now(UTC)
    agreed = {"1": centra({"name": "A"}, read_at=before)}, {"1": erp({"name": "A"})}
    compare(ledger, outbox, "r1", *agreed)
    from_erp = {"1": centra({"name": "A"}, read_at=before)}, {"1": erp({"name": "B"})}
    plan = compare(ledger, outbox, "r2", *from_erp)
    after_sent(ledger, "customers", "erp", plan.planned, "r2")

    stale = {"1": centra({"name": "A"}, read_at=before)}, {"1": erp({"name": "B"})}
    assert compare(ledger, outbox, "r3", *stale).planned == []

    fresh = {"1": centra({"name": "C"}, read_at=datetime.now(UTC))}, {"1": erp({"name": "B"})}
    moved = compare(ledger, outbox, "r4", *fresh).planned
    assert [(p.change.target_system, p.change.payload["fields"]) for p in moved] == [
        ("erp", {"name": "C"})
    ]


def test_a_write_left_waiting_is_withdrawn_when_a_newer_comparison_does_not_want_it(
    ledger_and_outbox,
):
    """A dry run planned the ERP's name for Centra; Centra then changed it later: Centra wins."""
    ledger, outbox = ledger_and_outbox
    compare(ledger, outbox, "r1", {"3": centra({"name": "A"})}, {"3": erp({"name": "A"})})
    dry = {"3": centra({"name": "A"})}, {"3": erp({"name": "B"}, EARLY)}
    compare(ledger, outbox, "dry-run", *dry)  # nothing sent

    newer = {"3": centra({"name": "C"}, LATE)}, {"3": erp({"name": "B"}, EARLY)}
    compare(ledger, outbox, "r2", *newer)

    assert outbox.due("centra", "customers") == []
    assert [p.change.payload["fields"] for p in outbox.due("erp", "customers")] == [{"name": "C"}]


def test_a_conflict_settled_but_not_yet_written_is_stored_once(ledger_and_outbox):
    ledger, outbox = ledger_and_outbox
    compare(ledger, outbox, "r1", {"7": centra({"email": "a"})}, {"7": erp({"email": "a"})})
    disputed = {"7": centra({"email": "b"})}, {"7": erp({"email": "c"})}

    compare(ledger, outbox, "dry-run", *disputed)
    compare(ledger, outbox, "r2", *disputed)

    rows = ledger.warehouse.fetch("SELECT field, winner, status FROM outbound.conflicts")
    assert rows == [("email", "centra", RESOLVED)]
