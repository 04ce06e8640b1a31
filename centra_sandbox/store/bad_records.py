"""Bad records on request: realistic upstream defects, served through the real GraphQL path.

Data contracts downstream have to quarantine what Centra sends wrong, and their tests need that
wrong data over HTTP. Each method changes seeded rows in place, or plants a raw override that the
resolvers serve verbatim (`rawOverrides`), bumps `updatedAt` of the touched object as a real change
would, records the change in the feed as an UPDATED of that object (Order, ProductSize,
Customer; a stock row is a ProductSize change), and returns what it changed.
`clear_bad_records()` puts the originals back the way an upstream fix would, bumping `updatedAt`
and recording the changes again. No row is added or removed, so the counts of
`sandbox.stats()` stay the same.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from centra_sandbox.errors import StoreError
from centra_sandbox.events.feed import ChangeFeed
from centra_sandbox.store.catalog_generator import EXAMPLE_PRODUCT_NUMBER
from centra_sandbox.store.database import Database, bump_updated_at
from centra_sandbox.store.generator import window_bounds
from centra_sandbox.store.order_generator import FIRST_ORDER_NUMBER

UNKNOWN_CURRENCY = "XXQ"
MALFORMED_DATE = "2026-13-45 25:61"
TOTALS_DRIFT_CENTS = 1337
NEGATIVE_PHYSICAL = -3
WRONG_EAN = "ABC-NOT-AN-EAN"
WRONG_TAX_PERCENT = 250
# Luhn-valid test numbers of the card schemes; no cardholder was ever issued them.
VISA_TEST_NUMBER = "4111 1111 1111 1111"
MASTERCARD_TEST_NUMBER = "5555555555554444"
CARD_COMMENT = f"Please charge my other card {VISA_TEST_NUMBER} instead"
CARD_REFERENCE = VISA_TEST_NUMBER.replace(" ", "")
CARD_PARAMS = json.dumps(
    {
        "success": True,
        "isRequest": False,
        "raw": {"cardNumber": MASTERCARD_TEST_NUMBER, "cvv": "123", "expiry": "12/29"},
    }
)
# Åsa Öberg, the digest's example customer, keeps her seeded data.
_EXAMPLE_CUSTOMER_ID = 1

# The digest's examples (product Prod123, order 39790 and its sizes) stay verbatim.
_NOT_EXAMPLE_SIZE = (
    "p.productNumber != ? AND ps.id NOT IN "
    "(SELECT productSizeId FROM orderLines WHERE orderNumber = ? AND productSizeId IS NOT NULL)"
)
_EXAMPLE_PARAMS = (EXAMPLE_PRODUCT_NUMBER, FIRST_ORDER_NUMBER)
_SIZE_JOINS = (
    "JOIN productVariants v ON v.id = ps.productVariantId JOIN products p ON p.id = v.productId"
)
_SIZE_CANDIDATES = (
    "SELECT ps.id, ps.productVariantId, v.productId, ps.EAN, "
    "p.productNumber || v.variantNumber || COALESCE(ps.sizeNumber, '') AS SKU "
    f"FROM productSizes ps {_SIZE_JOINS} WHERE {_NOT_EXAMPLE_SIZE} ORDER BY ps.id"
)
_STOCK_CANDIDATES = (
    "SELECT s.id, s.productSizeId, s.freeToAllocateQuantity, s.allocatedQuantity FROM stock s "
    f"JOIN productSizes ps ON ps.id = s.productSizeId {_SIZE_JOINS} "
    f"WHERE s.warehouseId = ? AND {_NOT_EXAMPLE_SIZE} ORDER BY s.id"
)
_ORDER_CANDIDATES = (
    "SELECT o.number, o.customerId, o.updatedAt, o.grandTotalCents, c.code AS currencyCode "
    "FROM orders o JOIN currencies c ON c.id = o.currencyId "
    "WHERE o.orderDate >= ? AND o.orderDate < ? AND o.number != ? "
    "AND o.storeId IN (SELECT id FROM stores WHERE type = 'DIRECT_TO_CONSUMER') "
    "AND (? IS NULL OR o.marketId = ?) {condition} ORDER BY o.number"
)
_HAS_VISIBLE_LINE = (
    "AND EXISTS (SELECT 1 FROM orderLines l WHERE l.orderNumber = o.number AND l.quantity > 0)"
)
_HAS_CARD_TARGETS = (
    "AND o.customerId IN (SELECT id FROM customers WHERE billingAddressId IS NOT NULL "
    f"AND id != {_EXAMPLE_CUSTOMER_ID}) "
    "AND EXISTS (SELECT 1 FROM payments p WHERE p.orderNumber = o.number)"
)


# Kinds of bad record that make a value break a data contract; card_data is planted separately.
BAD_RECORD_KINDS = (
    "null_sku",
    "negative_stock",
    "unknown_currency",
    "malformed_date",
    "duplicated_id",
    "totals_mismatch",
    "wrong_type",
)


@dataclass(frozen=True)
class BadRecord:
    """One bad value the API now serves: on which object, in which field, and what it was.

    `entity` is the GraphQL type to read (`Order`, `ProductSize`, `ProductVariant`, `Stock`,
    `Customer`, `PaymentHistoryEntry`), `id` its Centra id (the number for orders), `field` the
    path under it (`grandTotal.currency.code`, `lines.taxPercent`), and `locator` the ids that
    reach it, e.g. `{"order": 39791, "orderLine": 12}`.
    """

    kind: str
    entity: str
    id: int
    field: str
    value: Any
    original: Any
    locator: dict[str, int]


@dataclass(frozen=True)
class CardData:
    """Where `card_data()` planted card numbers: one order, its customer and a payment entry."""

    order_number: int
    customer_id: int
    payment_id: int
    records: list[BadRecord]


class BadRecordLedger:
    """What the planted records replaced, so that `clear_bad_records()` can put it back."""

    def __init__(self) -> None:
        self.originals: dict[tuple[str, str, int, str], Any] = {}
        # Keys only: a dict keeps the order in which objects were touched, a set would not.
        self.touched: dict[tuple[str, str, int], None] = {}
        self.used: set[tuple[str, int]] = set()
        self.records: list[BadRecord] = []


class BadRecordControl:
    """Bad records on request; mixed into SandboxControl, which sets the attributes below.

    Each call takes the next records that no earlier call spoiled, in id (or number) order, so
    the same calls on the same seed always spoil the same records.
    """

    db: Database
    window_start: date
    bad_records: BadRecordLedger
    changes: ChangeFeed

    def null_sku(self, count: int = 1) -> list[BadRecord]:
        """Product sizes whose `SKU` comes back null."""
        with self.db.lock:
            records = []
            for size in self._pick_sizes("null_sku", count):
                self._plant("ProductSize", size["id"], "SKU", None)
                self._touch("productSizes", "id", size["id"])
                records.append(_size_record("null_sku", size, "SKU", None, size["SKU"]))
            return self._keep(records)

    def negative_stock(self, count: int = 1, warehouse_id: int = 1) -> list[BadRecord]:
        """Stock rows of a warehouse with negative physical and free-to-allocate quantities."""
        with self.db.lock:
            records = []
            for row in self._pick_stock(count, warehouse_id):
                free = NEGATIVE_PHYSICAL - row["allocatedQuantity"]
                self._set_column("stock", "id", row["id"], "freeToAllocateQuantity", free)
                self._touch("stock", "id", row["id"])
                records.extend(_stock_records(row, warehouse_id, free))
            return self._keep(records)

    def unknown_currency(
        self, count: int = 1, day: date | None = None, market_id: int | None = None
    ) -> list[BadRecord]:
        """Orders whose money (grand total, lines, payments) carries a non-ISO 4217 code."""
        with self.db.lock:
            records = []
            for order in self._pick_orders("unknown_currency", count, day, market_id):
                self._plant("Order", order["number"], "currency", UNKNOWN_CURRENCY)
                self._touch("orders", "number", order["number"])
                field = "grandTotal.currency.code"
                original = order["currencyCode"]
                records.append(
                    _order_record("unknown_currency", order, field, UNKNOWN_CURRENCY, original)
                )
            return self._keep(records)

    def malformed_date(
        self, count: int = 1, day: date | None = None, market_id: int | None = None
    ) -> list[BadRecord]:
        """Orders whose `updatedAt` is served as a malformed string, whatever `format` asks."""
        with self.db.lock:
            records = []
            for order in self._pick_orders("malformed_date", count, day, market_id):
                self._plant("Order", order["number"], "updatedAt", MALFORMED_DATE)
                # The stored time still moves on, so `updatedAt` filters find the order.
                self._touch("orders", "number", order["number"])
                original = datetime.fromtimestamp(order["updatedAt"], UTC)
                records.append(
                    _order_record("malformed_date", order, "updatedAt", MALFORMED_DATE, original)
                )
            return self._keep(records)

    def duplicated_id(
        self, count: int = 1, day: date | None = None, market_id: int | None = None
    ) -> list[BadRecord]:
        """Product sizes listed twice in `productSizes`, order lines listed twice in `lines`."""
        with self.db.lock:
            records = []
            for size in self._pick_sizes("duplicated_id", count):
                self._plant("ProductSize", size["id"], "listedTwice", True)
                self._touch("productSizes", "id", size["id"])
                records.append(_duplicated_size(size))
            condition = _HAS_VISIBLE_LINE
            for order in self._pick_orders("duplicated_id", count, day, market_id, condition):
                line_id = self._first_line(order["number"])["id"]
                self._plant("OrderLine", line_id, "listedTwice", True)
                self._touch("orders", "number", order["number"])
                records.append(_duplicated_line(order, line_id))
            return self._keep(records)

    def totals_mismatch(
        self, count: int = 1, day: date | None = None, market_id: int | None = None
    ) -> list[BadRecord]:
        """Orders whose `grandTotal` exceeds lines + shipping + handling − discounts by 13.37."""
        with self.db.lock:
            records = []
            for order in self._pick_orders("totals_mismatch", count, day, market_id):
                cents = order["grandTotalCents"]
                wrong = cents + TOTALS_DRIFT_CENTS
                self._set_column("orders", "number", order["number"], "grandTotalCents", wrong)
                self._touch("orders", "number", order["number"])
                value, original = Decimal(wrong).scaleb(-2), Decimal(cents).scaleb(-2)
                records.append(
                    _order_record("totals_mismatch", order, "grandTotal.value", value, original)
                )
            return self._keep(records)

    def wrong_type(
        self, count: int = 1, day: date | None = None, market_id: int | None = None
    ) -> list[BadRecord]:
        """Product sizes whose `EAN` holds letters, order lines with a `taxPercent` of 250."""
        with self.db.lock:
            records = []
            for size in self._pick_sizes("wrong_type", count):
                self._set_column("productSizes", "id", size["id"], "EAN", WRONG_EAN)
                self._touch("productSizes", "id", size["id"])
                records.append(_size_record("wrong_type", size, "EAN", WRONG_EAN, size["EAN"]))
            condition = _HAS_VISIBLE_LINE
            for order in self._pick_orders("wrong_type", count, day, market_id, condition):
                line = self._first_line(order["number"])
                self._set_column("orderLines", "id", line["id"], "taxPercent", WRONG_TAX_PERCENT)
                self._touch("orders", "number", order["number"])
                records.append(_tax_record(order, line))
            return self._keep(records)

    def card_data(self, day: date | None = None, market_id: int | None = None) -> CardData:
        """Card numbers in an order comment, its customer's address and a payment entry."""
        with self.db.lock:
            order = self._pick_card_order(day, market_id)
            number, customer_id = order["number"], order["customerId"]
            address_id = self.db.scalar(
                "SELECT billingAddressId FROM customers WHERE id = ?", (customer_id,)
            )
            payment_id = self.db.scalar(
                "SELECT MIN(id) FROM payments WHERE orderNumber = ?", (number,)
            )
            records = self._plant_cards(number, customer_id, address_id, payment_id)
            self._touch("orders", "number", number)
            self._touch("customers", "id", customer_id)
            return CardData(number, customer_id, payment_id, self._keep(records))

    def clear_bad_records(self) -> list[BadRecord]:
        """Put every planted value back, as an upstream fix would; returns what was cleared."""
        with self.db.lock:
            ledger = self.bad_records
            for (table, key_column, key, column), original in ledger.originals.items():
                self.db.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?", (original, key)
                )
            self.db.execute("DELETE FROM rawOverrides")
            # The fix is a change too: incremental syncs must see the repaired objects again.
            for table, key_column, key in ledger.touched:
                # An order deleted since the plant is gone; nothing changed, nothing to announce.
                if bump_updated_at(self.db, table, key_column, key):
                    self._announce(table, key)
            self.db.commit()
            self.bad_records = BadRecordLedger()
            return ledger.records

    def _plant_cards(
        self, number: int, customer_id: int, address_id: int, payment_id: int
    ) -> list[BadRecord]:
        order = {"order": number}
        payment = {"order": number, "paymentHistoryEntry": payment_id}
        changes = (
            ("orders", "number", number, "otherComment", CARD_COMMENT),
            ("addresses", "id", address_id, "address2", MASTERCARD_TEST_NUMBER),
            ("payments", "id", payment_id, "externalReference", CARD_REFERENCE),
            ("payments", "id", payment_id, "paramsJSON", CARD_PARAMS),
        )
        targets = (
            ("Order", number, "otherComment", order),
            ("Customer", customer_id, "billingAddress.address2", {"customer": customer_id}),
            ("PaymentHistoryEntry", payment_id, "externalReference", payment),
            ("PaymentHistoryEntry", payment_id, "paramsJSON", payment),
        )
        records = []
        for change, (entity, entity_id, field, locator) in zip(changes, targets, strict=True):
            original = self._set_column(*change)
            value = change[-1]
            records.append(
                BadRecord("card_data", entity, entity_id, field, value, original, locator)
            )
        return records

    def _pick_sizes(self, kind: str, count: int) -> list[dict]:
        rows = self.db.all(_SIZE_CANDIDATES, _EXAMPLE_PARAMS)
        return self._take(kind, count, "ProductSize", rows, "product sizes")

    def _pick_stock(self, count: int, warehouse_id: int) -> list[dict]:
        rows = self.db.all(_STOCK_CANDIDATES, (warehouse_id, *_EXAMPLE_PARAMS))
        # Sizes and stock rows stay apart, so that a contract rejects each row for one reason.
        used = self.bad_records.used
        rows = [row for row in rows if ("ProductSize", row["productSizeId"]) not in used]
        what = f"stock rows in warehouse {warehouse_id}"
        chosen = self._take("negative_stock", count, "Stock", rows, what)
        used.update(("ProductSize", row["productSizeId"]) for row in chosen)
        return chosen

    def _pick_orders(
        self, kind: str, count: int, day: date | None, market_id: int | None, condition: str = ""
    ) -> list[dict]:
        rows = self._order_candidates(day, market_id, condition)
        return self._take(kind, count, "Order", rows, _orders_described(self._day(day), market_id))

    def _pick_card_order(self, day: date | None, market_id: int | None) -> dict:
        rows = self._order_candidates(day, market_id, _HAS_CARD_TARGETS)
        # One customer's address carries one planted number; a second call takes a new customer.
        rows = [row for row in rows if ("Customer", row["customerId"]) not in self.bad_records.used]
        what = _orders_described(self._day(day), market_id)
        order = self._take("card_data", 1, "Order", rows, f"{what} with an address and a payment")
        self.bad_records.used.add(("Customer", order[0]["customerId"]))
        return order[0]

    def _order_candidates(
        self, day: date | None, market_id: int | None, condition: str
    ) -> list[dict]:
        start, end = window_bounds(self._day(day), 1)
        sql = _ORDER_CANDIDATES.format(condition=condition)
        return self.db.all(sql, (start, end, FIRST_ORDER_NUMBER, market_id, market_id))

    def _take(self, kind: str, count: int, entity: str, rows: list[dict], what: str) -> list:
        if count < 1:
            raise StoreError(f"{kind}(count={count}): count must be 1 or more.")
        key = "number" if entity == "Order" else "id"
        free = [row for row in rows if (entity, row[key]) not in self.bad_records.used]
        if len(free) < count:
            raise StoreError(
                f"{kind} needs {count} untouched {what} but found {len(free)}; pass a smaller "
                "count, another day/market_id/warehouse_id, or call clear_bad_records() first."
            )
        chosen = free[:count]
        self.bad_records.used.update((entity, row[key]) for row in chosen)
        return chosen

    def _day(self, day: date | None) -> date:
        return day or self.window_start

    def _first_line(self, number: int) -> dict:
        return self.db.one(
            "SELECT id, taxPercent FROM orderLines WHERE orderNumber = ? AND quantity > 0 "
            "ORDER BY id LIMIT 1",
            (number,),
        )

    def _set_column(self, table: str, key_column: str, key: int, column: str, value: Any) -> Any:
        """Write one planted value; returns what it replaced and keeps the first original."""
        current = self.db.scalar(f"SELECT {column} FROM {table} WHERE {key_column} = ?", (key,))
        self.bad_records.originals.setdefault((table, key_column, key, column), current)
        self.db.execute(f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?", (value, key))
        return current

    def _plant(self, type_name: str, object_id: int, field: str, value: Any) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO rawOverrides VALUES (?, ?, ?, ?)",
            (type_name, object_id, field, json.dumps(value)),
        )

    def _touch(self, table: str, key_column: str, key: int) -> None:
        self.bad_records.touched[(table, key_column, key)] = None
        bump_updated_at(self.db, table, key_column, key)
        self._announce(table, key)

    def _announce(self, table: str, key: int) -> None:
        # A defect reaches event and webhook consumers the way a real upstream change would.
        if table == "orders":
            self.changes.order(key, "UPDATED")
        elif table == "customers":
            self.changes.customer(key, "UPDATED")
        elif table == "productSizes":
            self.changes.product_sizes([key], [])
        elif table == "stock":
            row = self.db.one("SELECT productSizeId, warehouseId FROM stock WHERE id = ?", (key,))
            self.changes.product_sizes([row["productSizeId"]], [row["warehouseId"]])

    def _keep(self, records: list[BadRecord]) -> list[BadRecord]:
        self.bad_records.records.extend(records)
        self.db.commit()
        return records


def _orders_described(day: date, market_id: int | None) -> str:
    market = "" if market_id is None else f" in market {market_id}"
    return f"DTC orders dated {day.isoformat()} (UTC){market}"


def _size_locator(size: dict) -> dict[str, int]:
    return {
        "product": size["productId"],
        "productVariant": size["productVariantId"],
        "productSize": size["id"],
    }


def _size_record(kind: str, size: dict, field: str, value: Any, original: Any) -> BadRecord:
    return BadRecord(kind, "ProductSize", size["id"], field, value, original, _size_locator(size))


def _duplicated_size(size: dict) -> BadRecord:
    twice, once = (size["id"], size["id"]), (size["id"],)
    variant = size["productVariantId"]
    locator = _size_locator(size)
    return BadRecord(
        "duplicated_id", "ProductVariant", variant, "productSizes.id", twice, once, locator
    )


def _stock_records(row: dict, warehouse_id: int, free: int) -> list[BadRecord]:
    locator = {"warehouse": warehouse_id, "productSize": row["productSizeId"]}
    physical = row["freeToAllocateQuantity"] + row["allocatedQuantity"]
    return [
        BadRecord(
            "negative_stock",
            "Stock",
            row["id"],
            "physicalQuantity",
            NEGATIVE_PHYSICAL,
            physical,
            locator,
        ),
        BadRecord(
            "negative_stock",
            "Stock",
            row["id"],
            "freeToAllocateQuantity",
            free,
            row["freeToAllocateQuantity"],
            locator,
        ),
    ]


def _order_record(kind: str, order: dict, field: str, value: Any, original: Any) -> BadRecord:
    number = order["number"]
    return BadRecord(kind, "Order", number, field, value, original, {"order": number})


def _duplicated_line(order: dict, line_id: int) -> BadRecord:
    number = order["number"]
    locator = {"order": number, "orderLine": line_id}
    twice, once = (line_id, line_id), (line_id,)
    return BadRecord("duplicated_id", "Order", number, "lines.id", twice, once, locator)


def _tax_record(order: dict, line: dict) -> BadRecord:
    number = order["number"]
    locator = {"order": number, "orderLine": line["id"]}
    value, original = float(WRONG_TAX_PERCENT), float(line["taxPercent"])
    return BadRecord("wrong_type", "Order", number, "lines.taxPercent", value, original, locator)
