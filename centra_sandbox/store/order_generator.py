"""Seeded customers and direct-to-consumer orders, streamed into SQLite in bounded chunks."""

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from centra_sandbox.store import seed_data as sd
from centra_sandbox.store.catalog_generator import Catalog, SellableSize

FIRST_ORDER_NUMBER = 39790
EXAMPLE_ORDER_ID = "1497ccf644db871e1e4026d101bde6f3"
CHUNK_ORDERS = 5000
HOUR = 3600
DAY = 86400

ORDER_COLUMNS = (
    "number", "id", "status", "storeId", "marketId", "pricelistId", "countryId", "currencyId",
    "customerId", "orderDate", "createdAt", "updatedAt", "currencyBaseRate", "isOnHold", "isLocked",
    "otherComment", "internalComment", "userIP", "shippingCents", "handlingCents", "discountCents",
    "grandTotalCents", "taxPercent", "paymentPlugin", "billingAddressId", "shippingAddressId",
    "shippingOptionId",
)  # fmt: skip
TABLE_COLUMNS = {
    "orders": ORDER_COLUMNS,
    "orderLines": (
        "id", "orderNumber", "lineType", "productId", "productVariantId", "productSizeId",
        "productNumber", "productName", "productVariantName", "productBrand", "size", "comment",
        "quantity", "cancelledQuantity", "returnedQuantity", "unitOriginalPriceCents",
        "unitPriceCents", "taxPercent",
    ),
    "orderDiscounts": ("id", "orderNumber", "name", "code", "type", "valueCents", "date"),
    "payments": (
        "id", "orderNumber", "returnId", "createdAt", "status", "entryType", "externalReference",
        "paymentMethod", "valueCents", "source", "paramsJSON",
    ),
    "shipments": (
        "id", "orderNumber", "number", "createdAt", "updatedAt", "isGoodToGo", "isPrinted",
        "isShipped", "isOnHold", "isPaid", "isCaptured", "shippedAt", "paidAt", "capturedAt",
        "trackingNumber", "returnTrackingNumber", "numberOfPackages", "carrierName",
        "serviceName", "shippingCents", "handlingCents", "discountCents", "additionalMessage",
    ),
    "shipmentLines": ("id", "shipmentId", "orderLineId", "quantity"),
    "returns": (
        "id", "orderNumber", "shipmentId", "returnStatus", "createdAt", "returnedToStock",
        "comment", "storeId",
    ),
    "returnLines": ("id", "returnId", "shipmentLineId", "orderLineId", "quantity"),
    "objectAttributes": ("objectType", "objectId", "typeName", "mappedAttributeId", "valuesJSON"),
}  # fmt: skip
CUSTOMER_COLUMNS = (
    "id", "status", "email", "firstName", "lastName", "gender", "birthdate", "newsletter",
    "registered", "createdAt", "updatedAt", "storeId", "billingAddressId", "countryId",
)  # fmt: skip
ADDRESS_COLUMNS = (
    "id", "firstName", "lastName", "address1", "address2", "city", "zipCode", "stateOrProvince",
    "cellPhoneNumber", "phoneNumber", "email", "companyName", "vatNumber", "countryId",
)  # fmt: skip

_COUNTRY_BY_ID = {row[0]: row for row in sd.COUNTRIES}
_CURRENCY_BY_ID = {row[0]: row for row in sd.CURRENCIES}
_PRICELIST_BY_ID = {row[0]: row for row in sd.PRICELISTS}
# 100 slots spread over countries by customer share, so a customer's country is a pure function
# of its id and never has to be held in memory while orders stream.
_COUNTRY_SLOTS = [row[0] for row in sd.COUNTRIES for _ in range(row[8])]
_STATUS_WEIGHTS_RECENT = (25, 30, 20, 15, 10, 0)
_STATUS_WEIGHTS_OLDER = (3, 7, 15, 60, 7, 8)
_STATUSES = ("PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "CANCELLED", "ARCHIVED")


def customer_country(customer_id: int) -> int:
    """Country id of a generated customer; customer 1 (Åsa Öberg) lives in Sweden."""
    if customer_id == 1:
        return 1
    return _COUNTRY_SLOTS[(customer_id * 2654435761) % 100]


def order_hash(seed: int, number: int) -> str:
    if number == FIRST_ORDER_NUMBER:
        return EXAMPLE_ORDER_ID
    return hashlib.md5(f"{seed}:{number}".encode()).hexdigest()


def customer_count(orders: int) -> int:
    return max(60, orders // 3)


@dataclass
class IdCounters:
    """Next free id per table, so generated and later-created rows never collide."""

    next_ids: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next_ids.get(table, 1)
        self.next_ids[table] = value + 1
        return value


def customer_rows(seed: int, count: int, epoch: int) -> Iterator[tuple[tuple, tuple | None]]:
    """Yields (customer row, billing address row or None) for every generated customer."""
    rng = random.Random(f"{seed}:customers")
    for customer_id in range(1, count + 1):
        country_id = customer_country(customer_id)
        first = "Åsa" if customer_id == 1 else rng.choice(sd.FIRST_NAMES)
        last = "Öberg" if customer_id == 1 else rng.choice(sd.LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}.{customer_id}@example.com"
        created = epoch - rng.randint(0, 700) * DAY - rng.randint(0, DAY)
        birthdate = f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        has_address = customer_id == 1 or rng.random() < 0.9
        customer = (
            customer_id,
            "ACTIVE",
            email,
            first,
            last,
            rng.choice(("FEMALE", "MALE", "UNKNOWN")),
            birthdate,
            int(rng.random() < 0.4),
            int(rng.random() < 0.7),
            created,
            created + rng.randint(0, 30) * DAY,
            1,
            customer_id if has_address else None,
            country_id,
        )
        city, zip_code = sd.CITIES[country_id]
        address = (
            customer_id,
            first,
            last,
            rng.choice(sd.STREETS),
            None,
            city,
            zip_code,
            None,
            f"+46 70 {customer_id % 1000:03d} {customer_id % 100:02d} 00",
            None,
            email,
            None,
            None,
            country_id,
        )
        yield customer, address if has_address else None


def _ascii(text: str) -> str:
    table = str.maketrans(
        {
            "Å": "A",
            "Ä": "A",
            "Ö": "O",
            "Ø": "O",
            "å": "a",
            "ä": "a",
            "ö": "o",
            "ø": "o",
            "ü": "u",
            "é": "e",
            "è": "e",
            "ë": "e",
            "ç": "c",
            "ß": "ss",
            " ": "",
        }
    )
    return text.translate(table).lower()


class OrderFactory:
    """Builds one order with its lines, discounts, payments, shipments and returns as rows."""

    def __init__(self, seed: int, catalog: Catalog, customers: int, window: tuple[int, int]):
        self.seed = seed
        self.catalog = catalog
        self.customers = customers
        self.window_start, self.window_end = window
        self.ids = IdCounters()

    def build(self, rng: random.Random, number: int, order_date: int, **forced) -> dict:
        """Rows per table for one order; `forced` may fix customer_id, market_id and status."""
        rows: dict[str, list] = {table: [] for table in TABLE_COLUMNS}
        if number == FIRST_ORDER_NUMBER:
            return self._example(rows, number, order_date)
        customer_id = forced.get("customer_id") or rng.randint(1, self.customers)
        country_id = customer_country(customer_id)
        market_id = _COUNTRY_BY_ID[country_id][5]
        status = forced.get("status") or self._status(rng, order_date)
        lines = self._lines(rng, number, market_id, country_id, status)
        self._assemble(rows, rng, number, order_date, customer_id, country_id, status, lines)
        return rows

    def _status(self, rng: random.Random, order_date: int) -> str:
        recent = self.window_end - order_date < 2 * DAY
        weights = _STATUS_WEIGHTS_RECENT if recent else _STATUS_WEIGHTS_OLDER
        return rng.choices(_STATUSES, weights)[0]

    def _lines(self, rng, number, market_id, country_id, status) -> list[list]:
        sellable = self.catalog.sellable_by_market[market_id]
        currency = _currency_code(country_id)
        tax = _COUNTRY_BY_ID[country_id][7]
        lines = []
        for item in rng.sample(sellable, rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]):
            quantity = rng.choice((1, 1, 1, 2, 2, 3))
            original = item.prices[currency]
            discount = rng.choice((10, 20, 30)) if rng.random() < 0.15 else 0
            cancelled = 0
            if status != "PENDING" and status != "CANCELLED" and rng.random() < 0.06:
                cancelled = rng.randint(1, quantity)
            lines.append(
                self._line(
                    number,
                    item,
                    quantity - cancelled,
                    cancelled,
                    original,
                    original * (100 - discount) // 100,
                    tax,
                )
            )
        return lines

    def _line(self, number, item: SellableSize, quantity, cancelled, original, unit, tax) -> list:
        line_type = "BUNDLE" if item.is_bundle else "PRODUCT"
        return [
            self.ids.take("orderLines"),
            number,
            line_type,
            item.product_id,
            item.variant_id,
            item.size_id,
            item.product_number,
            item.product_name,
            item.variant_name,
            item.brand,
            item.size_name,
            None,
            quantity,
            cancelled,
            0,
            original,
            unit,
            tax,
        ]

    def _assemble(self, rows, rng, number, order_date, customer_id, country_id, status, lines):
        currency = _currency_code(country_id)
        fee, free_from, wrap = sd.SHIPPING_FEES[currency]
        items = sum(line[12] * line[16] for line in lines)
        shipping = 0 if items >= free_from else fee
        handling = wrap if rng.random() < 0.05 else 0
        discount = 0
        if rng.random() < 0.12 and items > 0:
            discount = items // 10
            code, name = rng.choice((("WELCOME10", "Välkommen 10%"), ("BLACKWEEK", "Black Week")))
            rows["orderDiscounts"].append(
                (
                    self.ids.take("orderDiscounts"),
                    number,
                    name,
                    code,
                    "VOUCHER",
                    discount,
                    order_date,
                )
            )
        order = self._order_row(
            rng,
            number,
            order_date,
            customer_id,
            country_id,
            status,
            (shipping, handling, discount, items + shipping + handling - discount),
        )
        updated = self._payments_and_shipments(rows, rng, order, lines)
        order[11] = max(order[11], updated)
        rows["orders"].append(tuple(order))
        # Lines go in last: a return generated above may have raised their returnedQuantity.
        rows["orderLines"].extend(tuple(line) for line in lines)
        if rng.random() < 0.05:
            values = json.dumps({"message": "Grattis på födelsedagen! 🎁", "receipt": None})
            rows["objectAttributes"].append(("Order", number, "ord_gift", None, values))

    def _order_row(self, rng, number, order_date, customer_id, country_id, status, money) -> list:
        country = _COUNTRY_BY_ID[country_id]
        pricelist = _PRICELIST_BY_ID[country[6]]
        currency = _CURRENCY_BY_ID[pricelist[3]]
        shipping, handling, discount, grand = money
        on_hold = int(status in ("PENDING", "CONFIRMED") and rng.random() < 0.05)
        comment = "Lämna paketet vid dörren, tack!" if rng.random() < 0.05 else ""
        return [
            number,
            order_hash(self.seed, number),
            status,
            1,
            country[5],
            pricelist[0],
            country_id,
            currency[0],
            customer_id,
            order_date,
            order_date,
            order_date + rng.randint(60, 3600),
            currency[4],
            on_hold,
            0,
            comment,
            None,
            f"192.0.2.{number % 250 + 1}",
            shipping,
            handling,
            discount,
            grand,
            country[7],
            sd.PAYMENT_PLUGINS[country[5]],
            customer_id,
            customer_id,
            1 + (rng.random() < 0.2),
        ]

    def _payments_and_shipments(self, rows, rng, order, lines) -> int:
        number, order_date, status, grand = order[0], order[9], order[2], order[21]
        plugin = order[23]
        reference = f"psp-{order[1][:12]}"
        self._payment(
            rows, number, None, order_date + 5, "SUCCESS", "AUTH", reference, plugin, grand
        )
        latest = order_date
        if status == "CANCELLED":
            latest = order_date + rng.randint(1, 24) * HOUR
            self._payment(rows, number, None, latest, "SUCCESS", "CANCEL", reference, plugin, grand)
        elif status in ("PROCESSING", "SHIPPED", "ARCHIVED"):
            complete = status != "PROCESSING"
            latest = self._shipments(rows, rng, order, lines, complete, reference)
        return latest

    def _shipments(self, rows, rng, order, lines, complete, reference) -> int:
        number, order_date, plugin = order[0], order[9], order[23]
        latest = order_date
        for index, group in enumerate(_shipment_groups(rng, lines, complete), start=1):
            created = order_date + rng.randint(6, 48) * HOUR + index * HOUR
            shipped = complete or rng.random() < 0.5
            shipped_at = created + rng.randint(1, 24) * HOUR if shipped else None
            # Shipping, handling and the voucher ride on the first shipment only.
            fees = (order[18], order[19], order[20]) if index == 1 else (0, 0, 0)
            shipment_id = self.ids.take("shipments")
            carrier = carrier_of_market(order[4])
            rows["shipments"].append(
                shipment_row(
                    shipment_id, number, index, created, shipped_at, shipped, carrier, fees
                )
            )

            shipment_lines = self._shipment_lines(rows, shipment_id, group)
            latest = max(latest, created, shipped_at or created)
            if not shipped:
                continue
            value = sum(line[12] * line[16] for line in group) + fees[0] + fees[1] - fees[2]
            self._capture(rows, number, shipped_at, reference, plugin, value, complete)
            if complete and index == 1:
                self._maybe_return(rows, rng, order, shipment_id, shipment_lines, shipped_at)
        return latest

    def _shipment_lines(self, rows, shipment_id: int, group: list[list]) -> list[tuple]:
        shipment_lines = []
        for line in group:
            line_id = self.ids.take("shipmentLines")
            shipment_lines.append((line_id, line))
            rows["shipmentLines"].append((line_id, shipment_id, line[0], line[12]))
        return shipment_lines

    def _capture(self, rows, number, at, reference, plugin, value, complete) -> None:
        if plugin in sd.ASYNC_CAPTURE_PLUGINS:
            self._payment(
                rows, number, None, at, "PENDING", "CAPTURE_REQUEST", reference, plugin, value
            )
            if not complete:
                return
            at += 6 * HOUR
        self._payment(rows, number, None, at, "SUCCESS", "CAPTURE", reference, plugin, value)

    def _maybe_return(self, rows, rng, order, shipment_id, shipment_lines, shipped_at) -> None:
        created = shipped_at + rng.randint(2, 6) * DAY
        if rng.random() >= 0.12 or not self.window_start <= created < self.window_end:
            return
        return_id = self.ids.take("returns")
        completed = rng.random() < 0.6
        status = "COMPLETED" if completed else "PENDING"
        rows["returns"].append(
            (return_id, order[0], shipment_id, status, created, int(completed), "Fel storlek", 1)
        )
        shipment_line_id, line = shipment_lines[0]
        rows["returnLines"].append(
            (self.ids.take("returnLines"), return_id, shipment_line_id, line[0], 1)
        )
        line[14] += 1
        if completed:
            refund_at = created + DAY
            reference = f"psp-{order[1][:12]}"
            self._payment(
                rows,
                order[0],
                return_id,
                refund_at,
                "SUCCESS",
                "REFUND",
                reference,
                order[23],
                line[16],
            )

    def _payment(self, rows, number, return_id, at, status, entry_type, reference, plugin, cents):
        rows["payments"].append(
            payment_row(
                self.ids.take("payments"),
                number,
                return_id,
                at,
                (status, entry_type, reference, plugin),
                cents,
            )
        )

    def _example(self, rows: dict, number: int, order_date: int) -> dict:
        """Order 39790 of the digest: 10 × 675 SEK with one cancelled, shipment 39790-1."""
        example_line = self.catalog.by_size_id[101]
        thousand = self.catalog.by_size_id[202]
        lines = [
            self._line(number, example_line, 9, 1, 67500, 67500, 25),
            self._line(number, thousand, 1, 0, 100000, 100000, 25),
        ]
        grand = 9 * 67500 + 100000
        order = self._order_row(
            random.Random(0), number, order_date, 1, 1, "PROCESSING", (0, 0, 0, grand)
        )
        rows["orderLines"].extend(tuple(line) for line in lines)
        reference = "psp-example-39790"
        plugin = order[23]
        self._payment(
            rows, number, None, order_date + 5, "SUCCESS", "AUTH", reference, plugin, grand
        )
        shipment_id = self.ids.take("shipments")
        shipped_at = order_date + 20 * HOUR
        rows["shipments"].append(
            shipment_row(
                shipment_id,
                number,
                1,
                order_date + 8 * HOUR,
                shipped_at,
                False,
                "PostNord",
                (0, 0, 0),
            )
        )
        rows["shipmentLines"].append((self.ids.take("shipmentLines"), shipment_id, lines[0][0], 5))
        rows["shipmentLines"].append((self.ids.take("shipmentLines"), shipment_id, lines[1][0], 1))
        self._payment(
            rows,
            number,
            None,
            shipped_at,
            "PENDING",
            "CAPTURE_REQUEST",
            reference,
            plugin,
            5 * 67500 + 100000,
        )
        order[11] = shipped_at
        rows["orders"].append(tuple(order))
        return rows


def _shipment_groups(rng: random.Random, lines: list[list], complete: bool) -> list[list]:
    """Open lines split over one or two shipments; an order in PROCESSING has shipped one."""
    open_lines = [line for line in lines if line[12] > 0]
    if not open_lines:
        return []
    if len(open_lines) > 1 and (not complete or rng.random() < 0.2):
        half = (len(open_lines) + 1) // 2
        groups = [open_lines[:half], open_lines[half:]]
        return groups if complete else groups[:1]
    return [open_lines]


def shipment_row(shipment_id, number, index, created, shipped_at, captured, carrier, fees) -> tuple:
    """One shipments row; `shipped_at` None means packed but not yet shipped."""
    shipped = int(shipped_at is not None)
    values = {
        "id": shipment_id,
        "orderNumber": number,
        "number": f"{number}-{index}",
        "createdAt": created,
        "updatedAt": shipped_at or created,
        "isGoodToGo": 1,
        "isPrinted": 1,
        "isShipped": shipped,
        "isOnHold": 0,
        "isPaid": shipped,
        "isCaptured": int(captured),
        "shippedAt": shipped_at,
        "paidAt": shipped_at,
        "capturedAt": shipped_at if captured else None,
        "trackingNumber": f"TRK{shipment_id:08d}" if shipped else None,
        "returnTrackingNumber": f"RET{shipment_id:08d}",
        "numberOfPackages": 1,
        "carrierName": carrier,
        "serviceName": "Parcel",
        "shippingCents": fees[0],
        "handlingCents": fees[1],
        "discountCents": fees[2],
        "additionalMessage": None,
    }
    return tuple(values[column] for column in TABLE_COLUMNS["shipments"])


def payment_row(payment_id, number, return_id, at, entry: tuple, cents: int) -> tuple:
    """One payments row; `entry` is (status, entryType, externalReference, paymentMethod)."""
    status, entry_type, reference, plugin = entry
    params = json.dumps(
        {"success": status != "FAILED", "isRequest": status == "PENDING", "raw": None}
    )
    source = "Centra form" if entry_type == "AUTH" else "Integration API"
    return (
        payment_id, number, return_id, at, status, entry_type, reference, plugin, cents, source,
        params,
    )  # fmt: skip


def capture_entry(plugin: str) -> tuple[str, str]:
    """(status, entryType) of a capture: async PSPs answer with a pending request (§4.10)."""
    if plugin in sd.ASYNC_CAPTURE_PLUGINS:
        return "PENDING", "CAPTURE_REQUEST"
    return "SUCCESS", "CAPTURE"


def carrier_of_market(market_id: int) -> str:
    """PostNord in Sweden and Norway, DHL elsewhere."""
    return "PostNord" if market_id in (1, 3) else "DHL"


def _currency_code(country_id: int) -> str:
    pricelist = _PRICELIST_BY_ID[_COUNTRY_BY_ID[country_id][6]]
    return _CURRENCY_BY_ID[pricelist[3]][1]
