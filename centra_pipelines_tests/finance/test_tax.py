"""finance/tax_daily and finance/oss_report against the raw order lines of a synced sandbox.

Expected figures are recomputed in Python from the raw rows, never with the assets' SQL.
"""

from collections import defaultdict
from decimal import Decimal

import pytest

from centra_pipelines.finance.rates import finance_exchange_rates
from centra_pipelines.finance.settings import PATH_VARIABLE
from centra_pipelines.finance.tax import (
    TAX_CHECK,
    TAX_DAILY_KEY,
    check_tax_against_lines,
    oss_report,
    tax_daily,
)
from centra_pipelines.models.partitions import parse_market_day
from centra_pipelines_tests.finance.derived_support import (
    check_evaluation,
    converted,
    copied,
    preview_of,
)

LINES_SQL = (
    "SELECT l.market_id, l.partition_date, o.country_code, l.tax_percent, l.line_value, "
    "l.line_value_ex_tax, o.currency_base_rate FROM centra_raw.order_lines l "
    "JOIN centra_raw.orders o ON o.order_number = l.order_number"
)


@pytest.fixture(scope="module")
def built(synced_state, tmp_path_factory):
    """The synced copy with tax_daily rebuilt over the window and the OSS report after it."""
    with copied(synced_state, tmp_path_factory.mktemp("tax")) as copy:
        daily = copy.materialize_window([tax_daily])
        report = copy.materialize([oss_report])
        assert daily.success and report.success
        yield copy, daily, report


def _line_taxes(warehouse) -> tuple[dict, dict]:
    """Per (market, day, country, rate): the line taxes, and their converted sum."""
    tax, tax_reporting = defaultdict(Decimal), defaultdict(Decimal)
    for market_id, day, country, rate, value, ex_tax, currency_rate in warehouse.fetch(LINES_SQL):
        key = (market_id, day, country, rate)
        tax[key] += value - ex_tax
        tax_reporting[key] += converted(value - ex_tax, currency_rate)
    return dict(tax), dict(tax_reporting)


def _stored(warehouse, column: str) -> dict:
    rows = warehouse.fetch(
        f"SELECT market_id, partition_date, country_code, tax_percent, sum({column}) "
        "FROM finance.tax_daily GROUP BY ALL"
    )
    return {tuple(row[:4]): row[4] for row in rows}


def test_tax_per_country_and_rate_equals_the_sum_of_the_line_taxes(built):
    copy, daily, _ = built
    expected, _ = _line_taxes(copy.warehouse)

    assert len({key[2] for key in expected}) >= 4, "the sandbox should sell to several countries"
    assert len({key[3] for key in expected}) >= 3, "and at several tax rates"
    assert _stored(copy.warehouse, "tax") == expected
    assert check_evaluation(daily, TAX_CHECK).passed


def test_tax_in_the_reporting_currency_is_each_line_converted_at_its_orders_rate(built):
    copy, _, _ = built
    _, expected = _line_taxes(copy.warehouse)

    assert _stored(copy.warehouse, "tax_reporting") == expected
    currencies = copy.warehouse.fetch("SELECT DISTINCT currency FROM finance.tax_daily")
    assert len(currencies) >= 3, "conversion should be exercised by several currencies"


def test_tax_included_and_tax_added_pricing_are_told_apart(built):
    copy, _, _ = built
    mismatched = copy.warehouse.fetch(
        "SELECT t.market_id, t.partition_date, t.country_code FROM finance.tax_daily t "
        "WHERE t.pricing <> 'tax_included' AND NOT EXISTS (SELECT 1 FROM centra_raw.orders o "
        "WHERE o.market_id = t.market_id AND o.partition_date = t.partition_date "
        "AND o.tax_added > 0)"
    )
    wrong_base = copy.warehouse.fetch(
        "SELECT count(*) FROM finance.tax_daily WHERE gross <> taxable_base + tax"
    )

    assert mismatched == []
    assert wrong_base == [(0,)]


def test_the_check_fails_when_a_stored_tax_is_off_by_a_cent(synced_state, tmp_path):
    with copied(synced_state, tmp_path) as copy:
        assert copy.materialize_window([tax_daily]).success
        market_id, day = copy.warehouse.fetch(
            "SELECT market_id, partition_date FROM finance.tax_daily ORDER BY ALL LIMIT 1"
        )[0]
        copy.execute(
            "UPDATE finance.tax_daily SET tax = tax + 0.01 "
            "WHERE market_id = ? AND partition_date = ?",
            [market_id, day],
        )
        market_days = [parse_market_day(key) for key in copy.window_keys()]

        result = check_tax_against_lines(copy.warehouse, market_days)

    assert not result.passed
    assert result.metadata["mismatches"].value >= 1


def test_oss_report_files_eu_destinations_only_with_the_daily_figures(built):
    copy, _, report = built
    rows = copy.warehouse.fetch(
        "SELECT country_code, tax_percent, taxable_base, tax FROM finance.oss_report"
    )
    expected = copy.warehouse.fetch(
        "SELECT t.country_code, t.tax_percent, sum(t.taxable_base_reporting), "
        "sum(t.tax_reporting) FROM finance.tax_daily t JOIN centra_raw.countries c "
        "ON c.code = t.country_code WHERE c.is_eu GROUP BY ALL"
    )
    non_eu = copy.warehouse.fetch("SELECT code FROM centra_raw.countries WHERE NOT is_eu")

    assert sorted(rows) == sorted(expected)
    assert {country for country, *_ in rows}.isdisjoint({code for (code,) in non_eu})
    assert "| DE |" in preview_of(report, oss_report.key) or "| SE |" in preview_of(
        report, oss_report.key
    )


def test_a_rerun_replaces_the_days_and_shows_them_in_the_ui(built):
    copy, _, _ = built
    before = copy.warehouse.fetch("SELECT count(*), sum(tax) FROM finance.tax_daily")

    again = copy.materialize_window([tax_daily])

    assert again.success
    assert copy.warehouse.fetch("SELECT count(*), sum(tax) FROM finance.tax_daily") == before
    assert preview_of(again, TAX_DAILY_KEY).startswith("| country |")


def _report_in_sek(folder, monkeypatch, rates: str) -> None:
    (folder / "rates.csv").write_text("day,from_currency,to_currency,rate\n" + rates)
    settings = folder / "finance.yaml"
    settings.write_text(
        f"currency:\n  reporting_currency: SEK\n  rates_csv: {folder / 'rates.csv'}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(PATH_VARIABLE, str(settings))


def test_a_reporting_currency_beside_the_base_chains_the_external_rate(
    synced_state, tmp_path, monkeypatch
):
    _report_in_sek(tmp_path, monkeypatch, "2026-10-30,EUR,SEK,11.5\n")
    with copied(synced_state, tmp_path / "copy") as copy:
        assert copy.materialize([finance_exchange_rates]).success
        result = copy.materialize_window([tax_daily])
        rows = copy.warehouse.fetch(
            "SELECT currency, rate, rate_source, sum(tax), sum(tax_reporting) "
            "FROM finance.tax_daily GROUP BY ALL"
        )
        lines = copy.warehouse.fetch(
            "SELECT o.currency, l.line_value - l.line_value_ex_tax, o.currency_base_rate "
            "FROM centra_raw.order_lines l JOIN centra_raw.orders o USING (order_number)"
        )

    expected = defaultdict(Decimal)
    for currency, tax, base_rate in lines:
        rate = Decimal(1) if currency == "SEK" else base_rate * Decimal("11.5")
        expected[currency] += converted(tax, rate)
    assert result.success
    assert {currency: reporting for currency, _, _, _, reporting in rows} == dict(expected)
    assert {source for _, _, source, _, _ in rows} == {"document+external"}


def test_a_missing_external_rate_stops_the_run_naming_currency_and_day(
    synced_state, tmp_path, monkeypatch
):
    # A rate dated after the window covers none of its days.
    _report_in_sek(tmp_path, monkeypatch, "2026-12-20,EUR,SEK,11.5\n")
    with copied(synced_state, tmp_path / "copy") as copy:
        assert copy.materialize([finance_exchange_rates]).success
        result = copy.materialize_window([tax_daily])

    failure = next(event for event in result.all_events if event.is_step_failure)
    message = failure.step_failure_data.error.message
    assert not result.success
    assert "no exchange rate for order lines" in message
    assert "EUR on 2026-11-01" in message
