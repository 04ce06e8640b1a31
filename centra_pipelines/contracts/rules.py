"""Element rules shared by the contracts: types, bounds and code lists.

Each rule is a named pandera check whose `error` text is what a person reads in a rejects table,
so it says what was expected rather than how it was tested. Rules check one value at a time: a
batch holds Python objects as built from the source (Decimal, aware datetime, int, str), and a
value of the wrong type must be reported against its own row, not crash a column conversion.
"""

import re
from datetime import date, datetime
from decimal import Decimal

import pandera.pandas as pa
import pycountry

CURRENCY_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)
COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
GTIN_LENGTHS = (8, 12, 13, 14)


def rule(name: str, error: str, test) -> pa.Check:
    """A per-value check that skips nulls (nullability is its own rule)."""
    return pa.Check(test, element_wise=True, ignore_na=True, name=name, error=error)


def integer(minimum: int | None = None) -> pa.Check:
    def test(value) -> bool:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        return is_int and (minimum is None or value >= minimum)

    bound = "" if minimum is None else f" of at least {minimum}"
    return rule(
        "integer" if minimum is None else f"integer_min_{minimum}", f"an integer{bound}", test
    )


def positive_id() -> pa.Check:
    return rule(
        "positive_id",
        "a positive integer id",
        lambda value: isinstance(value, int) and not isinstance(value, bool) and value > 0,
    )


def decimal(minimum: Decimal | None = None, maximum: Decimal | None = None) -> pa.Check:
    def test(value) -> bool:
        if not isinstance(value, Decimal) or not value.is_finite():
            return False
        return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)

    bounds = []
    if minimum is not None:
        bounds.append(f">= {minimum}")
    if maximum is not None:
        bounds.append(f"<= {maximum}")
    suffix = f" {' and '.join(bounds)}" if bounds else ""
    return rule("decimal" + ("_bounded" if bounds else ""), f"an exact decimal{suffix}", test)


def utc_timestamp() -> pa.Check:
    return rule(
        "utc_timestamp",
        "a timestamp with a UTC offset",
        lambda value: isinstance(value, datetime) and value.utcoffset() is not None,
    )


def calendar_date() -> pa.Check:
    return rule(
        "date",
        "a calendar date",
        lambda value: isinstance(value, date) and not isinstance(value, datetime),
    )


def boolean() -> pa.Check:
    return rule("boolean", "true or false", lambda value: isinstance(value, bool))


def text(max_length: int | None = None) -> pa.Check:
    def test(value) -> bool:
        return isinstance(value, str) and (max_length is None or len(value) <= max_length)

    return rule(
        "text", "text" + (f" of at most {max_length} characters" if max_length else ""), test
    )


def one_of(values: frozenset[str] | set[str], *, name: str) -> pa.Check:
    allowed = frozenset(values)
    listed = ", ".join(sorted(allowed)) if len(allowed) <= 25 else f"{len(allowed)} known codes"
    return rule(name, f"one of {listed}", lambda value: value in allowed)


def currency_code() -> pa.Check:
    return one_of(CURRENCY_CODES, name="iso4217_currency")


def country_code() -> pa.Check:
    return one_of(COUNTRY_CODES, name="iso3166_country")


def sku() -> pa.Check:
    return rule(
        "sku_format",
        "a SKU of letters, digits and . _ / - with no spaces",
        lambda value: isinstance(value, str) and bool(SKU_PATTERN.match(value)),
    )


def gtin() -> pa.Check:
    return rule(
        "gtin_check_digit",
        "an EAN/UPC/GTIN of 8, 12, 13 or 14 digits with a valid check digit",
        _valid_gtin,
    )


def _valid_gtin(value) -> bool:
    if not isinstance(value, str) or not value.isdigit() or len(value) not in GTIN_LENGTHS:
        return False

    digits = [int(character) for character in value]
    body, check = digits[:-1], digits[-1]
    # GS1: weights 3 and 1 alternate from the digit next to the check digit.
    total = sum(digit * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def order_id() -> pa.Check:
    return rule(
        "order_id_format",
        "a 32-character hexadecimal order id",
        lambda value: isinstance(value, str) and bool(re.fullmatch(r"[0-9a-f]{32}", value)),
    )
