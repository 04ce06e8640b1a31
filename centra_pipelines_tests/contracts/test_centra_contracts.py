"""Each contract rule rejects a record that breaks it and accepts one that keeps it."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.contracts.centra_records import CONTRACTS
from centra_pipelines.contracts.validation import ContractValidator

DAY = date(2026, 11, 2)
PLACED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def order(**changes) -> dict:
    record = {
        "order_id": "1497ccf644db871e1e4026d101bde6f3",
        "order_number": 39790,
        "status": "PROCESSING",
        "order_date": PLACED,
        "created_at": PLACED,
        "updated_at": PLACED,
        "currency": "SEK",
        "pricelist_currency": "SEK",
        "currency_base_rate": Decimal("0.0871"),
        "is_on_hold": False,
        "other_comment": "",
        "store_id": 1,
        "pricelist_id": 1,
        "country_code": "SE",
        "customer_id": 12,
        "grand_total": Decimal("6124.00"),
        "grand_total_ex_tax": Decimal("4899.20"),
        "total_quantity": 9,
        "shipping": Decimal("49.00"),
        "handling": Decimal("0"),
        "discounts": Decimal("0"),
        "lines_total": Decimal("6075.00"),
        "line_count": 1,
        "tax_added": Decimal("0"),
        "tax_deducted": Decimal("0"),
        "tax_included": Decimal("1224.80"),
        "market_id": 1,
        "partition_date": DAY,
    }
    record.update(changes)
    return record


def size(**changes) -> dict:
    record = {
        "id": 5,
        "product_id": 1,
        "variant_id": 2,
        "description": "S",
        "size_number": "789S",
        "ean": "7350000000016",
        "sku": "Prod123Var456789S",
        "preorder": False,
        "is_active": True,
    }
    record.update(changes)
    return record


def stock_row(**changes) -> dict:
    record = {
        "warehouse_id": 1, "product_id": 1, "variant_id": 2, "size_id": 5,
        "sku": "Prod123Var456789S", "free_to_allocate": 18, "available": 27, "available_now": 17,
        "physical": 38, "demand": 1, "allocated": 20, "unshipped": 4, "on_delivery": 0,
        "incoming": 10, "linked_incoming": 2, "unlinked_incoming": 8,
    }  # fmt: skip
    record.update(changes)
    return record


def rejected(table: str, record: dict) -> list[tuple[str, str]]:
    result = ContractValidator(CONTRACTS[table]).validate([record])
    return [(rejection.column, rejection.rule) for rejection in result.rejections]


def test_the_digests_example_records_pass():
    assert rejected("orders", order()) == []
    assert rejected("product_sizes", size()) == []
    assert rejected("stock", stock_row()) == []


@pytest.mark.parametrize(
    ("table", "record", "column", "rule"),
    [
        ("product_sizes", size(sku=None), "sku", "not_null"),
        ("product_sizes", size(sku="Prod 123"), "sku", "sku_format"),
        ("product_sizes", size(ean="ABC-NOT-AN-EAN"), "ean", "gtin_check_digit"),
        ("product_sizes", size(ean="7350000000017"), "ean", "gtin_check_digit"),
        ("stock", stock_row(physical=-3), "physical", "integer_min_0"),
        ("stock", stock_row(free_to_allocate=-1), "free_to_allocate", "integer_min_0"),
        ("orders", order(currency="XXQ"), "currency", "iso4217_currency"),
        ("orders", order(status="HALF_SHIPPED"), "status", "order_status"),
        ("orders", order(currency="EUR"), "currency", "currency_matches_pricelist"),
        ("orders", order(updated_at="2026-13-45 25:61"), "updated_at", "utc_timestamp"),
        ("orders", order(updated_at=datetime(2026, 11, 2, 9)), "updated_at", "utc_timestamp"),
        ("orders", order(grand_total=Decimal("6137.37")), "grand_total", "totals_add_up"),
        ("orders", order(grand_total=6124.0), "grand_total", "decimal"),
        ("orders", order(order_id="not-a-hash"), "order_id", "order_id_format"),
        ("orders", order(customer_id=0), "customer_id", "positive_id"),
        ("orders", order(total_quantity="9"), "total_quantity", "integer"),
        ("orders", order(country_code="XX"), "country_code", "iso3166_country"),
    ],
)
def test_a_record_breaking_a_rule_is_rejected_with_that_rule(table, record, column, rule):
    assert (column, rule) in rejected(table, record)


@pytest.mark.parametrize(
    "offset",
    [timedelta(0), timedelta(hours=1), timedelta(hours=-5), timedelta(hours=5, minutes=30)],
)
def test_aware_timestamps_from_any_offset_pass(offset):
    placed = datetime(2026, 11, 2, 9, 30, tzinfo=timezone(offset))

    assert rejected("orders", order(order_date=placed, updated_at=placed)) == []


def test_nullable_integers_accept_none_and_reject_floats():
    """pandas turns [1, None] into floats; the contract sees the record's own values instead."""
    assert rejected("orders", order(customer_id=None)) == []
    assert ("customer_id", "positive_id") in rejected("orders", order(customer_id=12.0))


def test_totals_within_one_minor_unit_per_amount_pass():
    assert rejected("orders", order(grand_total=Decimal("6124.02"))) == []
    assert ("grand_total", "totals_add_up") in rejected(
        "orders", order(grand_total=Decimal("6124.03"))
    )


def test_a_repeated_key_in_a_later_batch_is_rejected_as_a_duplicate():
    validator = ContractValidator(CONTRACTS["product_sizes"])

    first = validator.validate([size()])
    second = validator.validate([size(description="M")])

    assert len(first.valid) == 1
    assert [(r.column, r.rule) for r in second.rejections] == [("id", "duplicate_key")]


def test_a_rejection_says_what_was_expected_and_what_was_found():
    result = ContractValidator(CONTRACTS["orders"]).validate([order(currency="XXQ")])

    rejection = next(r for r in result.rejections if r.rule == "iso4217_currency")
    assert rejection.offending_value == "XXQ"
    assert "one of" in rejection.expected
    assert result.valid == []


def line(**changes) -> dict:
    record = {
        "line_id": 7, "order_number": 39790, "product_id": 1, "variant_id": 2, "size_id": 5,
        "sku": "Prod123Var456789S", "product_number": "Prod123", "product_name": "Björk Ullkofta",
        "variant_name": "Grå", "size": "S", "quantity": 9, "cancelled_quantity": 1,
        "returned_quantity": 0, "tax_percent": Decimal("25"), "discount_percent": Decimal("0"),
        "unit_original_price": Decimal("675"), "unit_price": Decimal("675"),
        "line_value": Decimal("6075"), "line_value_ex_tax": Decimal("4860"), "currency": "SEK",
        "market_id": 1, "partition_date": DAY,
    }  # fmt: skip
    record.update(changes)
    return record


def payment(**changes) -> dict:
    record = {
        "payment_id": 11, "order_number": 39790, "created_at": PLACED, "status": "SUCCESS",
        "entry_type": "CAPTURE", "external_reference": "psp-881", "payment_method": "adyen",
        "amount": Decimal("6124.00"), "currency": "SEK", "currency_base_rate": Decimal("0.0871"),
        "market_id": 1, "partition_date": DAY,
    }  # fmt: skip
    record.update(changes)
    return record


def centra_return(**changes) -> dict:
    record = {
        "return_id": 3, "order_id": "1497ccf644db871e1e4026d101bde6f3", "order_number": 39790,
        "return_status": "PENDING", "created_at": PLACED, "total_quantity": 1,
        "returned_to_stock": True, "grand_total": Decimal("675"), "currency": "SEK",
        "currency_base_rate": Decimal("0.0871"), "market_id": 1, "partition_date": DAY,
    }  # fmt: skip
    record.update(changes)
    return record


def store(**changes) -> dict:
    record = {"id": 1, "name": "Retail", "type": "DIRECT_TO_CONSUMER"}
    record.update(changes)
    return record


def warehouse_row(**changes) -> dict:
    record = {
        "id": 1, "name": "Borås", "status": "ACTIVE", "stock_ownership": "OWN",
        "allocation_policy": "CHECK_FIRST", "stock_master": "CENTRA",
        "is_hidden_from_stock_view": False, "is_consignation": False, "threshold": 0,
        "country_code": "SE",
    }  # fmt: skip
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("table", "valid", "broken", "column", "rule"),
    [
        ("order_lines", line(), line(tax_percent=Decimal("250")), "tax_percent", "decimal_bounded"),
        ("order_lines", line(), line(quantity=-1), "quantity", "integer_min_0"),
        ("payments", payment(), payment(status="MAYBE"), "status", "payment_status"),
        ("payments", payment(), payment(entry_type="CHARGE"), "entry_type", "payment_entry_type"),
        ("returns", centra_return(), centra_return(return_status="OPEN"),
         "return_status", "return_status"),
        ("returns", centra_return(), centra_return(returned_to_stock="yes"),
         "returned_to_stock", "boolean"),
        ("returns", centra_return(), centra_return(partition_date=PLACED),
         "partition_date", "date"),
        ("stores", store(), store(type="OUTLET"), "type", "store_type"),
        ("stores", store(), store(name=42), "name", "text"),
        ("warehouses", warehouse_row(), warehouse_row(status="OPEN"), "status", "status"),
    ],
)  # fmt: skip
def test_each_rule_passes_a_good_record_and_rejects_a_broken_one(
    table, valid, broken, column, rule
):
    assert rejected(table, valid) == []
    assert (column, rule) in rejected(table, broken)


def test_every_raw_table_has_a_contract_with_described_columns():
    for name, contract in CONTRACTS.items():
        described = contract.describe()
        assert described, f"{name} has no columns"
        assert all(described.values()), f"{name} has a column without a description"


@pytest.mark.parametrize("share", [-0.1, 5])
def test_a_reject_share_outside_zero_to_one_is_refused(share):
    """5 meant as 5 % would otherwise never fail the check."""
    with pytest.raises(Exception, match="max_reject_share"):
        DataContracts(max_reject_share=share)
