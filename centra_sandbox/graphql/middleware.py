"""Field middleware: permission checks and `format` handling of datetime fields."""

from datetime import UTC, date, datetime
from typing import Any

from graphql import GraphQLResolveInfo, get_named_type

from centra_sandbox.graphql.permissions import permission_error, required_permission
from centra_sandbox.graphql.phpdate import php_format
from centra_sandbox.graphql.scalars import (
    DEFAULT_DATE_FORMAT,
    DEFAULT_DATETIME_FORMAT,
    RawDateTime,
)


class FieldMiddleware:
    """Runs around every resolver; cheap for fields that need neither check."""

    def resolve(self, next_, root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        permission = required_permission(info.parent_type.name, info.field_name)
        if permission is not None and not info.context.use_permission(permission):
            raise permission_error(permission, info.field_name)
        value = next_(root, info, **args)
        type_name = get_named_type(info.return_type).name
        if type_name == "DateTimeTz" and value is not None:
            return _format_datetime(value, args.get("format"), info)
        if type_name == "Date" and value is not None:
            return php_format(_as_datetime(value), args.get("format") or DEFAULT_DATE_FORMAT)
        return value


def _format_datetime(value: Any, pattern: str | None, info: GraphQLResolveInfo) -> str:
    if isinstance(value, RawDateTime):
        return value
    if isinstance(value, int):
        value = datetime.fromtimestamp(value, UTC)
    moment = value.astimezone(info.context.zone)
    return php_format(moment, pattern or DEFAULT_DATETIME_FORMAT)


def _as_datetime(value: Any) -> datetime:
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
