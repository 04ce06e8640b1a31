"""Data changes that tests make between requests: new orders, edits, touches, deletions.

Every change is recorded in the change feed, as Centra would announce it (digest §8, §9).
Shipments, returns and customer edits are in activity.py, bad records on request (null SKUs,
unknown currencies, card data, ...) in bad_records.py; both are mixed into SandboxControl.
"""

import random
import time
from datetime import UTC, date, datetime

from centra_sandbox.errors import StoreError
from centra_sandbox.events.feed import ChangeFeed
from centra_sandbox.store.activity import ActivityControl
from centra_sandbox.store.bad_records import BadRecordControl, BadRecordLedger
from centra_sandbox.store.catalog_generator import Catalog
from centra_sandbox.store.database import Database, bump_updated_at
from centra_sandbox.store.generator import window_bounds
from centra_sandbox.store.order_generator import (
    TABLE_COLUMNS,
    IdCounters,
    OrderFactory,
    customer_count,
)

_EDITABLE = {"status", "isOnHold", "isLocked", "otherComment", "internalComment", "orderDate"}
_STATUSES = {"PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "CANCELLED", "ARCHIVED"}
_CHILD_TABLES = ("orderLines", "orderDiscounts", "payments", "shipments", "returns")


class SandboxControl(BadRecordControl, ActivityControl):
    """Changes the store the way activity in Centra would; every change bumps `updatedAt`."""

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        seed: int,
        orders: int,
        window,
        *,
        changes: ChangeFeed,
    ) -> None:
        self.db = db
        self.changes = changes
        self.seed = seed
        self.window_start = window[0]
        self.bad_records = BadRecordLedger()
        self.factory = OrderFactory(seed, catalog, customer_count(orders), window_bounds(*window))

    def create_orders(self, market_id: int, day: date, count: int = 1) -> list[int]:
        """Add `count` orders in one DTC market, spread over the UTC `day`; returns numbers.

        Records Order CREATED per order, and CREATED for what the generator builds with it
        (payment entries, shipments, returns), so that listeners of those types see them too.
        """
        with self.db.lock:
            customers = self._customers_of_market(market_id)
            self.factory.ids = self._next_ids()
            start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
            first = (self.db.scalar("SELECT MAX(number) FROM orders") or 0) + 1
            numbers = []
            for offset in range(count):
                number = first + offset
                rng = random.Random(f"{self.seed}:created:{number}")
                order_date = start + (offset * 86400) // max(count, 1) + rng.randint(0, 59)
                rows = self.factory.build(
                    rng, number, order_date, customer_id=rng.choice(customers)
                )
                for table, table_rows in rows.items():
                    self.db.insert_many(table, TABLE_COLUMNS[table], table_rows)
                self._announce_created(number, rows)
                numbers.append(number)
            for number in numbers:
                bump_updated_at(self.db, "orders", "number", number)
            self.db.commit()
            return numbers

    def update_order(self, number: int, **fields) -> None:
        """Set order columns by their GraphQL names (status, isOnHold, otherComment, ...).

        Records Order UPDATED, also for a status change such as CANCELLED; reaching SHIPPED
        (Completed in AMS) records COMPLETED as well (digest §8).
        """
        unknown = set(fields) - _EDITABLE
        if unknown:
            raise StoreError(
                f"update_order cannot set {sorted(unknown)}; editable: {sorted(_EDITABLE)}."
            )
        if "status" in fields and fields["status"] not in _STATUSES:
            raise StoreError(
                f"Unknown order status {fields['status']!r}; use one of {sorted(_STATUSES)}."
            )
        with self.db.lock:
            self._require_order(number)
            before = self.db.scalar("SELECT status FROM orders WHERE number = ?", (number,))
            for column, value in fields.items():
                if isinstance(value, datetime):
                    value = int(value.timestamp())
                if isinstance(value, bool):
                    value = int(value)
                self.db.execute(f"UPDATE orders SET {column} = ? WHERE number = ?", (value, number))

            bump_updated_at(self.db, "orders", "number", number)
            completed = fields.get("status") == "SHIPPED" and before != "SHIPPED"
            self.changes.order(number, "UPDATED", *(("COMPLETED",) if completed else ()))
            self.db.commit()

    def touch_orders(self, numbers: list[int]) -> None:
        """Bump updatedAt to now (strictly later than before), as any change in Centra does.

        Records Order UPDATED for each order that exists; unknown numbers are skipped.
        """
        with self.db.lock:
            for number in numbers:
                if bump_updated_at(self.db, "orders", "number", number):
                    self.changes.order(number, "UPDATED")
            self.db.commit()

    def delete_order(self, number: int) -> None:
        """Remove an order and everything under it (Centra has no order deletion; tests do).

        Records no change: Centra cannot delete orders, so it never announces a deletion, and
        neither the event queue nor the webhook hears of this one.
        """
        with self.db.lock:
            self._require_order(number)
            self.db.execute(
                "DELETE FROM shipmentLines WHERE shipmentId IN "
                "(SELECT id FROM shipments WHERE orderNumber = ?)",
                (number,),
            )
            self.db.execute(
                "DELETE FROM returnLines WHERE returnId IN "
                "(SELECT id FROM returns WHERE orderNumber = ?)",
                (number,),
            )
            for table in _CHILD_TABLES:
                self.db.execute(f"DELETE FROM {table} WHERE orderNumber = ?", (number,))
            self.db.execute("DELETE FROM orders WHERE number = ?", (number,))
            self.db.commit()

    def set_stock(self, warehouse_id: int, product_size_id: int, free_to_allocate: int) -> None:
        """Set a stock row's free-to-allocate quantity; records ProductSize UPDATED.

        Writes no stockChanges row (so no StockChange event): it is a correction of the row,
        not a delivery. The size's updatedAt moves, as with setStock.
        """
        now = int(time.time())
        with self.db.lock:
            changed = self.db.connection.execute(
                "UPDATE stock SET freeToAllocateQuantity = ?, updatedAt = ? "
                "WHERE warehouseId = ? AND productSizeId = ?",
                (free_to_allocate, now, warehouse_id, product_size_id),
            ).rowcount
            if not changed:
                raise StoreError(
                    f"No stock row for warehouse {warehouse_id} and product size "
                    f"{product_size_id}; "
                    "pick a pair from Warehouse.stock."
                )

            self.db.execute(
                "UPDATE productSizes SET updatedAt = ? WHERE id = ?", (now, product_size_id)
            )
            self.changes.product_sizes([product_size_id], [warehouse_id])
            self.db.commit()

    def _announce_created(self, number: int, rows: dict[str, list]) -> None:
        self.changes.order(number, "CREATED")
        for row in rows["payments"]:
            self.changes.of_order("PaymentHistoryEntry", row[0], number, "CREATED")
        good_to_go = TABLE_COLUMNS["shipments"].index("isGoodToGo")
        for row in rows["shipments"]:
            self.changes.of_order(
                "Shipment", row[0], number, "CREATED", good_to_go=bool(row[good_to_go])
            )
        for row in rows["returns"]:
            self.changes.of_order("Return", row[0], number, "CREATED")

    def _require_order(self, number: int) -> None:
        if self.db.one("SELECT number FROM orders WHERE number = ?", (number,)) is None:
            raise StoreError(
                f"Order number {number} does not exist; list numbers with sandbox.stats()."
            )

    def _customers_of_market(self, market_id: int) -> list[int]:
        rows = self.db.all(
            "SELECT id FROM customers WHERE countryId IN "
            "(SELECT id FROM countries WHERE marketId = ?) "
            "ORDER BY id LIMIT 200",
            (market_id,),
        )
        if not rows:
            raise StoreError(
                f"Market {market_id} has no customers; use a DTC market id from stats()."
            )
        return [row["id"] for row in rows]

    def _next_ids(self) -> IdCounters:
        tables = (
            "orderLines",
            "orderDiscounts",
            "payments",
            "shipments",
            "shipmentLines",
            "returns",
            "returnLines",
        )
        return IdCounters(
            {t: (self.db.scalar(f"SELECT MAX(id) FROM {t}") or 0) + 1 for t in tables}
        )
