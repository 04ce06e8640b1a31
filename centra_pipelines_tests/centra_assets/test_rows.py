"""Centra records become warehouse rows field by field, and API cost splits without loss."""

from datetime import date
from decimal import Decimal

import pytest

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.orders import order_rows
from centra_pipelines.centra.assets.sync import split_cost
from centra_pipelines.centra.client import ApiUsage

ORDER = {
    "id": "1497ccf644db871e1e4026d101bde6f3",
    "number": 39790,
    "status": "PROCESSING",
    "orderDate": "2026-11-02T23:30:00-01:00",
    "createdAt": "2026-11-02T23:30:00-01:00",
    "updatedAt": "2026-11-03T10:00:00+01:00",
    "currencyBaseRate": 0.0871,
    "market": {"id": 3},
    "grandTotal": {"value": 6124.0, "currency": {"code": "SEK"}},
    "totals": {"quantity": 9, "shipping": {"value": 49.0}},
    "lines": [
        {
            "id": 7,
            "quantity": 9,
            "cancelledQuantity": 1,
            "taxPercent": 25.0,
            "unitPrice": {"value": 675.0},
            "lineValue": {"value": 6075.0},
            "productSize": {"id": 5, "SKU": "Prod123Var456789S"},
        }
    ],
    "shipments": [{"id": 1902, "number": "39790-1", "lines": [{"id": 1, "quantity": 4}]}],
    "paymentHistory": [{"id": 11, "entryType": "AUTH", "value": {"value": 6124.0}}],
    "attributes": [
        {"type": {"name": "order_gift", "isMapped": False}, "elements": [{"key": "text"}]}
    ],
}


def test_an_order_feeds_every_order_table_in_the_utc_day_of_its_order_date():
    rows = list(order_rows(ORDER, date(2026, 11, 2)))

    by_table = {}
    for table, row in rows:
        by_table.setdefault(table.name, []).append(row)
    assert {name: len(found) for name, found in by_table.items()} == {
        "orders": 1,
        "order_lines": 1,
        "payments": 1,
        "shipments": 1,
        "shipment_lines": 1,
        "order_attribute_values": 1,
    }
    # 23:30 at UTC-1 is 00:30 UTC on the next day: the partition follows UTC.
    assert {row["partition_date"].isoformat() for _, row in rows} == {"2026-11-03"}
    line = by_table["order_lines"][0]
    assert line["line_value"] == Decimal("6075.0")
    assert line["currency"] == "SEK"
    assert line["sku"] == "Prod123Var456789S"
    assert by_table["shipments"][0]["shipment_number"] == "39790-1"


def test_a_missing_nested_object_becomes_null_not_an_error():
    row = tables.orders.row({"number": 1, "orderDate": "2026-11-02T00:00:00+00:00"})

    assert row["customer_id"] is None
    assert row["grand_total"] is None


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_cost_shares_add_up_to_the_batch(parts):
    usage = ApiUsage(requests=10, complexity=1001, throttled=1, retries=2, waited_seconds=3.0)

    shares = split_cost(usage, parts)

    assert sum(share.requests for share in shares) == 10
    assert sum(share.complexity for share in shares) == 1001
    assert sum(share.throttled for share in shares) == 1
    assert sum(share.retries for share in shares) == 2
    assert sum(share.wait_seconds for share in shares) == pytest.approx(3.0)
