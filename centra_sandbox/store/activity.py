"""Fulfilment and customer edits that tests make between requests: shipments, returns, refunds,
customers.

They exist so that tests can drive every webhook and event type. Each method changes the store
as Centra would (digest §4.7, §4.8, §6), keeps the rows consistent with the generator
(order_generator.py: shipment numbers, fees on the first shipment, captures of shipped
shipments), bumps `updatedAt` of what changed and of the owning order, and records the changes
in the feed. Mixed into SandboxControl, which sets the attributes below.
"""

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from centra_sandbox.errors import StoreError
from centra_sandbox.events.feed import ChangeFeed
from centra_sandbox.store import fulfilment
from centra_sandbox.store.database import Database, bump_updated_at
from centra_sandbox.store.order_generator import TABLE_COLUMNS, payment_row

_CUSTOMER_FIELDS = {
    "firstName", "lastName", "email", "newsletter", "registered", "gender", "birthdate", "status",
}  # fmt: skip
_CUSTOMER_VALUES = {
    "gender": {"FEMALE", "MALE", "OTHER", "UNKNOWN"},
    "status": {"ACTIVE", "INACTIVE", "CANCELLED"},
}
_RETURNABLE_LINE = (
    "SELECT sl.id, sl.shipmentId, sl.orderLineId FROM shipmentLines sl "
    "JOIN shipments s ON s.id = sl.shipmentId WHERE s.orderNumber = ? AND s.isShipped = 1 "
    "AND sl.quantity > COALESCE((SELECT SUM(rl.quantity) FROM returnLines rl "
    "WHERE rl.shipmentLineId = sl.id), 0) ORDER BY sl.id LIMIT 1"
)


class ActivityControl:
    """Shipments, returns and customer edits on request."""

    db: Database
    changes: ChangeFeed

    def create_shipment(self, order_number: int, *, good_to_go: bool = True) -> int:
        """Put every unshipped unit of the order into one new shipment; returns its id.

        The order must be CONFIRMED or PROCESSING, not on hold and not locked (digest §5.4); it
        moves to PROCESSING. Shipping, handling and the voucher ride on its first shipment.
        Records Order UPDATED and Shipment CREATED (a good-to-go shipment also makes the
        webhook's `good_to_go` action).
        """
        with self.db.lock:
            order = self._shippable_order(order_number)
            open_lines = {
                line_id: units
                for line_id, units in fulfilment.open_units(self.db, order_number).items()
                if units
            }
            if not open_lines:
                raise StoreError(
                    f"Order {order_number} has no unshipped units left; pick an order with open "
                    "lines, e.g. a CONFIRMED one."
                )

            new = fulfilment.NewShipment(good_to_go=good_to_go, created_at=int(time.time()))
            shipment_id = fulfilment.insert_shipment(self.db, order, open_lines, new)

            bump_updated_at(self.db, "orders", "number", order_number)
            self.changes.order(order_number, "UPDATED")
            self.changes.of_order(
                "Shipment", shipment_id, order_number, "CREATED", good_to_go=good_to_go
            )
            self.db.commit()
            return shipment_id

    def ship_shipment(self, shipment_id: int, *, tracking_number: str, carrier_name: str) -> None:
        """Complete a shipment: shipped now, with tracking and carrier, paid and captured.

        As the generator's shipped shipments are, it is captured: a CAPTURE, or a pending
        CAPTURE_REQUEST for the asynchronous PSPs. The order becomes SHIPPED once every unit of
        it is in shipped shipments. Records Order UPDATED (and COMPLETED when it became
        SHIPPED), Shipment UPDATED and COMPLETED, and PaymentHistoryEntry CREATED.
        """
        with self.db.lock:
            shipment = self._unshipped_shipment(shipment_id)
            number = shipment["orderNumber"]
            now = int(time.time())

            fulfilment.mark_shipped(self.db, shipment_id, now)
            fulfilment.set_shipment_info(
                self.db, shipment_id, {"trackingNumber": tracking_number, "carrier": carrier_name}
            )
            bump_updated_at(self.db, "shipments", "id", shipment_id)
            order = self._require_order_row(number)
            payment_id = fulfilment.capture(self.db, shipment, order, now)
            completed = fulfilment.complete_order_if_shipped(self.db, number)
            bump_updated_at(self.db, "orders", "number", number)

            self._announce_shipped(shipment, payment_id, completed)
            self.db.commit()

    def create_return(self, order_number: int) -> int:
        """Return one unit of the first shipped line that has one left; returns the return id.

        The return is PENDING, as new returns are (digest §6), and tied to the shipment line;
        the order line's returnedQuantity grows by one. Records Order UPDATED, Return CREATED.
        """
        with self.db.lock:
            order = self._require_order_row(order_number)
            line = self.db.one(_RETURNABLE_LINE, (order_number,))
            if line is None:
                raise StoreError(
                    f"Order {order_number} has no shipped unit left to return; ship one first "
                    "with create_shipment() and ship_shipment()."
                )

            shipment = self.db.one("SELECT * FROM shipments WHERE id = ?", (line["shipmentId"],))
            new = fulfilment.NewReturn(
                shipment=shipment,
                lines={line["id"]: 1},
                created_at=int(time.time()),
                comment="Fel storlek",
                restock_warehouse_id=None,
            )
            return_id, _ = fulfilment.insert_return(self.db, order, new)

            bump_updated_at(self.db, "orders", "number", order_number)
            self.changes.order(order_number, "UPDATED")
            self.changes.of_order("Return", return_id, order_number, "CREATED")
            self.db.commit()
            return return_id

    def refund(
        self,
        order_number: int,
        amount: Decimal | None = None,
        at: datetime | None = None,
        *,
        return_id: int | None = None,
    ) -> int:
        """Pay money back on the order, as Centra records it; returns the payment entry id.

        A REFUND entry with status SUCCESS (digest §4.10) of `amount` in the order's currency
        (default: what the order's total still holds after earlier refunds), created `at`
        (default now), optionally tied to one of the order's returns. Its currencyBaseRate is
        the order's, as on every entry of the sandbox. Records Order UPDATED and
        PaymentHistoryEntry CREATED.
        """
        with self.db.lock:
            order = self._require_order_row(order_number)
            cents = self._refund_cents(order, amount)
            if return_id is not None:
                self._require_return_of(order_number, return_id)
            created = int((at or datetime.now(UTC)).timestamp())
            reference = f"psp-{order['id'][:12]}"
            row = payment_row(
                None,
                order_number,
                return_id,
                created,
                ("SUCCESS", "REFUND", reference, order["paymentPlugin"]),
                cents,
            )
            payment_id = self.db.execute(
                f"INSERT INTO payments ({', '.join(TABLE_COLUMNS['payments'])}) "
                f"VALUES ({', '.join('?' for _ in row)})",
                row,
            )

            bump_updated_at(self.db, "orders", "number", order_number)
            self.changes.order(order_number, "UPDATED")
            self.changes.of_order("PaymentHistoryEntry", payment_id, order_number, "CREATED")
            self.db.commit()
            return payment_id

    def update_customer(self, customer_id: int, **fields: Any) -> None:
        """Set customer columns by their GraphQL names (firstName, lastName, newsletter, ...).

        Bumps the customer's updatedAt and records Customer UPDATED.
        """
        self._check_customer_fields(fields)
        with self.db.lock:
            if self.db.one("SELECT id FROM customers WHERE id = ?", (customer_id,)) is None:
                raise StoreError(
                    f"Customer {customer_id} does not exist; customer ids start at 1 "
                    "(see Order.customer)."
                )
            for column, value in fields.items():
                stored = int(value) if isinstance(value, bool) else value
                self.db.execute(
                    f"UPDATE customers SET {column} = ? WHERE id = ?", (stored, customer_id)
                )

            bump_updated_at(self.db, "customers", "id", customer_id)
            self.changes.customer(customer_id, "UPDATED")
            self.db.commit()

    def _refund_cents(self, order: dict, amount: Decimal | None) -> int:
        refunded = self.db.scalar(
            "SELECT COALESCE(SUM(valueCents), 0) FROM payments WHERE orderNumber = ? "
            "AND entryType = 'REFUND' AND status = 'SUCCESS'",
            (order["number"],),
        )
        left = order["grandTotalCents"] - refunded
        cents = left if amount is None else int(Decimal(amount) * 100)
        if cents <= 0 or cents > left or (amount is not None and Decimal(amount) * 100 != cents):
            raise StoreError(
                f"Order {order['number']} can be refunded up to {Decimal(left) / 100} in whole "
                f"cents; asked for {amount if amount is not None else 'the rest'}."
            )
        return cents

    def _require_return_of(self, number: int, return_id: int) -> None:
        found = self.db.one(
            "SELECT id FROM returns WHERE id = ? AND orderNumber = ?", (return_id, number)
        )
        if found is None:
            raise StoreError(
                f"Return {return_id} is not a return of order {number}; create one with "
                "create_return()."
            )

    def _shippable_order(self, number: int) -> dict:
        order = self._require_order_row(number)
        refusal = fulfilment.shipping_refusal(order)
        if refusal is not None:
            raise StoreError(f"{refusal} confirmOrder it first.")
        return order

    def _require_order_row(self, number: int) -> dict:
        order = self.db.one("SELECT * FROM orders WHERE number = ?", (number,))
        if order is None:
            raise StoreError(
                f"Order number {number} does not exist; list numbers with sandbox.stats()."
            )
        return order

    def _announce_shipped(self, shipment: dict, payment_id: int, completed: bool) -> None:
        number, shipment_id = shipment["orderNumber"], shipment["id"]
        self.changes.order(number, "UPDATED", *(("COMPLETED",) if completed else ()))
        # Shipping a shipment that was not packed yet makes it good to go on the way.
        newly_good_to_go = not shipment["isGoodToGo"]
        self.changes.of_order(
            "Shipment", shipment_id, number, "UPDATED", good_to_go=newly_good_to_go
        )
        self.changes.of_order("Shipment", shipment_id, number, "COMPLETED")
        self.changes.of_order("PaymentHistoryEntry", payment_id, number, "CREATED")

    def _unshipped_shipment(self, shipment_id: int) -> dict:
        shipment = self.db.one("SELECT * FROM shipments WHERE id = ?", (shipment_id,))
        if shipment is None:
            raise StoreError(
                f"Shipment {shipment_id} does not exist; create one with create_shipment()."
            )
        if shipment["isShipped"]:
            raise StoreError(
                f"Shipment {shipment_id} ({shipment['number']}) is already shipped; Centra "
                "cannot complete a shipment twice."
            )
        return shipment

    @staticmethod
    def _check_customer_fields(fields: dict[str, Any]) -> None:
        unknown = set(fields) - _CUSTOMER_FIELDS
        if unknown:
            raise StoreError(
                f"update_customer cannot set {sorted(unknown)}; editable: "
                f"{sorted(_CUSTOMER_FIELDS)}."
            )
        for name, allowed in _CUSTOMER_VALUES.items():
            if name in fields and fields[name] not in allowed:
                raise StoreError(
                    f"Customer {name} {fields[name]!r} is not one of {sorted(allowed)}."
                )
