"""Custom scalars Int64, Date and DateTimeTz (digest §1.5)."""

from datetime import date, datetime
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


def parse_datetime_text(text: str, zone: ZoneInfo | None = None) -> datetime:
    """Parse "Y-m-d H:i:s", "Y-m-d" or ISO 8601; times without an offset are in `zone`.

    Without a zone an offset-less input stays naive; resolvers then read it in the instance's
    time zone (see `to_epoch`).
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise GraphQLError(
            f"Cannot parse {text!r} as DateTimeTz; send ISO 8601 with an offset, "
            'e.g. "2026-11-20T00:00:00+00:00", or "2026-11-20 00:00:00".'
        ) from error
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return moment


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
