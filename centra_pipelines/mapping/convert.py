"""Scalar conversions shared by the rule checks (defaults, constants) and the engine (records).

Each function either returns the converted value or raises ConversionError with a reason a person
can act on; none of them guesses. Numbers go through Decimal, never through binary floats.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from centra_pipelines.models.values import ValueConversionError, to_decimal

TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


class ConversionError(ValueError):
    """A value that cannot become the requested type; the message says why."""


def as_decimal(value: Any) -> Decimal:
    """An exact Decimal from an int, float (its shortest repr), Decimal or numeric text."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ConversionError(f"expected a number, got {type(value).__name__}")

    text = value.strip() if isinstance(value, str) else value
    try:
        number = to_decimal(text, field="value")
    except ValueConversionError as error:
        raise ConversionError(f"{value!r} is not a number") from error

    if number is None or not number.is_finite():
        raise ConversionError(f"{value!r} is not a finite number")
    return number


def as_integer(value: Any) -> int:
    """A whole number; 12.0 is accepted, 12.5 is refused rather than rounded."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value

    number = as_decimal(value)
    if number != number.to_integral_value():
        raise ConversionError(f"{value!r} is not a whole number")
    return int(number)


def as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value

    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConversionError(f"{value!r} is not a yes/no value (true/false, yes/no, 1/0)")


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        # Fixed-point text: str(Decimal("1E+3")) would reach the other system as "1E+3".
        return format(as_decimal(value), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise ConversionError(f"expected text, got {type(value).__name__}")


def lookup_keys(value: Any) -> list[str]:
    """The texts a value may be listed under in a value_map, most literal first.

    Tax percents arrive as floats (25.0) while a file naturally says "25"; both spellings match.
    """
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float | Decimal):
        literal = str(value)
        plain = format(as_decimal(value).normalize(), "f")
        return [literal] if plain == literal else [literal, plain]
    if isinstance(value, str):
        return [value]
    return []
