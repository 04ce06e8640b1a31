"""Apply a mapping to records: each value arrives converted or is reported, never dropped.

The engine decides nothing about a record with problems. It returns what it could map together
with one MappingProblem per value it could not, and the caller quarantines or rejects the record.
"""

import copy
from collections import abc
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal
from zoneinfo import ZoneInfo

from centra_pipelines.mapping.convert import (
    ConversionError,
    as_boolean,
    as_decimal,
    as_text,
    lookup_keys,
)
from centra_pipelines.mapping.rules import (
    NUMERIC_TYPES,
    CurrencyConversion,
    CustomAttributes,
    FieldRule,
    Mapping,
)

ProblemKind = Literal[
    "missing", "unmapped", "unparsable", "too_long", "no_timezone", "no_rate", "bad_shape"
]
Record = abc.Mapping[str, Any]
Produced = list[tuple[str, Any]]

_MISSING = object()


@dataclass(frozen=True)
class MappingProblem:
    """A value the mapping could not deliver: which target, why, and the value as it came in."""

    field: str
    reason: str
    value: Any = None
    kind: ProblemKind = "unparsable"


@dataclass
class MappedRecord:
    """The mapped values (nested where targets are dotted) and the problems met on the way."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[MappingProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Refused(Exception):
    def __init__(self, kind: ProblemKind, reason: str, value: Any) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.value = value


def apply(mapping: Mapping, record: Record) -> MappedRecord:
    """Map one record.

    Args:
        mapping: rules loaded with `load_mapping` or `load_mappings`.
        record: the input record, as parsed from JSON, a CSV row or a GraphQL response.

    Returns:
        The mapped values and one problem per value that could not be mapped.
    """
    result = MappedRecord()
    for rule in mapping.fields:
        _collect(result, rule.target, lambda rule=rule: _map_field(rule, mapping.direction, record))

    attributes = mapping.custom_attributes
    if attributes is not None:
        _collect(result, attributes.target, lambda: _carry_attributes(attributes, record))

    for path in mapping.passthrough:
        _collect(result, path, lambda path=path: _pass_through(path, record))
    return result


def apply_many(mapping: Mapping, records: abc.Iterable[Record]) -> abc.Iterator[MappedRecord]:
    """Map records one at a time, so a large file never sits in memory twice."""
    for record in records:
        yield apply(mapping, record)


def _collect(result: MappedRecord, name: str, produce: abc.Callable[[], Produced]) -> None:
    try:
        produced = produce()
    except _Refused as refusal:
        problem = MappingProblem(name, refusal.reason, refusal.value, refusal.kind)
        result.problems.append(problem)
        return

    for target, value in produced:
        _put(result.values, target, value)


def _put(values: dict[str, Any], target: str, value: Any) -> None:
    *parents, leaf = target.split(".")
    for key in parents:
        values = values.setdefault(key, {})
    values[leaf] = value


def read_path(record: Any, path: str) -> Any:
    """The value at a dotted path, or _MISSING when a key along it is absent or null."""
    current = record
    walked: list[str] = []
    for key in path.split("."):
        if isinstance(current, abc.Mapping):
            current = current.get(key, _MISSING)
        elif isinstance(current, list) and key.isdigit():
            current = current[int(key)] if int(key) < len(current) else _MISSING
        else:
            where = ".".join(walked)
            reason = f"{where} is a {type(current).__name__}, not an object holding {key!r}"
            raise _Refused("bad_shape", reason, current)

        # A null parent (an order without a customer) means the value is absent, not malformed.
        if current is _MISSING or current is None:
            return _MISSING
        walked.append(key)
    return current


def _map_field(rule: FieldRule, direction: str, record: Record) -> Produced:
    raw = rule.constant if rule.source is None else read_path(record, rule.source)
    if _is_missing(rule, raw):
        return _absent(rule, direction, record)

    try:
        return _converted(rule, direction, _translate(rule, raw), record)
    except ConversionError as error:
        raise _Refused("unparsable", str(error), raw) from error


def _is_missing(rule: FieldRule, raw: Any) -> bool:
    # Text files write an absent number or date as an empty cell; empty text stays text.
    blank = isinstance(raw, str) and not raw.strip() and rule.type not in (None, "string")
    return raw is _MISSING or blank


def _absent(rule: FieldRule, direction: str, record: Record) -> Produced:
    if rule.default is not None:
        try:
            return _converted(rule, direction, rule.default, record)
        except ConversionError as error:
            raise _Refused("unparsable", f"the default: {error}", rule.default) from error
    if rule.required:
        raise _Refused("missing", f"required, but {rule.source} is absent or empty", None)
    return []


def _translate(rule: FieldRule, raw: Any) -> Any:
    if rule.value_map is None:
        return raw

    for key in lookup_keys(raw):
        if key in rule.value_map:
            return rule.value_map[key]
    if rule.unmapped == "keep":
        return raw
    if rule.unmapped == "default":
        return rule.default
    raise _Refused("unmapped", f"{raw!r} is not in the value_map; add it there", raw)


def _converted(rule: FieldRule, direction: str, value: Any, record: Record) -> Produced:
    if rule.type in NUMERIC_TYPES:
        return _number(rule, value, record)
    if rule.type == "string":
        return [(rule.target, _text(rule, value))]
    if rule.type == "boolean":
        return [(rule.target, as_boolean(value))]
    if rule.type == "datetime":
        return [(rule.target, _datetime(rule, direction, value))]
    if rule.type == "date":
        return [(rule.target, _date(rule, direction, value))]
    return [(rule.target, copy.deepcopy(value))]


def _number(rule: FieldRule, value: Any, record: Record) -> Produced:
    number = as_decimal(value)
    if rule.unit is not None:
        number = _rounded(rule.unit.convert(number), rule.unit.places)

    produced: Produced = []
    if rule.currency is not None:
        number, rate = _exchange(rule.currency, number, record)
        if rule.currency.rate_target is not None:
            produced.append((rule.currency.rate_target, rate))

    if rule.type == "integer":
        if number != number.to_integral_value():
            raise _Refused("unparsable", _not_whole(rule, value, number), value)
        return [(rule.target, int(number)), *produced]
    return [(rule.target, number), *produced]


def _not_whole(rule: FieldRule, value: Any, number: Decimal) -> str:
    if rule.unit is None:
        return f"{value!r} is not a whole number"
    converted = f"{value} {rule.unit.from_unit} is {number} {rule.unit.to_unit}"
    return f"{converted}, not a whole number; round it with unit.places: 0"


def _rounded(number: Decimal, places: int | None) -> Decimal:
    if places is None:
        return number
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _exchange(
    conversion: CurrencyConversion, amount: Decimal, record: Record
) -> tuple[Decimal, Decimal]:
    rate = _rate(conversion, record)

    # Wide enough that the product is exact before the single rounding to `places`.
    with localcontext() as context:
        context.prec = 60
        converted = amount * rate
    return _rounded(converted, conversion.places), rate


def _rate(conversion: CurrencyConversion, record: Record) -> Decimal:
    if conversion.rate_source is not None:
        raw = read_path(record, conversion.rate_source)
        if raw is _MISSING:
            raise _Refused("no_rate", f"no rate at {conversion.rate_source}", None)
        rate = as_decimal(raw)
        if rate <= 0:
            raise _Refused("no_rate", f"the rate at {conversion.rate_source} is not positive", raw)
        return rate

    currency = conversion.from_currency or read_path(record, conversion.currency_source or "")
    if currency == conversion.to_currency:
        return Decimal(1)
    if not isinstance(currency, str) or currency not in (conversion.rates or {}):
        shown = None if currency is _MISSING else currency
        raise _Refused("no_rate", f"no rate for {shown!r} to {conversion.to_currency}", shown)
    return (conversion.rates or {})[currency]


def _text(rule: FieldRule, value: Any) -> str:
    text = as_text(value)
    if rule.strip:
        text = text.strip()
    if rule.upper:
        text = text.upper()
    if rule.lower:
        text = text.lower()

    if rule.max_length is not None and len(text) > rule.max_length:
        if not rule.truncate:
            reason = f"{len(text)} characters; the limit is {rule.max_length}"
            raise _Refused("too_long", reason, value)
        text = text[: rule.max_length]
    return text


def _datetime(rule: FieldRule, direction: str, value: Any) -> datetime | str:
    moment = _aware(rule, _parse_moment(rule, direction, value), value)
    if direction == "to_centra":
        return moment.astimezone(UTC)

    local = moment.astimezone(ZoneInfo(rule.timezone)) if rule.timezone else moment
    return local.strftime(rule.date_format) if rule.date_format else local


def _date(rule: FieldRule, direction: str, value: Any) -> date | str:
    day = _parse_day(rule, direction, value)
    if direction == "to_system" and rule.date_format:
        return day.strftime(rule.date_format)
    return day


def _parse_day(rule: FieldRule, direction: str, value: Any) -> date:
    if direction == "to_centra" and rule.date_format and isinstance(value, str):
        return _strptime(value, rule.date_format).date()

    # A moment becomes the calendar day in the other system's zone: an order placed at 23:30 UTC
    # belongs to the next day in Stockholm.
    if isinstance(value, datetime) or (isinstance(value, str) and len(value.strip()) > 10):
        moment = _aware(rule, _parse_moment(rule, direction, value), value)
        return (moment.astimezone(ZoneInfo(rule.timezone)) if rule.timezone else moment).date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ConversionError(f"expected a date, got {type(value).__name__}")

    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise ConversionError(f"{value!r} is not an ISO date such as 2024-03-31") from error


def _parse_moment(rule: FieldRule, direction: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ConversionError(f"expected a datetime, got {type(value).__name__}")

    if direction == "to_centra" and rule.date_format:
        return _strptime(value, rule.date_format)
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise ConversionError(f"{value!r} is not an ISO 8601 datetime") from error


def _strptime(value: str, date_format: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), date_format)
    except ValueError as error:
        raise ConversionError(f"{value!r} does not match the date_format {date_format}") from error


def _aware(rule: FieldRule, moment: datetime, value: Any) -> datetime:
    if moment.tzinfo is not None:
        return moment
    if rule.timezone is None:
        reason = "has no UTC offset; set timezone to the zone the system writes its times in"
        raise _Refused("no_timezone", reason, value)
    return moment.replace(tzinfo=ZoneInfo(rule.timezone))


def _carry_attributes(spec: CustomAttributes, record: Record) -> Produced:
    attributes = read_path(record, spec.source)
    if attributes is _MISSING:
        return []
    if not _attribute_shaped(attributes):
        reason = "not custom attributes: expected Centra's list of {type, elements} or an object"
        raise _Refused("bad_shape", reason, attributes)

    # A copy, so that a later step editing the output cannot change the source record.
    return [(spec.target, copy.deepcopy(attributes))]


def _attribute_shaped(value: Any) -> bool:
    if isinstance(value, abc.Mapping):
        return all(isinstance(key, str) for key in value)
    return isinstance(value, list) and all(_centra_attribute(item) for item in value)


def _centra_attribute(item: Any) -> bool:
    if not isinstance(item, abc.Mapping) or not isinstance(item.get("type"), abc.Mapping):
        return False

    elements = item.get("elements")
    named = isinstance(item["type"].get("name"), str)
    keyed = isinstance(elements, list) and all(
        isinstance(element, abc.Mapping) and "key" in element for element in elements
    )
    return named and keyed


def _pass_through(path: str, record: Record) -> Produced:
    value = read_path(record, path)
    return [] if value is _MISSING else [(path, copy.deepcopy(value))]
