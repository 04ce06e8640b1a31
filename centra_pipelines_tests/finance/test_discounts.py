"""finance/discounts_daily against the raw orders, discounts and lines of a synced sandbox."""

from collections import defaultdict
from decimal import Decimal

import pytest

from centra_pipelines.finance.discounts import (
    DISCOUNTS_DAILY_KEY,
    LINE_DISCOUNT,
    VOUCHER_CHECK,
    discounts_daily,
)
from centra_pipelines_tests.finance.derived_support import check_evaluation, copied, preview_of


@pytest.fixture(scope="module")
def built(synced_state, tmp_path_factory):
    with copied(synced_state, tmp_path_factory.mktemp("discounts")) as copy:
        result = copy.materialize_window([discounts_daily])
        assert result.success
        yield copy, result


def _stored_cost(warehouse, where: str) -> dict:
    rows = warehouse.fetch(
        "SELECT market_id, partition_date, sum(cost) FROM finance.discounts_daily "
        f"WHERE {where} GROUP BY ALL"
    )
    return {(market_id, day): cost for market_id, day, cost in rows}


def test_vouchers_cost_what_the_orders_were_discounted(built):
    copy, result = built
    expected = defaultdict(Decimal)
    for market_id, day, discounts in copy.warehouse.fetch(
        "SELECT market_id, partition_date, discounts FROM centra_raw.orders WHERE discounts <> 0"
    ):
        expected[(market_id, day)] += discounts

    assert len(expected) >= 3, "the sandbox should use vouchers on several days"
    assert _stored_cost(copy.warehouse, f"kind <> '{LINE_DISCOUNT}'") == dict(expected)
    assert check_evaluation(result, VOUCHER_CHECK).passed


def test_line_discounts_cost_the_original_price_less_the_price_paid(built):
    copy, _ = built
    expected = defaultdict(Decimal)
    for market_id, day, original, paid, quantity in copy.warehouse.fetch(
        "SELECT market_id, partition_date, unit_original_price, unit_price, quantity "
        "FROM centra_raw.order_lines"
    ):
        if original > paid:
            expected[(market_id, day)] += (original - paid) * quantity

    assert expected, "the sandbox should sell some lines below their original price"
    assert _stored_cost(copy.warehouse, f"kind = '{LINE_DISCOUNT}'") == dict(expected)


def test_revenue_without_a_discount_adds_its_cost_back(built):
    copy, result = built
    rows = copy.warehouse.fetch(
        "SELECT d.code, d.revenue_with, d.revenue_without, d.cost, "
        "(SELECT sum(o.grand_total) FROM centra_raw.orders o JOIN centra_raw.order_discounts x "
        "ON x.order_number = o.order_number WHERE x.code = d.code "
        "AND x.market_id = d.market_id AND x.partition_date = d.partition_date) "
        "FROM finance.discounts_daily d WHERE d.kind = 'voucher'"
    )

    assert rows
    for code, revenue_with, revenue_without, cost, grand_totals in rows:
        assert revenue_without == revenue_with + cost, code
        assert revenue_with == grand_totals, code
    assert "BLACKWEEK" in preview_of(result, DISCOUNTS_DAILY_KEY)


def test_the_check_fails_when_an_orders_discount_total_disagrees(synced_state, tmp_path):
    with copied(synced_state, tmp_path) as copy:
        copy.execute(
            "UPDATE centra_raw.orders SET discounts = discounts + 1 WHERE order_number = "
            "(SELECT min(order_number) FROM centra_raw.orders WHERE discounts <> 0)"
        )

        result = copy.materialize_window([discounts_daily])

    evaluation = check_evaluation(result, VOUCHER_CHECK)
    assert not evaluation.passed
    assert evaluation.metadata["mismatches"].value == 1
