"""Wire values from Centra become exact decimals and aware UTC datetimes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from centra_pipelines.models.values import ValueConversionError, to_decimal, to_utc


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (6075.0, Decimal("6075.0")),
        (0.1, Decimal("0.1")),
        (675, Decimal("675")),
        (1234.56, Decimal("1234.56")),
        (0.30000000000000004, Decimal("0.30000000000000004")),
        ("41.00", Decimal("41.00")),
        (None, None),
    ],
)
def test_money_converts_through_its_shortest_decimal_form(wire, expected):
    """MonetaryValue.value is a JSON float; Decimal(float) would carry binary noise into sums."""
    assert to_decimal(wire, field="value") == expected


def test_a_non_number_names_the_field():
    with pytest.raises(ValueConversionError, match="grandTotal"):
        to_decimal("12,50", field="grandTotal")


@pytest.mark.parametrize(
    "wire",
    [
        "2022-06-23T15:47:12+02:00",  # Centra's default output format
        "2022-06-23T15:47:12+0200",  # format "Y-m-d\\TH:i:sO"
        "2022-06-23T13:47:12+00:00",
        "2022-06-23T09:47:12-04:00",
        "2022-06-23T13:47:12Z",
    ],
)
def test_datetimes_from_any_offset_become_the_same_utc_instant(wire):
    assert to_utc(wire, field="createdAt") == datetime(2022, 6, 23, 13, 47, 12, tzinfo=UTC)


def test_a_datetime_without_offset_is_refused():
    """A naive time from Centra means the request asked for a format without the offset."""
    with pytest.raises(ValueConversionError, match="no UTC offset"):
        to_utc("2022-06-23 15:47:12", field="createdAt")
