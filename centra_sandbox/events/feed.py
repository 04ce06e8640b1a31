"""The change feed: every data change the sandbox makes, recorded once, at change time.

A change is written to the `changes` table inside the writer's transaction and copied into the
event queue of every integration whose listener covers its object and change type at that moment
(digest §8: a listener set later never sees older changes). When the transaction commits, the
feed hands the changes to its subscribers (the webhook dispatcher); a rollback forgets them, so
nothing is announced that the store does not hold.
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from centra_sandbox.errors import StoreError
from centra_sandbox.events.types import EVENT_CHANGE_TYPES, EVENT_OBJECT_TYPES
from centra_sandbox.store.database import Database

log = logging.getLogger(__name__)

_INSERT_CHANGE = (
    "INSERT INTO changes (objectType, changeType, objectReference, storeId, marketId, "
    "createdAtMicros) VALUES (?, ?, ?, ?, ?, ?)"
)
# Listeners store their change types as "CREATED,UPDATED"; the commas make the match exact.
_FAN_OUT = (
    "INSERT INTO events (integrationName, changeId) SELECT integrationName, ? "
    "FROM eventListeners WHERE objectType = ? AND instr(',' || changeTypes || ',', ?) > 0 "
    "ORDER BY integrationName"
)


@dataclass(frozen=True)
class Change:
    """One recorded change; `good_to_go` and `warehouse_ids` only shape webhook payloads."""

    id: int
    object_type: str
    change_type: str
    reference: int
    store_id: int | None
    market_id: int | None
    created_at_us: int
    good_to_go: bool = False
    warehouse_ids: tuple[int, ...] = ()

    @property
    def created_at(self) -> datetime:
        return from_micros(self.created_at_us)


def from_micros(micros: int) -> datetime:
    """Aware UTC datetime of Unix microseconds, exact (a float would round them)."""
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest)


Subscriber = Callable[[list[Change]], None]


class ChangeFeed:
    """Records changes in the writer's transaction and publishes them when it commits."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.subscribers: list[Subscriber] = []
        self._pending: list[Change] = []
        db.after_commit.append(self._publish)
        db.after_rollback.append(self._forget)

    def record(
        self,
        object_type: str,
        change_type: str,
        reference: int,
        *,
        store_id: int | None = None,
        market_id: int | None = None,
        good_to_go: bool = False,
        warehouse_ids: Iterable[int] = (),
    ) -> Change:
        """Write one change and queue it for every integration listening right now."""
        _check_vocabulary(object_type, change_type)
        created = time.time_ns() // 1000
        with self.db.lock:
            values = (object_type, change_type, reference, store_id, market_id, created)
            change_id = self.db.execute(_INSERT_CHANGE, values)
            self.db.execute(_FAN_OUT, (change_id, object_type, f",{change_type},"))
            change = Change(
                change_id,
                object_type,
                change_type,
                reference,
                store_id,
                market_id,
                created,
                good_to_go,
                tuple(warehouse_ids),
            )
            self._pending.append(change)
        return change

    def order(self, number: int, *change_types: str) -> None:
        """Changes of one order, referenced by its number as Centra does (digest §8)."""
        store_id, market_id = self._order_scope(number)
        for change_type in change_types:
            self.record("Order", change_type, number, store_id=store_id, market_id=market_id)

    def of_order(
        self,
        object_type: str,
        reference: int,
        number: int,
        change_type: str,
        *,
        good_to_go: bool = False,
    ) -> None:
        """A change of something an order owns (shipment, return, payment entry)."""
        store_id, market_id = self._order_scope(number)
        self.record(
            object_type,
            change_type,
            reference,
            store_id=store_id,
            market_id=market_id,
            good_to_go=good_to_go,
        )

    def product_sizes(self, size_ids: Iterable[int], warehouse_ids: Iterable[int]) -> None:
        """Stock moved: one ProductSize UPDATED per distinct size, since stock lives on sizes."""
        warehouses = tuple(dict.fromkeys(warehouse_ids))
        for size_id in dict.fromkeys(size_ids):
            self.record("ProductSize", "UPDATED", size_id, warehouse_ids=warehouses)

    def customer(self, customer_id: int, change_type: str) -> None:
        store_id = self.db.scalar("SELECT storeId FROM customers WHERE id = ?", (customer_id,))
        self.record("Customer", change_type, customer_id, store_id=store_id)

    def _order_scope(self, number: int) -> tuple[int, int]:
        row = self.db.one("SELECT storeId, marketId FROM orders WHERE number = ?", (number,))
        if row is None:
            raise StoreError(f"Order number {number} does not exist; no change can be recorded.")
        return row["storeId"], row["marketId"]

    def _publish(self) -> None:
        published, self._pending = self._pending, []
        if not published:
            return
        for subscriber in list(self.subscribers):
            subscriber(published)

    def _forget(self) -> None:
        if self._pending:
            log.debug("rollback forgot %d unpublished changes", len(self._pending))
        self._pending = []


def _check_vocabulary(object_type: str, change_type: str) -> None:
    # A typo here would silently starve every listener of that type, so it fails loudly.
    if object_type not in EVENT_OBJECT_TYPES:
        raise StoreError(f"{object_type!r} is not one of Centra's EventObjectType values.")
    if change_type not in EVENT_CHANGE_TYPES:
        raise StoreError(f"{change_type!r} is not one of {', '.join(EVENT_CHANGE_TYPES)}.")
