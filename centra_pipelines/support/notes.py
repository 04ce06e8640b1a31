"""Customer-service entries kept in a free-text field of Centra, one line per ticket.

Centra has no ticket object, so interactions are written into text a person reads in the AMS: an
order's internal comment, a customer's note attribute. Other people write in those fields too, so
our entries live in a marked block and everything outside it is kept as it was. Inside the block
each ticket has one line, newest first; a ticket's new state replaces its own line and leaves the
others alone, and the block keeps the newest `MAX_ENTRIES` so the field stays readable.
"""

import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

BLOCK_START = "--- Customer service, newest first (kept by centra-pipelines) ---"
BLOCK_END = "--- end of customer service ---"

# Enough history to see what is going on with an order; older tickets live in the help desk.
MAX_ENTRIES = 10

_ENTRY = re.compile(r"^\* (?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \| (?P<ticket>[^\s|]+) \| ")


@dataclass(frozen=True)
class Entry:
    """One ticket's line, with what orders the block: its time and its ticket id."""

    ticket_id: str
    time: str
    line: str


def entry_of(ticket: dict[str, Any]) -> Entry:
    """The line a mapped ticket becomes: time, ticket, channel, status, subject and summary."""
    time = ticket["updated_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    ticket_id = _single_word(ticket["ticket_id"])
    text = _one_line(ticket["subject"])
    if ticket.get("summary"):
        text = f"{text}: {_one_line(ticket['summary'])}"
    line = f"* {time} UTC | {ticket_id} | {ticket['channel']} | {ticket['status']} | {text}"
    return Entry(ticket_id, time, line)


def merged(text: str | None, entries: list[Entry]) -> str:
    """`text` with the given tickets' lines in its block, replacing their earlier lines.

    The block is added after the existing text when there is none yet.
    """
    before, block, after = _split(text or "")
    by_ticket = {entry.ticket_id: entry for entry in _entries_in(block)}
    by_ticket.update({entry.ticket_id: entry for entry in entries})
    newest = sorted(by_ticket.values(), key=lambda e: (e.time, e.ticket_id), reverse=True)
    lines = [BLOCK_START, *(entry.line for entry in newest[:MAX_ENTRIES]), BLOCK_END]
    parts = [part for part in (before.rstrip("\n"), "\n".join(lines), after.lstrip("\n")) if part]
    return "\n\n".join(parts)


def ticket_ids_in(text: str | None) -> list[str]:
    """The tickets the block of `text` holds, newest first."""
    return [entry.ticket_id for entry in _entries_in(_split(text or "")[1])]


def _split(text: str) -> tuple[str, list[str], str]:
    """Text before the block, the block's lines, and text after it."""
    lines = text.split("\n")
    if BLOCK_START not in lines:
        return text, [], ""
    start = lines.index(BLOCK_START)
    end = lines.index(BLOCK_END, start) if BLOCK_END in lines[start:] else len(lines)
    return "\n".join(lines[:start]), lines[start + 1 : end], "\n".join(lines[end + 1 :])


def _entries_in(block: list[str]) -> list[Entry]:
    # Lines someone typed into the block are not ours to keep in order; they are dropped.
    found = (_ENTRY.match(line) for line in block)
    return [Entry(m["ticket"], m["time"], m.string) for m in found if m is not None]


def _one_line(text: str) -> str:
    # A newline would end the entry, and a bar would shift the fields a reader splits on.
    return " ".join(text.split()).replace("|", "/")


def _single_word(text: str) -> str:
    return "-".join(text.replace("|", "/").split())
