"""Conversions from Centra's wire values to the warehouse's exact types.

Money arrives as JSON floats (`MonetaryValue.value: Float!`). It is converted through its shortest
decimal representation, which is exactly what Centra formatted, and never through binary float
arithmetic. Datetimes arrive with an offset and are normalised to UTC.
"""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation


class ValueConversionError(ValueError):
    """A value from Centra could not be converted; the message names the field and the value."""


def to_decimal(value: float | int | str | None, *, field: str) -> Decimal | None:
    """Convert a money or rate value to Decimal without binary rounding error."""
    if value is None:
        return None

    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation as error:
        raise ValueConversionError(f"{field}: {value!r} is not a number") from error


def to_utc(value: str | None, *, field: str) -> datetime | None:
    """Parse a Centra datetime (`2022-06-23T15:47:12+02:00` or `...+0200`) into aware UTC."""
    if value is None or value == "":
        return None

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueConversionError(f"{field}: {value!r} is not an ISO 8601 datetime") from error

    if parsed.tzinfo is None:
        raise ValueConversionError(
            f"{field}: {value!r} has no UTC offset; Centra always sends one, so the value or the "
            "requested format is wrong"
        )
    return parsed.astimezone(UTC)
