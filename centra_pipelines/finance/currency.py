"""Conversion of document amounts into the reporting currency, as SQL run inside DuckDB.

Every converted amount is `ROUND_EVEN(amount * rate, 2)` stored as DECIMAL(18,4), with the
reporting currency, the rate and where the rate came from stored beside it. Rounding happens per
document (per order, payment or price), never on a sum: Centra rounds each document to its
currency's minor unit (two decimals for every currency the shop sells in), so a converted figure
is a sum of converted documents and reconciles to the cent with the documents it came from.
Half-even rounding keeps the sum of many conversions free of the upward drift half-up gives.

`currency_base_rate` on an order or payment (and `conversion_rate` on a price) converts into
Centra's base currency: base amount = amount x rate. A reporting currency other than the base
needs the external rates table for the base -> reporting step; without it `resolve` fails.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from centra_pipelines.finance.settings import BASE, CurrencySettings

RATES_TABLE = "finance.exchange_rates"
AMOUNT_TYPE = "DECIMAL(18,4)"
RATE_TYPE = "DECIMAL(18,8)"
# Documents carry two decimals; rounding a conversion to them keeps it a payable amount.
DECIMALS = 2


class CurrencyError(ValueError):
    """Amounts cannot be converted as configured; the message says what to change."""


@dataclass(frozen=True)
class Conversion:
    """How amounts become reporting-currency amounts, resolved against the warehouse."""

    reporting_currency: str
    base_currency: str
    rate_source: str
    max_rate_age_days: int

    def rate_sql(self, *, currency: str, document_rate: str, day: str) -> str:
        """A SQL expression for the rate of one row, as DECIMAL(18,8); NULL when unknown.

        Args:
            currency: SQL expression of the document's currency code.
            document_rate: SQL expression of the rate to the base currency Centra recorded.
            day: SQL expression of the DATE whose external rate applies.
        """
        reporting = _literal(self.reporting_currency)
        if self.rate_source == "external":
            rate = self._external_rate(currency, reporting, day)
        elif self.reporting_currency == self.base_currency:
            rate = document_rate
        else:
            base = _literal(self.base_currency)
            rate = f"({document_rate}) * {self._external_rate(base, reporting, day)}"
        return f"(CASE WHEN ({currency}) = {reporting} THEN 1 ELSE {rate} END)::{RATE_TYPE}"

    def columns_sql(self, amounts: Mapping[str, str], *, rate: str) -> str:
        """SELECT-list items: each converted amount, then reporting_currency, rate, rate_source.

        Args:
            amounts: output column name -> SQL expression of the amount in document currency.
            rate: SQL expression (usually a column computed with `rate_sql`) of the row's rate.
        """
        converted = [f"{convert_sql(amount, rate)} AS {name}" for name, amount in amounts.items()]
        return ",\n".join(
            [
                *converted,
                f"{_literal(self.reporting_currency)} AS reporting_currency",
                f"{rate} AS rate",
                f"{_literal(self.rate_source_label)} AS rate_source",
            ]
        )

    @property
    def rate_source_label(self) -> str:
        """What `rate_source` says beside every converted amount."""
        if self.rate_source == "external":
            return "external"
        if self.reporting_currency == self.base_currency:
            return "document"
        return "document+external"

    def _external_rate(self, from_currency: str, to_currency: str, day: str) -> str:
        # The latest rate on or before the day: rates tables skip weekends and holidays.
        return (
            f"(SELECT r.rate FROM {RATES_TABLE} r"
            f" WHERE r.from_currency = ({from_currency}) AND r.to_currency = {to_currency}"
            f" AND r.day <= ({day}) AND r.day >= ({day}) - {self.max_rate_age_days}"
            " ORDER BY r.day DESC LIMIT 1)"
        )


def convert_sql(amount: str, rate: str) -> str:
    """SQL converting one amount with one rate: half-even to the cent, as DECIMAL(18,4)."""
    return f"ROUND_EVEN(({amount}) * ({rate}), {DECIMALS})::{AMOUNT_TYPE}"


def resolve(connection: duckdb.DuckDBPyConnection, settings: CurrencySettings) -> Conversion:
    """The conversion the settings ask for, or CurrencyError saying why it cannot be done.

    Reads the base currency from centra_raw.currencies and, when external rates are needed,
    checks that finance.exchange_rates holds some for the reporting currency.
    """
    base = _base_currency(connection)
    reporting = base if settings.reporting_currency == BASE else settings.reporting_currency
    conversion = Conversion(reporting, base, settings.rate_source, settings.max_rate_age_days)
    if conversion.rate_source_label != "document":
        _require_external_rates(connection, reporting, base, settings.rate_source)
    return conversion


def _base_currency(connection: duckdb.DuckDBPyConnection) -> str:
    try:
        rows = connection.execute(
            "SELECT code FROM centra_raw.currencies WHERE is_base ORDER BY code"
        ).fetchall()
    except duckdb.CatalogException as error:
        raise CurrencyError(
            "centra_raw.currencies is missing: sync the Centra reference data first"
        ) from error
    if len(rows) != 1:
        found = ", ".join(code for (code,) in rows) or "none"
        raise CurrencyError(
            f"expected one base currency in centra_raw.currencies, found {found}: "
            "resync the Centra reference data"
        )
    return rows[0][0]


def _require_external_rates(
    connection: duckdb.DuckDBPyConnection, reporting: str, base: str, source: str
) -> None:
    why = (
        "rate_source is external"
        if source == "external"
        else f"the reporting currency {reporting} is not Centra's base currency {base}"
    )
    try:
        (count,) = connection.execute(
            f"SELECT count(*) FROM {RATES_TABLE} WHERE to_currency = ?", [reporting]
        ).fetchone()
    except duckdb.CatalogException:
        count = 0
    if count == 0:
        raise CurrencyError(
            f"{why}, so rates into {reporting} are needed, but {RATES_TABLE} has none: set "
            "currency.rates_csv in finance.yaml and materialize finance/exchange_rates, or set "
            "reporting_currency: base and rate_source: document"
        )


def missing_rates_sql(rows_sql: str) -> str:
    """SQL listing (currency, day) pairs of `rows_sql` (columns currency, rate, day) without a rate.

    A NULL rate would silently drop an amount from every converted sum; callers fail instead.
    """
    return (
        f"SELECT DISTINCT currency, day FROM ({rows_sql}) WHERE rate IS NULL "
        "ORDER BY currency, day LIMIT 20"
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


__all__ = [
    "AMOUNT_TYPE",
    "RATES_TABLE",
    "RATE_TYPE",
    "Conversion",
    "CurrencyError",
    "convert_sql",
    "missing_rates_sql",
    "resolve",
]
