"""What an alert says, in one shape for every channel, and links into the Dagster UI."""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import dagster as dg


@dataclass(frozen=True)
class Alert:
    """One alert: what failed, the facts an on-call person needs, and what to do first.

    Args:
        key: identifies the episode (a run, a check failing since a moment, ...) in logs.
        title: one line saying what failed and where.
        facts: labelled values in the order they are shown.
        action: what to do first.
        link: the page in the Dagster UI to open, when its address is configured.
    """

    key: str
    title: str
    facts: tuple[tuple[str, str], ...]
    action: str
    link: str | None = None

    def text(self) -> str:
        lines = [self.title, *(f"{label}: {value}" for label, value in self.facts)]
        lines.append(f"What to do first: {self.action}")
        if self.link:
            lines.append(f"Open in Dagster: {self.link}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "facts": [list(fact) for fact in self.facts],
            "action": self.action,
            "link": self.link,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Alert":
        return cls(
            key=data["key"],
            title=data["title"],
            facts=tuple((label, value) for label, value in data["facts"]),
            action=data["action"],
            link=data.get("link"),
        )


def moment(timestamp: float | None) -> str:
    """A Unix timestamp as a UTC time a person reads, e.g. `2026-12-01 07:15 UTC`."""
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def age(seconds: float) -> str:
    """A duration in the largest units that keep it exact enough: `3 h 20 min`, `45 min`."""
    minutes = round(seconds) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days {hours % 24} h"


def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


class Links:
    """Addresses of pages in the Dagster UI, or None everywhere when its address is not set."""

    def __init__(self, base_url: str | None, location: str | None = None) -> None:
        self.base = base_url.rstrip("/") if base_url else None
        self.location = location

    def run(self, run_id: str) -> str | None:
        return f"{self.base}/runs/{run_id}" if self.base else None

    def asset(self, key: dg.AssetKey, *, checks: bool = False) -> str | None:
        if not self.base:
            return None
        path = "/".join(quote(part, safe="") for part in key.path)
        return f"{self.base}/assets/{path}" + ("?view=checks" if checks else "")

    def sensor(self, name: str) -> str | None:
        # The UI names a location's default repository by the location alone.
        if not self.base or not self.location:
            return None
        return f"{self.base}/locations/{quote(self.location, safe='')}/sensors/{name}"
