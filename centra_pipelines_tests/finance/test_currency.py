"""Conversion into the reporting currency, on a small DuckDB database made by each test."""

from datetime import date
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from centra_pipelines.config.loader import ConfigFileError
from centra_pipelines.finance.currency import CurrencyError, convert_sql, resolve
from centra_pipelines.finance.rates import RatesFileError, finance_exchange_rates
from centra_pipelines.finance.settings import CurrencySettings, load_finance_config
from centra_pipelines.warehouse import DuckDBWarehouse

RATES = [
    ("2026-11-01", "EUR", "SEK", "11.49500000"),
    ("2026-11-03", "EUR", "SEK", "11.60000000"),
    ("2026-11-01", "NOK", "SEK", "0.98000000"),
]


@pytest.fixture
def database() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        "CREATE SCHEMA centra_raw; CREATE SCHEMA finance;"
        "CREATE TABLE centra_raw.currencies (id BIGINT, code VARCHAR, is_base BOOLEAN);"
        "INSERT INTO centra_raw.currencies VALUES (1, 'EUR', true), (2, 'SEK', false);"
        "CREATE TABLE finance.exchange_rates "
        "(day DATE, from_currency VARCHAR, to_currency VARCHAR, rate DECIMAL(18,8))"
    )
    return connection


def _add_rates(connection: duckdb.DuckDBPyConnection) -> None:
    connection.executemany("INSERT INTO finance.exchange_rates VALUES (?, ?, ?, ?)", RATES)


def _convert(connection, settings, amount, currency, document_rate, day) -> tuple:
    conversion = resolve(connection, settings)
    rate = conversion.rate_sql(currency="c", document_rate="r", day="d")
    return connection.execute(
        f"SELECT {conversion.columns_sql({'x': 'a'}, rate=rate)} FROM (SELECT "
        "?::DECIMAL(18,4) AS a, ?::VARCHAR AS c, ?::DECIMAL(18,8) AS r, ?::DATE AS d)",
        [amount, currency, document_rate, day],
    ).fetchone()


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        # 0.125 and 0.135 sit exactly half-way: half-even rounds to the even cent both ways.
        ("1.2500", "0.1", "0.1200"),
        ("1.3500", "0.1", "0.1400"),
        ("123.45", "0.087", "10.7400"),
        ("-123.45", "0.087", "-10.7400"),
    ],
)
def test_amounts_round_half_even_to_the_cent(amount, rate, expected):
    sql = convert_sql("?::DECIMAL(18,4)", "?::DECIMAL(18,8)")
    (converted,) = duckdb.execute(f"SELECT {sql}", [amount, rate]).fetchone()
    assert converted == Decimal(expected)


def test_document_rate_converts_into_the_base_currency(database):
    row = _convert(database, CurrencySettings(), "1000", "SEK", "0.087", "2026-11-02")
    assert row == (Decimal("87.0000"), "EUR", Decimal("0.08700000"), "document")


def test_the_reporting_currency_itself_converts_at_one(database):
    row = _convert(database, CurrencySettings(), "19.99", "EUR", "1", "2026-11-02")
    assert row == (Decimal("19.9900"), "EUR", Decimal("1"), "document")


def test_another_reporting_currency_needs_the_rates_table(database):
    with pytest.raises(CurrencyError, match="rates into SEK are needed"):
        resolve(database, CurrencySettings(reporting_currency="SEK"))


def test_another_reporting_currency_goes_through_the_base(database):
    _add_rates(database)
    settings = CurrencySettings(reporting_currency="sek")
    # 100 NOK -> 8.5 EUR at the order's rate -> 97.7075 SEK at the latest EUR->SEK rate.
    row = _convert(database, settings, "100", "NOK", "0.085", "2026-11-02")
    assert row == (Decimal("97.7100"), "SEK", Decimal("0.97707500"), "document+external")


def test_external_rates_use_the_latest_rate_no_older_than_allowed(database):
    _add_rates(database)
    settings = CurrencySettings(
        reporting_currency="SEK", rate_source="external", max_rate_age_days=2
    )
    on_the_day = _convert(database, settings, "10", "EUR", "1", "2026-11-03")
    day_after = _convert(database, settings, "10", "EUR", "1", "2026-11-04")
    too_old = _convert(database, settings, "10", "NOK", "1", "2026-11-04")

    assert on_the_day[:3] == (Decimal("116.0000"), "SEK", Decimal("11.6"))
    assert day_after[:3] == (Decimal("116.0000"), "SEK", Decimal("11.6"))
    assert too_old[0] is None and too_old[2] is None


def test_no_base_currency_is_a_clear_error(database):
    database.execute("UPDATE centra_raw.currencies SET is_base = false")
    with pytest.raises(CurrencyError, match="found none"):
        resolve(database, CurrencySettings())


def test_a_misspelt_setting_names_its_line(tmp_path):
    path = tmp_path / "finance.yaml"
    path.write_text("currency:\n  reporting_curency: SEK\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match=r"finance.yaml:2: currency.reporting_curency"):
        load_finance_config(path)


def test_the_shipped_settings_load():
    config = load_finance_config()
    assert config.currency.reporting_currency == "base"
    assert config.sales.reconciliation == "blocking"


def _materialize_rates(tmp_path, monkeypatch, rates_csv: str) -> DuckDBWarehouse:
    settings = tmp_path / "finance.yaml"
    settings.write_text(f"currency:\n  rates_csv: {rates_csv}\n", encoding="utf-8")
    monkeypatch.setenv("CENTRA_FINANCE_CONFIG", str(settings))
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    dg.materialize([finance_exchange_rates], resources={"warehouse": warehouse})
    return warehouse


def test_the_rates_csv_becomes_the_rates_table(tmp_path, monkeypatch):
    csv = tmp_path / "rates.csv"
    lines = ["day,from_currency,to_currency,rate", *(",".join(rate) for rate in RATES)]
    csv.write_text("\n".join(lines).replace("EUR,SEK", "eur, sek") + "\n", encoding="utf-8")

    warehouse = _materialize_rates(tmp_path, monkeypatch, str(csv))

    stored = warehouse.fetch("SELECT * EXCLUDE (_run_id, _synced_at) FROM finance.exchange_rates")
    warehouse.close()
    expected = [(date.fromisoformat(d), f, t, Decimal(r)) for d, f, t, r in RATES]
    assert sorted(stored) == sorted(expected)


def test_a_missing_rates_csv_fails_naming_it(tmp_path, monkeypatch):
    with pytest.raises(RatesFileError, match="nowhere.csv does not exist"):
        _materialize_rates(tmp_path, monkeypatch, str(tmp_path / "nowhere.csv"))
