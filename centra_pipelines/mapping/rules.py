"""What a mapping file may say, checked when the file loads so that a bad rule never meets a record.

The models are strict and refuse unknown keys: a misspelt `defualt:` would otherwise be ignored and
a value silently lost. Checks that involve more than one key (a unit on a text field, two fields
writing the same target) raise their error at the key to fix, so the loader can name its line.
"""

import re
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
import pydantic
import pydantic_core
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from centra_pipelines.mapping.convert import (
    ConversionError,
    as_boolean,
    as_decimal,
    as_integer,
    as_text,
)

Direction = Literal["to_system", "to_centra"]
FieldType = Literal["string", "integer", "decimal", "boolean", "date", "datetime"]
Unmapped = Literal["error", "keep", "default"]
Unit = Literal["g", "kg", "lb", "oz", "mm", "cm", "m", "in"]
Scalar = str | bool | int | float

NUMERIC_TYPES = ("integer", "decimal")
TIME_TYPES = ("date", "datetime")

# Exact definitions: the pound is 0.45359237 kg and the inch 25.4 mm by international agreement,
# so conversions between metric and imperial units stay exact decimals.
GRAMS_PER_UNIT = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}
MILLIMETRES_PER_UNIT = {
    "mm": Decimal(1),
    "cm": Decimal(10),
    "m": Decimal(1000),
    "in": Decimal("25.4"),
}

_PATH = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def fail_at(location: tuple[str | int, ...], reason: str, value: Any = None) -> None:
    """Raise a validation error at a key below the one being validated.

    pydantic places a validator's error at the model it checks; raising at the offending key
    instead lets the loader report that key's own line.
    """
    error = pydantic_core.PydanticCustomError("mapping_rule", "{reason}", {"reason": reason})
    line_error = {"type": error, "loc": location, "input": value}
    raise pydantic_core.ValidationError.from_exception_data("mapping rule", [line_error])


def _dotted_path(value: str) -> str:
    if not _PATH.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a dotted path; write keys separated by dots, such as "
            "customer.email or lines.0.taxPercent"
        )
    return value


def _system_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value!r} must be lower case letters, digits and _ (as the folder)")
    return value


def _exact_decimal(value: Any) -> Decimal:
    try:
        return as_decimal(value)
    except ConversionError as error:
        raise ValueError(str(error)) from error


def _currency_code(value: str) -> str:
    if pycountry.currencies.get(alpha_3=value) is None or value != value.upper():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code such as EUR or SEK")
    return value


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown timezone {value!r}; use an IANA name such as Europe/Stockholm"
        ) from error
    return value


RecordPath = Annotated[str, AfterValidator(_dotted_path)]
Name = Annotated[str, AfterValidator(_system_name)]
ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_decimal)]
CurrencyCode = Annotated[str, AfterValidator(_currency_code)]
ZoneName = Annotated[str, AfterValidator(_zone_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class UnitConversion(_Strict):
    """Multiply by an exact factor; `places` rounds half-up when the factor does not terminate."""

    from_unit: Unit = Field(alias="from")
    to_unit: Unit = Field(alias="to")
    places: int | None = Field(None, ge=0, le=12)

    @pydantic.model_validator(mode="after")
    def _same_dimension(self) -> "UnitConversion":
        if _table(self.from_unit) is not _table(self.to_unit):
            reason = f"cannot convert {self.from_unit} to {self.to_unit}: weight and length"
            fail_at(("to",), reason)
        return self

    def convert(self, value: Decimal) -> Decimal:
        table = _table(self.from_unit)
        return value * table[self.from_unit] / table[self.to_unit]


def _table(unit: str) -> dict[str, Decimal]:
    return GRAMS_PER_UNIT if unit in GRAMS_PER_UNIT else MILLIMETRES_PER_UNIT


class CurrencyConversion(_Strict):
    """Convert the field's amount into `to` with a rate read from the record or a fixed table."""

    to_currency: CurrencyCode = Field(alias="to")
    rate_source: RecordPath | None = None
    rates: dict[CurrencyCode, ExactDecimal] | None = None
    currency_source: RecordPath | None = None
    from_currency: CurrencyCode | None = Field(None, alias="from")
    places: int = Field(2, ge=0, le=8)
    rate_target: RecordPath | None = None

    @pydantic.model_validator(mode="after")
    def _one_rate(self) -> "CurrencyConversion":
        if (self.rate_source is None) == (self.rates is None):
            fail_at((), "give either rate_source (a path to the rate) or rates (a table), not both")
        if self.rates is not None:
            self._check_table(self.rates)
        elif self.currency_source is not None or self.from_currency is not None:
            fail_at(("rate_source",), "currency_source and from only select a row of rates")
        return self

    def _check_table(self, rates: dict[str, Decimal]) -> None:
        if (self.currency_source is None) == (self.from_currency is None):
            fail_at((), "with rates, give either currency_source (a path) or from (a fixed code)")
        for code, rate in rates.items():
            if rate <= 0:
                fail_at(("rates", code), f"the rate for {code} must be above zero", str(rate))


class FieldRule(_Strict):
    """One target value, read from a path in the record (or a constant) and converted."""

    target: RecordPath
    source: RecordPath | None = None
    constant: Scalar | None = None
    description: str | None = None
    required: bool = False
    default: Scalar | None = None
    type: FieldType | None = None
    value_map: dict[str, Scalar] | None = None
    unmapped: Unmapped = "error"
    date_format: str | None = None
    timezone: ZoneName | None = None
    unit: UnitConversion | None = None
    currency: CurrencyConversion | None = None
    strip: bool = False
    upper: bool = False
    lower: bool = False
    max_length: int | None = Field(None, ge=1)
    truncate: bool = False

    @pydantic.field_validator("value_map", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        # YAML reads `25:` as a number and `yes:` as a boolean; lookups compare text, so a key
        # left unquoted would silently never match.
        for key in value if isinstance(value, dict) else ():
            if not isinstance(key, str):
                fail_at((str(key),), f'value_map keys are text: quote {key!r} as "{key}"', key)
        return value

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> "FieldRule":
        self._check_origin()
        self._check_unmapped()
        self._check_numeric()
        self._check_time()
        self._check_text()
        self._check_literals()
        return self

    def _check_origin(self) -> None:
        if self.source is not None and self.constant is not None:
            fail_at(("constant",), "give either source or constant, not both", self.constant)
        if self.source is None and self.constant is None:
            fail_at((), f"{self.target}: needs a source (a dotted path) or a constant")
        if self.constant is not None and self.default is not None:
            fail_at(("default",), "a constant is always present, so its default is never used")

    def _check_unmapped(self) -> None:
        if self.unmapped != "error" and self.value_map is None:
            fail_at(("unmapped",), "unmapped only applies with a value_map", self.unmapped)
        if self.unmapped == "default" and self.default is None:
            fail_at(("unmapped",), "unmapped: default needs a default value", self.unmapped)

    def _check_numeric(self) -> None:
        for key in ("unit", "currency"):
            if getattr(self, key) is not None and self.type not in NUMERIC_TYPES:
                wanted = "type: decimal" if key == "currency" else "type: decimal or integer"
                fail_at((key,), f"{key} conversion needs {wanted} (type is {self.type})")
        if self.unit is not None and self.currency is not None:
            fail_at(("currency",), "use unit or currency on a field, not both")
        if self.currency is not None and self.type != "decimal":
            fail_at(("currency",), "currency conversion needs type: decimal; money is never int")

    def _check_time(self) -> None:
        for key in ("date_format", "timezone"):
            if getattr(self, key) is not None and self.type not in TIME_TYPES:
                fail_at((key,), f"{key} needs type: date or datetime (type is {self.type})")
        if self.date_format is not None and "%" not in self.date_format:
            fail_at(("date_format",), "date_format uses strftime codes such as %Y-%m-%d")

    def _check_text(self) -> None:
        for key in ("strip", "upper", "lower", "max_length"):
            if getattr(self, key) not in (False, None) and self.type != "string":
                fail_at((key,), f"{key} needs type: string (type is {self.type})")
        if self.upper and self.lower:
            fail_at(("lower",), "choose upper or lower, not both")
        if self.truncate and self.max_length is None:
            fail_at(("truncate",), "truncate needs a max_length")

    def _check_literals(self) -> None:
        # Defaults, constants and map results come from this file; a wrong one is a file error
        # now rather than a problem on every record later. Times depend on the direction and
        # are checked when they are used.
        literals = {"default": self.default, "constant": self.constant}
        literals |= {("value_map", key): value for key, value in (self.value_map or {}).items()}
        for key, value in literals.items():
            location = key if isinstance(key, tuple) else (key,)
            if value is not None and (reason := literal_problem(self.type, value)):
                fail_at(location, f"{value!r} cannot be a {self.type}: {reason}", value)


def literal_problem(field_type: str | None, value: Any) -> str | None:
    """Why a value from the file cannot become the field's type, or None if it can."""
    converters = {
        "string": as_text,
        "integer": as_integer,
        "decimal": as_decimal,
        "boolean": as_boolean,
    }
    convert = converters.get(field_type or "")
    if convert is None:
        return None
    try:
        convert(value)
    except ConversionError as error:
        return str(error)
    return None


class CustomAttributes(_Strict):
    """Carry a record's custom attributes to `target` exactly as they are."""

    source: RecordPath
    target: RecordPath


class Mapping(_Strict):
    """The rules for one system, entity and direction; see docs/mapping.md."""

    system: Name
    entity: Name
    direction: Direction
    description: str | None = None
    fields: list[FieldRule] = []
    custom_attributes: CustomAttributes | None = None
    passthrough: list[RecordPath] = []

    @pydantic.model_validator(mode="after")
    def _targets_distinct(self) -> "Mapping":
        if not self.fields and not self.passthrough and self.custom_attributes is None:
            fail_at((), "the mapping writes nothing; add fields, passthrough or custom_attributes")

        claimed: dict[str, str] = {}
        for location, target in self.targets():
            where = ".".join(str(part) for part in location)
            clash = _clash(claimed, target)
            if clash is not None:
                fail_at(location, f"target {target!r} is also written by {clash}", target)
            claimed[target] = where
        return self

    def targets(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every output path with the location of the key that writes it."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        for index, rule in enumerate(self.fields):
            found.append((("fields", index, "target"), rule.target))
            if rule.currency is not None and rule.currency.rate_target is not None:
                rate = ("fields", index, "currency", "rate_target")
                found.append((rate, rule.currency.rate_target))
        if self.custom_attributes is not None:
            found.append((("custom_attributes", "target"), self.custom_attributes.target))
        found.extend((("passthrough", index), path) for index, path in enumerate(self.passthrough))
        return found


def _clash(claimed: dict[str, str], target: str) -> str | None:
    # `price` and `price.value` cannot both be written: one would overwrite the other.
    for other, where in claimed.items():
        if other == target or target.startswith(f"{other}.") or other.startswith(f"{target}."):
            return f"{where} ({other!r})"
    return None
