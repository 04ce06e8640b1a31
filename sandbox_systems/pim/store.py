"""The PIM's products in memory: listing by change time, edits, and faults to inject.

Listings are ordered by (`updated_at`, `identifier`) and paged with a cursor that names the last
product served. An edit gives the product a new `updated_at` later than every other, so a product
edited while a client pages through the listing moves behind the cursor and is served again on a
later page instead of being skipped, which offset paging cannot promise.
"""

import base64
import copy
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Edits made within one clock tick still get distinct, increasing times.
TICK = timedelta(microseconds=1)


class UnknownProduct(KeyError):
    """No product with that identifier."""


class BadRequest(ValueError):
    """A parameter the listing cannot read; the message says which and why."""


@dataclass(frozen=True)
class Fault:
    """An error answer served instead of the next listing request."""

    status: int
    retry_after: int | None = None


class PimStore:
    """Products keyed by identifier (Centra's product number), safe to use from many threads."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._lock = threading.Lock()
        self._products = {record["identifier"]: copy.deepcopy(record) for record in records}
        self._faults: deque[Fault] = deque()
        self.requests: list[tuple[str, str, int]] = []
        self._last_time = max((_parse(r["updated_at"]) for r in records), default=None)

    def page(
        self, *, updated_since: str | None, cursor: str | None, limit: int
    ) -> tuple[list[dict], str | None]:
        """Products changed at or after `updated_since`, after `cursor`, at most `limit`."""
        since = _parse(updated_since, "updated_since") if updated_since else None
        after = _decode_cursor(cursor) if cursor else None
        with self._lock:
            ordered = sorted(self._products.values(), key=_position)
            chosen = [
                copy.deepcopy(product)
                for product in ordered
                if (since is None or _parse(product["updated_at"]) >= since)
                and (after is None or _position(product) > after)
            ]
        page = chosen[:limit]
        following = _encode_cursor(_position(page[-1])) if len(chosen) > limit else None
        return page, following

    def get(self, identifier: str) -> dict[str, Any]:
        with self._lock:
            if identifier not in self._products:
                raise UnknownProduct(identifier)
            return copy.deepcopy(self._products[identifier])

    def edit(self, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge `changes` into the product (nested objects merged, null removes a key)."""
        with self._lock:
            if identifier not in self._products:
                raise UnknownProduct(identifier)
            product = self._products[identifier]
            _merge(product, {k: v for k, v in changes.items() if k != "identifier"})
            product["updated_at"] = self._now()
            return copy.deepcopy(product)

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        """Create or replace a product; it counts as changed now."""
        with self._lock:
            product = copy.deepcopy(record) | {"updated_at": self._now()}
            self._products[product["identifier"]] = product
            return copy.deepcopy(product)

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next `times` listing requests with `status` (429 carries Retry-After)."""
        with self._lock:
            self._faults.extend(Fault(status, retry_after) for _ in range(times))

    def take_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def log(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def _now(self) -> str:
        now = datetime.now(UTC)
        if self._last_time is not None and now <= self._last_time:
            now = self._last_time + TICK
        self._last_time = now
        return iso_time(now)


def _position(product: dict[str, Any]) -> tuple[datetime, str]:
    return _parse(product["updated_at"]), product["identifier"]


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _encode_cursor(position: tuple[datetime, str]) -> str:
    text = f"{iso_time(position[0])}|{position[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        moment, identifier = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return _parse(moment), identifier
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"cursor {cursor!r} is not one this PIM gave out") from error


def _parse(value: str, name: str = "updated_at") -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise BadRequest(f"{name} {value!r} is not an ISO 8601 time") from error
    if moment.tzinfo is None:
        raise BadRequest(f"{name} {value!r} has no time zone; add Z or an offset")
    return moment.astimezone(UTC)


def iso_time(moment: datetime) -> str:
    """The PIM's spelling of a moment: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
