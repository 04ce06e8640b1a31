"""Custom scalars Int64, Date and DateTimeTz (digest §1.5)."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ariadne import ScalarType
from graphql import GraphQLError

from centra_sandbox.graphql.phpdate import php_format

DEFAULT_DATETIME_FORMAT = "Y-m-d\\TH:i:sP"
DEFAULT_DATE_FORMAT = "Y-m-d"

int64_scalar = ScalarType("Int64")
date_scalar = ScalarType("Date")
datetime_scalar = ScalarType("DateTimeTz")


class RawDateTime(str):
    """A planted malformed DateTimeTz value, served verbatim whatever `format` asks for."""


@int64_scalar.serializer
def serialize_int64(value: int) -> int:
    return int(value)


@int64_scalar.value_parser
def parse_int64(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise GraphQLError(f"Int64 expects an integer, got {value!r}.")
    try:
        return int(value)
    except ValueError as error:
        raise GraphQLError(f"Int64 expects an integer, got {value!r}.") from error


@datetime_scalar.serializer
def serialize_datetime(value: object) -> str:
    # Field values arrive already formatted by the field middleware, which knows `format`.
    if isinstance(value, datetime):
        return php_format(value, DEFAULT_DATETIME_FORMAT)
    return str(value)


@date_scalar.serializer
def serialize_date(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# PHP relative formats that Centra accepts for inputs such as shippedAt (digest §1.5).
_RELATIVE_OFFSET = re.compile(r"^([+-]?\d+)\s*(second|minute|hour|day|week)s?$")
_RELATIVE_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_RELATIVE_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_datetime_text(text: str, zone: ZoneInfo | None = None) -> datetime:
    """Parse "Y-m-d H:i:s", "Y-m-d", ISO 8601 or a PHP relative form ("now", "yesterday",
    "-1 hour", "21/10/2023"); times without an offset are in `zone`.

    Without a zone an offset-less input stays naive; resolvers then read it in the instance's
    time zone (see `to_epoch`).
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        moment = _php_relative(text.strip().lower())
        if moment is None:
            raise GraphQLError(
                f"Cannot parse {text!r} as DateTimeTz; send ISO 8601 with an offset, "
                'e.g. "2026-11-20T00:00:00+00:00", or "2026-11-20 00:00:00".'
            ) from error
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _php_relative(text: str) -> datetime | None:
    now = datetime.now(UTC)
    if text == "now":
        return now
    if text in _RELATIVE_DAYS:
        # Midnight, read in the instance zone like any input without an offset.
        return datetime.combine(now.date() + timedelta(days=_RELATIVE_DAYS[text]), time())
    offset = _RELATIVE_OFFSET.match(text)
    if offset:
        return now + timedelta(seconds=int(offset[1]) * _RELATIVE_SECONDS[offset[2]])
    day_month_year = _DAY_MONTH_YEAR.match(text)
    if day_month_year:
        day, month, year = (int(part) for part in day_month_year.groups())
        try:
            return datetime(year, month, day)
        except ValueError:
            return None
    return None


def to_epoch(moment: datetime, zone: ZoneInfo) -> int:
    """Unix seconds of a parsed input; naive inputs are wall-clock time of the instance."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp())


@datetime_scalar.value_parser
def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise GraphQLError(f"DateTimeTz expects a string, got {value!r}.")
    return parse_datetime_text(value)


@date_scalar.value_parser
def parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise GraphQLError(f"Date expects a string, got {value!r}.")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise GraphQLError(f"Cannot parse {value!r} as Date; send Y-m-d.") from error


SCALARS = [int64_scalar, date_scalar, datetime_scalar]
