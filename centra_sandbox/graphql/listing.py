"""Filtering, sorting, classic paging and keyset Relay connections over SQLite tables."""

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphql import GraphQLError

from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.scalars import to_epoch

MAX_LIMIT = 200

# A filter turns one `where` field into an SQL condition with parameters.
FilterFn = Callable[[Any, RequestContext], tuple[str, list]]


def in_list(column: str) -> FilterFn:
    def build(values: Any, _: RequestContext) -> tuple[str, list]:
        values = list(values)
        if not values:
            return "0", []
        return f"{column} IN ({', '.join('?' for _ in values)})", values

    return build


def equals(column: str) -> FilterFn:
    def build(value: Any, _: RequestContext) -> tuple[str, list]:
        return f"{column} = ?", [int(value) if isinstance(value, bool) else value]

    return build


def date_range(column: str) -> FilterFn:
    def build(value: Mapping, ctx: RequestContext) -> tuple[str, list]:
        parts, params = [], []
        if value.get("from") is not None:
            parts.append(f"{column} >= ?")
            params.append(_epoch(value["from"], ctx))
        if value.get("to") is not None:
            parts.append(f"{column} <= ?")
            params.append(_epoch(value["to"], ctx))
        return " AND ".join(parts) or "1", params

    return build


def string_match(column: str) -> FilterFn:
    def build(value: Mapping, _: RequestContext) -> tuple[str, list]:
        given = {key: text for key, text in value.items() if text is not None}
        if len(given) != 1:
            raise GraphQLError("StringMatch takes exactly one field: `equals` or `contains`.")
        if "equals" in given:
            return f"{column} = ?", [given["equals"]]
        return f"{column} LIKE ? ESCAPE '\\'", [f"%{_escape_like(given['contains'])}%"]

    return build


def raw(template: str, list_value: bool = False) -> FilterFn:
    """A hand-written condition; `{marks}` takes a list value, `?` a single one."""

    def build(value: Any, _: RequestContext) -> tuple[str, list]:
        if list_value:
            values = list(value) or [None]
            return template.format(marks=", ".join("?" for _ in values)), values
        return template, [int(value) if isinstance(value, bool) else value]

    return build


@dataclass(frozen=True)
class ListSpec:
    """How one entity is listed: its FROM clause, filters, sort columns and unique key."""

    source: str
    filters: dict[str, FilterFn]
    sorts: dict[str, str]
    key: str = "id"
    select: str = "*"
    conditions: tuple[str, ...] = field(default_factory=tuple)


def where_clause(
    spec: ListSpec,
    where: Mapping | None,
    ctx: RequestContext,
    extra: tuple[str, list] | None = None,
) -> tuple[str, list]:
    parts, params = list(spec.conditions), []
    for name, value in (where or {}).items():
        if value is None:
            continue
        build = spec.filters.get(name)
        if build is None:
            raise GraphQLError(f"The sandbox does not filter on `{name}` yet; drop it from where.")
        sql, values = build(value, ctx)
        parts.append(f"({sql})")
        params.extend(values)
    if extra:
        parts.append(f"({extra[0]})")
        params.extend(extra[1])
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def order_clause(spec: ListSpec, sort: list[str] | None) -> str:
    terms = []
    for item in sort or []:
        name, _, direction = item.rpartition("_")
        terms.append(f"{spec.sorts[name]} {direction}")
    terms.append(f"{spec.sorts.get(spec.key, spec.key)} ASC")
    return " ORDER BY " + ", ".join(terms)


def check_limit(limit: int | None, argument: str = "limit") -> None:
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise GraphQLError(
            f"Limit must be in range 1 - {MAX_LIMIT}; got {argument}: {limit}. "
            "Ask for fewer rows per page and page through the rest."
        )


def fetch_page(
    ctx: RequestContext,
    spec: ListSpec,
    where: Mapping | None = None,
    sort: list[str] | None = None,
    limit: int | None = 20,
    page: int | None = 1,
    extra: tuple[str, list] | None = None,
) -> list[dict]:
    """Classic `where/sort/limit/page` listing; `limit=None` returns every row."""
    check_limit(limit)
    if page is not None and page < 1:
        raise GraphQLError(f"Page must be 1 or more; got page: {page}.")
    clause, params = where_clause(spec, where, ctx, extra)
    sql = f"SELECT {spec.select} FROM {spec.source}{clause}{order_clause(spec, sort)}"
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {(int(page or 1) - 1) * int(limit)}"
    return ctx.db.all(sql, params)


def count_rows(ctx: RequestContext, spec: ListSpec, where: Mapping | None) -> int:
    clause, params = where_clause(spec, where, ctx)
    return ctx.db.scalar(f"SELECT COUNT(*) FROM {spec.source}{clause}", params)


def encode_cursor(parts: list[tuple[str, Any]]) -> str:
    text = ",".join(f"{name}:{value}" for name, value in parts)
    return base64.b64encode(text.encode()).decode()


def decode_cursor(cursor: str, names: list[str]) -> list[int | str]:
    try:
        pairs = [part.split(":", 1) for part in base64.b64decode(cursor).decode().split(",")]
        values = {name: _cursor_value(value) for name, value in pairs}
        return [values[name] for name in names]
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError) as error:
        raise GraphQLError(
            f"Cursor {cursor!r} does not belong to this sort; restart paging without `after`/"
            "`before`, or keep the same sort between pages."
        ) from error


def _cursor_value(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def fetch_connection(ctx: RequestContext, spec: ListSpec, args: Mapping) -> dict:
    """Keyset Relay connection: cursors hold sort values, so writes never shift later pages."""
    first, last = args.get("first"), args.get("last")
    check_limit(first, "first")
    check_limit(last, "last")
    if first is None and last is None:
        first = 20
    sort_name, descending = _connection_sort(spec, args.get("sort"))
    names = [sort_name] if sort_name == spec.key else [sort_name, spec.key]
    columns = [spec.sorts.get(name, name) for name in names]
    clause, params = where_clause(spec, args.get("where"), ctx)
    base = f"SELECT {spec.select} FROM {spec.source}{clause}"
    conditions, cond_params = [], []
    for argument, after_side in (("after", True), ("before", False)):
        if args.get(argument):
            values = decode_cursor(args[argument], names)
            conditions.append(_keyset(columns, after_side != descending))
            cond_params.extend(values)
    joiner = " AND " if clause else " WHERE "
    sql = base + (joiner + " AND ".join(conditions) if conditions else "")
    backwards = last is not None and first is None
    size = last if backwards else first
    direction = "DESC" if descending != backwards else "ASC"
    order = ", ".join(f"{column} {direction}" for column in columns)
    rows = ctx.db.all(f"{sql} ORDER BY {order} LIMIT {int(size) + 1}", params + cond_params)
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    edges = [{"node": row, "cursor": encode_cursor(_cursor_parts(row, names))} for row in rows]
    return {
        "edges": edges,
        "pageInfo": _page_info(ctx, spec, args, edges, rows, has_more, backwards),
        # Counted only when asked for: the default resolver calls a callable field value.
        "totalCount": lambda _info, **_: count_rows(ctx, spec, args.get("where")),
    }


def _page_info(ctx, spec, args, edges, rows, has_more, backwards) -> dict:
    start = edges[0]["cursor"] if edges else None
    end = edges[-1]["cursor"] if edges else None
    if backwards:
        has_next, has_previous = bool(args.get("before")), has_more
    else:
        has_next, has_previous = has_more, bool(args.get("after"))
    return {
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
        "startCursor": start,
        "endCursor": end,
    }


def _connection_sort(spec: ListSpec, sort: list[str] | None) -> tuple[str, bool]:
    item = (sort or [f"{spec.key}_ASC"])[0]
    name, _, direction = item.rpartition("_")
    return name, direction == "DESC"


def _keyset(columns: list[str], greater: bool) -> str:
    operator = ">" if greater else "<"
    if len(columns) == 1:
        return f"{columns[0]} {operator} ?"
    return f"({', '.join(columns)}) {operator} ({', '.join('?' for _ in columns)})"


def _cursor_parts(row: Mapping, names: list[str]) -> list[tuple[str, Any]]:
    return [(name, row[name]) for name in names]


def _epoch(value: Any, ctx: RequestContext) -> int:
    if isinstance(value, datetime):
        return to_epoch(value, ctx.zone)
    raise GraphQLError(f"Expected a DateTimeTz, got {value!r}.")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
