"""Contracts for the records read from Centra, one per raw table.

Every column gets a type rule from its declaration (an id is a positive integer, money an exact
decimal, a timestamp carries its offset) and, where Centra defines one, a bound or a code list:
statuses within Centra's enums, ISO 4217 currencies, ISO 3166 countries, well-formed SKUs and
GTINs, stock quantities that cannot be negative, and order totals that add up.
"""

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd
import pandera.pandas as pa

from centra_pipelines.centra import tables
from centra_pipelines.centra.fields import RawTable
from centra_pipelines.contracts import rules
from centra_pipelines.contracts.validation import Contract

ORDER_STATUSES = {"PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "CANCELLED", "ARCHIVED"}
STATUSES = {"ACTIVE", "INACTIVE", "CANCELLED"}
PRODUCT_STATUSES = {"ACTIVE", "INACTIVE"}
RETURN_STATUSES = {"PENDING", "COMPLETED"}
PAYMENT_STATUSES = {"SUCCESS", "FAILED", "PENDING"}
PAYMENT_ENTRY_TYPES = {
    "AUTH", "CAPTURE", "CAPTURE_PENDING", "CAPTURE_FAILED", "CAPTURE_REQUEST", "REFUND",
    "REFUND_REQUEST", "REFUND_FAILED", "CANCEL", "CANCEL_REQUEST", "MARKED_AS_PAID",
    "MARKED_AS_UNPAID", "PREPAID", "AUTH_PENDING", "ADDITIONAL_ORDER_PAYMENT", "INVOICE", "OTHER",
    "AUTH_GIFT_CARD", "CAPTURE_GIFT_CARD", "CANCEL_GIFT_CARD", "REFUND_GIFT_CARD",
}  # fmt: skip
STORE_TYPES = {"DIRECT_TO_CONSUMER", "WHOLESALE"}

# Centra rounds every line and total to the currency's minor unit, so a document may be off by
# at most one minor unit per rounded amount; a cent per line plus one for the order's own amounts.
ROUNDING_PER_AMOUNT = Decimal("0.01")

ZERO = Decimal(0)
PERCENT = (ZERO, Decimal(100))

NON_NEGATIVE_STOCK = (
    "free_to_allocate", "physical", "allocated", "demand", "unshipped", "on_delivery",
    "incoming", "linked_incoming", "unlinked_incoming",
)  # fmt: skip

# Bounds and code lists beyond the type of each column: table -> column -> checks.
COLUMN_RULES: dict[str, dict[str, list[pa.Check]]] = {
    "stores": {"type": [rules.one_of(STORE_TYPES, name="store_type")]},
    "countries": {"code": [rules.country_code()]},
    "currencies": {"code": [rules.currency_code()]},
    "pricelists": {
        "currency": [rules.currency_code()],
        "status": [rules.one_of(STATUSES, name="status")],
    },
    "warehouses": {"status": [rules.one_of(STATUSES, name="status")]},
    "products": {"status": [rules.one_of(PRODUCT_STATUSES, name="product_status")]},
    "product_sizes": {"sku": [rules.sku()], "ean": [rules.gtin()]},
    "prices": {"currency": [rules.currency_code()], "price": [rules.decimal(minimum=ZERO)]},
    "stock": {column: [rules.integer(minimum=0)] for column in NON_NEGATIVE_STOCK},
    "customers": {"status": [rules.one_of(STATUSES, name="status")]},
    "customer_addresses": {"country_code": [rules.country_code()]},
    "orders": {
        "order_id": [rules.order_id()],
        "status": [rules.one_of(ORDER_STATUSES, name="order_status")],
        "currency": [rules.currency_code()],
        "pricelist_currency": [rules.currency_code()],
        "country_code": [rules.country_code()],
        "grand_total": [rules.decimal(minimum=ZERO)],
        "currency_base_rate": [rules.decimal(minimum=Decimal("0.00000001"))],
    },
    "order_lines": {
        "sku": [rules.sku()],
        "currency": [rules.currency_code()],
        "quantity": [rules.integer(minimum=0)],
        "cancelled_quantity": [rules.integer(minimum=0)],
        "returned_quantity": [rules.integer(minimum=0)],
        "tax_percent": [rules.decimal(*PERCENT)],
        "discount_percent": [rules.decimal(*PERCENT)],
    },
    "order_discounts": {"currency": [rules.currency_code()]},
    "payments": {
        "status": [rules.one_of(PAYMENT_STATUSES, name="payment_status")],
        "entry_type": [rules.one_of(PAYMENT_ENTRY_TYPES, name="payment_entry_type")],
        "currency": [rules.currency_code()],
    },
    "shipments": {"currency": [rules.currency_code()], "number_of_packages": [rules.integer(0)]},
    "returns": {
        "return_status": [rules.one_of(RETURN_STATUSES, name="return_status")],
        "currency": [rules.currency_code()],
    },
    "return_lines": {"quantity": [rules.integer(minimum=0)]},
}

# Columns that must hold a value beyond each table's key and partition columns.
REQUIRED: dict[str, set[str]] = {
    "product_sizes": {"sku"},
    "orders": {"order_id", "status", "currency", "order_date", "grand_total", "store_id"},
    "order_lines": {"order_number", "quantity", "line_value", "currency"},
    "payments": {"order_number", "entry_type", "status", "amount", "currency"},
    "stock": {"free_to_allocate", "physical"},
    "prices": {"price", "currency", "pricelist_id"},
    "returns": {"order_number", "return_status"},
}


def _type_rule(column: str, type_: str) -> list[pa.Check]:
    if type_ == "BIGINT":
        return (
            [rules.positive_id()] if column == "id" or column.endswith("_id") else [rules.integer()]
        )
    if type_ == "INTEGER":
        return [rules.integer()]
    if type_.startswith("DECIMAL"):
        return [rules.decimal()]
    if type_ == "TIMESTAMPTZ":
        return [rules.utc_timestamp()]
    if type_ == "DATE":
        return [rules.calendar_date()]
    if type_ == "BOOLEAN":
        return [rules.boolean()]
    if type_ == "VARCHAR":
        return [rules.text()]
    return []


def _column(table: RawTable, column: str, type_: str, description: str) -> pa.Column:
    spec = table.spec
    required = {*spec.key, *spec.partition_columns, *REQUIRED.get(table.name, set())}
    checks = _type_rule(column, type_) + COLUMN_RULES.get(table.name, {}).get(column, [])
    return pa.Column(None, checks=checks, nullable=column not in required, description=description)


def _order_totals_add_up(frame: pd.DataFrame) -> pd.Series:
    """Σ line values + shipping + handling − discounts = grand total, within the rounding."""

    def adds_up(order: pd.Series) -> bool:
        amounts = [order.grand_total, order.lines_total]
        if not all(isinstance(amount, Decimal) for amount in amounts):
            return True  # a missing or mistyped amount is already its own rejection
        extras = [
            value if isinstance(value, Decimal) else ZERO
            for value in (order.shipping, order.handling, order.discounts)
        ]
        expected = order.lines_total + extras[0] + extras[1] - extras[2]
        count = order.line_count if isinstance(order.line_count, int) else 0
        return abs(order.grand_total - expected) <= ROUNDING_PER_AMOUNT * (count + 1)

    return frame.apply(adds_up, axis=1).astype(bool)


def _currency_matches_pricelist(frame: pd.DataFrame) -> pd.Series:
    """An order is in its pricelist's currency, which is the currency of its market's countries."""
    known = frame["pricelist_currency"].notna()
    return ~known | (frame["currency"] == frame["pricelist_currency"])


RECORD_CHECKS: dict[str, list[tuple[pa.Check, str]]] = {
    "orders": [
        (
            pa.Check(
                _currency_matches_pricelist,
                name="currency_matches_pricelist",
                error="the currency of the order's pricelist (and so of its market)",
            ),
            "currency",
        ),
        (
            pa.Check(
                _order_totals_add_up,
                name="totals_add_up",
                error="a grand total equal to line values + shipping + handling - discounts, "
                "within one minor unit per amount",
            ),
            "grand_total",
        ),
    ],
}


def contract_for(table: RawTable) -> Contract:
    columns = {
        field.column: _column(table, field.column, field.type, field.description)
        for field in table.fields
    }
    record_checks = RECORD_CHECKS.get(table.name, [])
    schema = pa.DataFrameSchema(
        columns,
        checks=[check for check, _ in record_checks],
        name=table.name,
        description=table.spec.description,
        strict=True,
    )
    return Contract(
        name=table.name,
        schema=schema,
        key=table.spec.key,
        record_check_fields={check.name: field for check, field in record_checks},
    )


def _all_raw_tables() -> list[RawTable]:
    return [value for value in vars(tables).values() if isinstance(value, RawTable)]


CONTRACTS: Mapping[str, Contract] = {table.name: contract_for(table) for table in _all_raw_tables()}
