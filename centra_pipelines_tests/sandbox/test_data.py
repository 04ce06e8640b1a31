"""Seeded data: deterministic, contains the digest's examples, money consistent to the cent."""

import time
from collections import defaultdict
from datetime import date
from decimal import Decimal

from centra_pipelines_tests.sandbox.conftest import WINDOW_START, gql, post
from centra_sandbox import SandboxConfig, start_sandbox
from centra_sandbox.store.database import Database
from centra_sandbox.store.generator import generate

WINDOW_START_EPOCH = 1793491200  # 2026-11-01T00:00:00Z

FIRST_PAGE = """{ orderConnection(first: 50, sort: [number_ASC]) { edges { cursor node {
  ... on DirectToConsumerOrder { id number status orderDate updatedAt
        grandTotal { value } } } } } }"""

MONEY = """query Money($after: String) {
  orderConnection(first: 200, after: $after, sort: [number_ASC]) {
    pageInfo { hasNextPage endCursor }
    edges { node { ... on DirectToConsumerOrder {
      number status orderDate market { id }
      grandTotal { value currency { code } }
      grandTotalExTax: grandTotal(includingTax: false) { value }
      totals { shipping { value } handling { value } discounts { value } taxIncluded { value } }
      discountsApplied { value { value } }
      lines(includeFullyCancelled: true) { quantity unitPrice { value } lineValue { value } }
    } } }
  }
}"""


def _cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_same_seed_gives_same_stats_and_first_page():
    config = SandboxConfig(seed=99, orders=300, window_start=WINDOW_START)
    results = []
    for _ in range(2):
        with start_sandbox(config) as sandbox:
            page = post(sandbox, FIRST_PAGE).json()["data"]
            for edge in page["orderConnection"]["edges"]:
                edge["node"].pop("updatedAt")
            results.append((sandbox.stats(), page))

    assert results[0] == results[1]


def test_other_seed_gives_other_data():
    stats = []
    for seed in (1, 2):
        with start_sandbox(SandboxConfig(seed=seed, orders=300)) as sandbox:
            stats.append(sandbox.stats()["order_totals"])

    assert stats[0] != stats[1]


def test_stats_shape(sandbox):
    stats = sandbox.stats()

    assert stats["window"] == {"start": "2026-11-01", "days": 14}
    assert [m["currency"] for m in stats["markets"]] == ["SEK", "EUR", "NOK", "GBP", "USD"]
    assert stats["counts"]["orders"] == 1500
    assert stats["counts"]["stores"] == 2
    assert stats["counts"]["bundles"] >= 1
    assert stats["counts"]["returns"] > 0
    assert sum(row["orders"] for row in stats["order_totals"]) == 1500


def test_digest_example_stock_row(sandbox):
    query = """{ warehouses(where: {id: 1}) { stock(where: {productSizeId: 101}) {
        productSize { SKU description } physicalQuantity freeToAllocateQuantity
        allocatedQuantity linkedIncomingQuantity demandQuantity unshippedQuantity
        availableNowQuantity unlinkedIncomingQuantity incomingQuantity onDeliveryQuantity
        availableQuantity } } }"""

    row = gql(sandbox, query)["warehouses"][0]["stock"][0]

    assert row == {
        "productSize": {"SKU": "Prod123Var456789S", "description": "S"},
        "physicalQuantity": 38,
        "freeToAllocateQuantity": 18,
        "allocatedQuantity": 20,
        "linkedIncomingQuantity": 2,
        "demandQuantity": 1,
        "unshippedQuantity": 4,
        "availableNowQuantity": 17,
        "unlinkedIncomingQuantity": 8,
        "incomingQuantity": 10,
        "onDeliveryQuantity": 0,
        "availableQuantity": 27,
    }


def test_digest_example_order(sandbox):
    query = """{ order(number: 39790) { ... on DirectToConsumerOrder { id number
        lines { taxPercent quantity cancelledQuantity unitPrice { value currency { code } }
                lineValue { value formattedValue }
                productSize { SKU description } }
        shipments { number } } } }"""

    order = gql(sandbox, query)["order"]

    assert order["id"] == "1497ccf644db871e1e4026d101bde6f3"
    assert order["shipments"][0]["number"] == "39790-1"
    example, thousand = order["lines"]
    assert example["taxPercent"] == 25
    assert example["unitPrice"] == {"value": 675, "currency": {"code": "SEK"}}
    assert (example["quantity"], example["cancelledQuantity"]) == (9, 1)
    assert example["lineValue"]["value"] == 6075
    assert example["productSize"] == {"SKU": "Prod123Var456789S", "description": "S"}
    assert thousand["lineValue"]["formattedValue"] == "1 000.00 SEK"


def test_every_status_and_payment_kind_is_present(sandbox):
    statuses = gql(sandbox, '{ __type(name: "OrderStatus") { enumValues { name } } }')
    names = [v["name"] for v in statuses["__type"]["enumValues"]]
    counts = {
        status: gql(sandbox, f"{{ counters {{ orders(where: {{status: {status}}}) }} }}")
        for status in names
    }
    entries = sandbox.app.db.all("SELECT DISTINCT entryType || ':' || status AS kind FROM payments")

    assert all(value["counters"]["orders"] > 0 for value in counts.values()), counts
    kinds = {row["kind"] for row in entries}
    assert {
        "AUTH:SUCCESS",
        "CAPTURE:SUCCESS",
        "CAPTURE_REQUEST:PENDING",
        "REFUND:SUCCESS",
        "CANCEL:SUCCESS",
    } <= kinds


def test_money_adds_up_for_every_order(sandbox):
    """Σ line values + shipping + handling − discounts = grandTotal, to the cent."""
    totals, after = defaultdict(Decimal), None
    window_end = "2026-11-15"
    while True:
        connection = gql(sandbox, MONEY, {"after": after})["orderConnection"]
        for edge in connection["edges"]:
            order = edge["node"]
            assert "2026-11-01" <= order["orderDate"][:10] <= window_end
            lines = sum(_cents(line["lineValue"]["value"]) for line in order["lines"])
            for line in order["lines"]:
                expected = _cents(line["unitPrice"]["value"]) * line["quantity"]
                assert _cents(line["lineValue"]["value"]) == expected
            t = order["totals"]
            discounts = sum(_cents(d["value"]["value"]) for d in order["discountsApplied"])
            assert discounts == _cents(t["discounts"]["value"])
            grand = _cents(order["grandTotal"]["value"])
            assert (
                lines + _cents(t["shipping"]["value"]) + _cents(t["handling"]["value"]) - discounts
                == grand
            )
            assert (
                _cents(order["grandTotalExTax"]["value"]) + _cents(t["taxIncluded"]["value"])
                == grand
            )
            totals[order["market"]["id"]] += grand
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    expected = {
        row["market_id"]: Decimal(row["grand_total"]) for row in sandbox.stats()["order_totals"]
    }
    assert totals == expected


def test_returns_are_inside_the_window(sandbox):
    rows = sandbox.app.db.all("SELECT MIN(createdAt) AS low, MAX(createdAt) AS high FROM returns")
    statuses = {
        row["returnStatus"] for row in sandbox.app.db.all("SELECT returnStatus FROM returns")
    }

    assert rows[0]["low"] >= WINDOW_START_EPOCH
    assert rows[0]["high"] < WINDOW_START_EPOCH + 14 * 86400
    assert statuses == {"PENDING", "COMPLETED"}


def test_hundred_thousand_orders_generate_in_bounded_time():
    db = Database()
    started = time.perf_counter()

    generate(db, seed=5, orders=100_000, window_start=date(2026, 11, 1), window_days=14)

    elapsed = time.perf_counter() - started
    assert db.scalar("SELECT COUNT(*) FROM orders") == 100_000
    assert elapsed < 40, f"100k orders took {elapsed:.1f} s"
    db.close()
