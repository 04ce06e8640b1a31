"""finance/price_comparison against the raw prices of a synced sandbox."""

from collections import defaultdict

import pytest

from centra_pipelines.finance.pricing import PRICE_COMPARISON_KEY, price_comparison
from centra_pipelines.finance.settings import PATH_VARIABLE
from centra_pipelines_tests.finance.derived_support import converted, copied, preview_of

COMPARISON_SQL = (
    "SELECT product_id, variant_id, pricelist_id, price_reporting, spread, stale_outlier, "
    "stale_sync FROM finance.price_comparison"
)


@pytest.fixture
def copy(synced_state, tmp_path):
    with copied(synced_state, tmp_path) as copy:
        yield copy


def _flags(copy) -> dict:
    return {tuple(row[:3]): (row[5], row[6]) for row in copy.warehouse.fetch(COMPARISON_SQL)}


def test_each_price_is_converted_at_its_rate_and_spread_across_pricelists(copy):
    result = copy.materialize([price_comparison])
    raw = copy.warehouse.fetch(
        "SELECT product_id, variant_id, pricelist_id, price, conversion_rate FROM centra_raw.prices"
    )
    expected = {tuple(row[:3]): converted(row[3], row[4]) for row in raw}
    by_variant = defaultdict(list)
    for (product_id, variant_id, _), price in expected.items():
        by_variant[(product_id, variant_id)].append(price)

    rows = copy.warehouse.fetch(COMPARISON_SQL)

    assert result.success
    assert {tuple(row[:3]): row[3] for row in rows} == expected
    for product_id, variant_id, _, _, spread, *_ in rows:
        prices = by_variant[(product_id, variant_id)]
        assert spread == max(prices) - min(prices)
    assert len({row[2] for row in rows}) >= 3, "several pricelists should be compared"
    assert "| product |" in preview_of(result, PRICE_COMPARISON_KEY)


def test_a_price_far_from_the_others_is_flagged_stale(copy):
    product_id, variant_id = copy.warehouse.fetch(
        "SELECT product_id, variant_id FROM centra_raw.prices ORDER BY ALL LIMIT 1"
    )[0]
    copy.execute(
        "UPDATE centra_raw.prices SET price = price * 2 "
        "WHERE product_id = ? AND variant_id = ? AND pricelist_id = 2",
        [product_id, variant_id],
    )

    assert copy.materialize([price_comparison]).success

    flagged = {key for key, (outlier, _) in _flags(copy).items() if outlier}
    assert flagged == {(product_id, variant_id, 2)}


def test_a_market_whose_prices_were_not_synced_again_is_flagged_stale(copy):
    copy.execute(
        "UPDATE centra_raw.prices SET _synced_at = _synced_at - INTERVAL 3 DAY "
        "WHERE pricelist_id = 3"
    )

    assert copy.materialize([price_comparison]).success

    stale = {key[2] for key, (_, synced_long_ago) in _flags(copy).items() if synced_long_ago}
    assert stale == {3}


def test_the_outlier_threshold_comes_from_the_finance_config(copy, tmp_path, monkeypatch):
    settings = tmp_path / "finance.yaml"
    settings.write_text("pricing:\n  outlier_percent: 0.5\n", encoding="utf-8")
    monkeypatch.setenv(PATH_VARIABLE, str(settings))

    assert copy.materialize([price_comparison]).success

    deviations = copy.warehouse.fetch(
        "SELECT count(*) FILTER (WHERE abs(deviation_percent) > 0.5), "
        "count(*) FILTER (WHERE stale_outlier) FROM finance.price_comparison"
    )[0]
    assert deviations[0] > 0, "the sandbox's pricelists should not all convert to one price"
    assert deviations[0] == deviations[1]
