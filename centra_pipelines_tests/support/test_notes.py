"""The notes block: one line per ticket, newest first, bounded, other text kept."""

from datetime import UTC, datetime, timedelta

from centra_pipelines.support.notes import (
    BLOCK_END,
    BLOCK_START,
    MAX_ENTRIES,
    entry_of,
    merged,
    ticket_ids_in,
)

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def ticket(ticket_id: str, minutes: int, **fields) -> dict:
    values = {
        "ticket_id": ticket_id,
        "updated_at": NOON + timedelta(minutes=minutes),
        "channel": "email",
        "status": "open",
        "subject": "Subject",
        "summary": "Summary",
    }
    return {**values, **fields}


def test_a_new_block_follows_the_text_already_there():
    text = merged("Call before delivery.", [entry_of(ticket("T-1", 0))])

    assert text == (
        "Call before delivery.\n\n"
        f"{BLOCK_START}\n* 2026-12-01 12:00:00 UTC | T-1 | email | open | Subject: Summary\n"
        f"{BLOCK_END}"
    )


def test_a_ticket_replaces_its_own_line_and_keeps_the_others_and_the_text_around():
    text = merged("Before.", [entry_of(ticket("T-1", 0)), entry_of(ticket("T-2", 5))])
    text += "\n\nAfter."

    again = merged(text, [entry_of(ticket("T-1", 10, status="solved"))])

    assert ticket_ids_in(again) == ["T-1", "T-2"]
    assert again.startswith("Before.\n\n") and again.endswith("\n\nAfter.")
    assert "| T-1 | email | solved |" in again and "| T-1 | email | open |" not in again
    assert merged(again, [entry_of(ticket("T-1", 10, status="solved"))]) == again


def test_the_block_keeps_the_newest_entries_only():
    entries = [entry_of(ticket(f"T-{n}", n)) for n in range(MAX_ENTRIES + 3)]

    text = merged(None, entries)

    assert ticket_ids_in(text) == [f"T-{n}" for n in range(MAX_ENTRIES + 2, 2, -1)]


def test_line_breaks_and_bars_in_a_ticket_cannot_break_the_block():
    line = entry_of(ticket("T 9", 0, subject="a | b", summary="one\ntwo")).line

    assert line == "* 2026-12-01 12:00:00 UTC | T-9 | email | open | a / b: one two"
    assert ticket_ids_in(merged(None, [entry_of(ticket("T 9", 0))])) == ["T-9"]
