"""Event queue resolvers (digest §8): listeners, events, confirmation and the event's object.

The queue belongs to the caller's integration name. Events are copied into it when a change is
recorded (events/feed.py), so these resolvers only read, confirm and delete them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, UnionType
from graphql import GraphQLResolveInfo

from centra_sandbox.events.feed import from_micros
from centra_sandbox.events.types import EVENT_CHANGE_TYPES
from centra_sandbox.graphql.common import SIZE_SELECT, fk
from centra_sandbox.graphql.context import RequestContext
from centra_sandbox.graphql.listing import ListSpec, fetch_page, in_list, where_clause
from centra_sandbox.graphql.mutations import UserErrors
from centra_sandbox.graphql.permissions import permission_error

# Centra's default is not documented (digest §11.8); 100 is half the 1-200 range that every
# list allows, and the SDL declares the same default so introspection shows it.
DEFAULT_EVENTS_LIMIT = 100

EVENT_SPEC = ListSpec(
    source="events e JOIN changes c ON c.id = e.changeId",
    filters={
        "objectType": in_list("c.objectType"),
        "changeType": in_list("c.changeType"),
        "storeId": in_list("c.storeId"),
        "marketId": in_list("c.marketId"),
    },
    sorts={"id": "e.id"},
    select=(
        "e.id, c.objectType, c.changeType, c.objectReference, c.storeId, c.marketId, "
        "c.createdAtMicros"
    ),
)


def _any_change_type(values: Any, _: RequestContext) -> tuple[str, list]:
    values = list(values)
    if not values:
        return "0", []
    condition = " OR ".join("instr(',' || changeTypes || ',', ?) > 0" for _ in values)
    return condition, [f",{value}," for value in values]


LISTENER_SPEC = ListSpec(
    source="eventListeners",
    filters={
        "objectType": in_list("objectType"),
        "integrationName": in_list("integrationName"),
        "changeType": _any_change_type,
    },
    sorts={},
)

query = QueryType()
mutation = MutationType()


@query.field("events")
def resolve_events(
    _: Any, info: GraphQLResolveInfo, where: dict | None = None, limit: int | None = None
) -> list[dict]:
    ctx = info.context
    queue = ("e.integrationName = ? AND e.confirmedAt IS NULL", [ctx.integration_name])
    size = DEFAULT_EVENTS_LIMIT if limit is None else limit
    return fetch_page(ctx, EVENT_SPEC, where, None, size, 1, queue)


@query.field("eventListeners")
def resolve_event_listeners(_: Any, info: GraphQLResolveInfo, where=None) -> list[dict]:
    ctx = info.context
    clause, params = where_clause(LISTENER_SPEC, where, ctx)
    # rowid is creation order: listeners are listed in the order they were first set.
    sql = f"SELECT * FROM eventListeners{clause} ORDER BY integrationName, rowid"
    return ctx.db.all(sql, params)


@mutation.field("setEventListeners")
def resolve_set_listeners(_: Any, info: GraphQLResolveInfo, input: list[dict]) -> dict:
    ctx, errors = info.context, UserErrors()
    affected = []
    for index, entry in enumerate(input):
        wanted = _change_types(entry, errors, index)
        if wanted is None:
            continue
        _merge_listener(ctx, entry["objectType"], wanted)
        affected.append(entry["objectType"])
    ctx.db.commit()
    return errors.payload(eventListeners=_listeners_of(ctx, affected))


@mutation.field("unsetEventListeners")
def resolve_unset_listeners(_: Any, info: GraphQLResolveInfo, input: list[dict]) -> dict:
    ctx, errors = info.context, UserErrors()
    remaining = []
    for index, entry in enumerate(input):
        removed = _change_types(entry, errors, index)
        if removed is None:
            continue
        if _listener(ctx, entry["objectType"]) is None:
            errors.warn(
                f"Integration {ctx.integration_name!r} has no {entry['objectType']} listener; "
                "nothing to unset.",
                "input",
                index,
                "objectType",
            )
            continue
        if _remove_change_types(ctx, entry["objectType"], removed):
            remaining.append(entry["objectType"])
    ctx.db.commit()
    return errors.payload(eventListeners=_listeners_of(ctx, remaining))


@mutation.field("confirmEvents")
def resolve_confirm_events(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx, errors = info.context, UserErrors()
    found: dict[int, dict] = {}
    for index, event_id in enumerate(input["eventsIds"]):
        row = _event(ctx, event_id)
        if row is None:
            errors.error(f"Could not find Event with ID {event_id}.", "input", "eventsIds", index)
            continue
        found[event_id] = row

    # Confirming twice is harmless: only still-queued events get a confirmation time.
    if found:
        marks = ", ".join("?" for _ in found)
        ctx.db.execute(
            f"UPDATE events SET confirmedAt = ? WHERE id IN ({marks}) AND confirmedAt IS NULL",
            (ctx.now, *found),
        )
        ctx.db.commit()
    return errors.payload(events=list(found.values()))


def _change_types(entry: dict, errors: UserErrors, index: int) -> set[str] | None:
    """The entry's change types, every type when omitted; None (with a userError) when empty."""
    given = entry.get("changeTypes")
    if given is None:
        return set(EVENT_CHANGE_TYPES)
    if not given:
        errors.error(
            "changeTypes is empty; omit it to mean every change type.",
            "input",
            index,
            "changeTypes",
        )
        return None
    return set(given)


def _merge_listener(ctx: RequestContext, object_type: str, wanted: set[str]) -> None:
    """Additive: the listener keeps its change types and gains the wanted ones (digest §8)."""
    current = _listener(ctx, object_type)
    if current is None:
        ctx.db.execute(
            "INSERT INTO eventListeners VALUES (?, ?, ?, ?, ?)",
            (ctx.integration_name, object_type, _joined(wanted), ctx.now, ctx.now),
        )
        return
    merged = _joined(set(_split(current["changeTypes"])) | wanted)
    if merged != current["changeTypes"]:
        _update_listener(ctx, object_type, merged)


def _remove_change_types(ctx: RequestContext, object_type: str, removed: set[str]) -> bool:
    """Drop change types and their queued events; True when the listener still exists."""
    marks = ", ".join("?" for _ in removed)
    ctx.db.execute(
        "DELETE FROM events WHERE integrationName = ? AND confirmedAt IS NULL AND changeId IN "
        f"(SELECT id FROM changes WHERE objectType = ? AND changeType IN ({marks}))",
        (ctx.integration_name, object_type, *sorted(removed)),
    )
    current = set(_split(_listener(ctx, object_type)["changeTypes"]))
    left = current - removed
    if not left:
        ctx.db.execute(
            "DELETE FROM eventListeners WHERE integrationName = ? AND objectType = ?",
            (ctx.integration_name, object_type),
        )
        return False
    if left != current:
        _update_listener(ctx, object_type, _joined(left))
    return True


def _update_listener(ctx: RequestContext, object_type: str, change_types: str) -> None:
    ctx.db.execute(
        "UPDATE eventListeners SET changeTypes = ?, updatedAt = ? "
        "WHERE integrationName = ? AND objectType = ?",
        (change_types, ctx.now, ctx.integration_name, object_type),
    )


def _listener(ctx: RequestContext, object_type: str) -> dict | None:
    return ctx.db.one(
        "SELECT * FROM eventListeners WHERE integrationName = ? AND objectType = ?",
        (ctx.integration_name, object_type),
    )


def _listeners_of(ctx: RequestContext, object_types: list[str]) -> list[dict]:
    rows = (_listener(ctx, object_type) for object_type in dict.fromkeys(object_types))
    return [row for row in rows if row is not None]


def _event(ctx: RequestContext, event_id: int) -> dict | None:
    return ctx.db.one(
        f"SELECT {EVENT_SPEC.select} FROM {EVENT_SPEC.source} "
        "WHERE e.id = ? AND e.integrationName = ?",
        (event_id, ctx.integration_name),
    )


def _joined(change_types: set[str]) -> str:
    return ",".join(name for name in EVENT_CHANGE_TYPES if name in change_types)


def _split(change_types: str) -> list[str]:
    return change_types.split(",") if change_types else []


event = ObjectType("Event")
event.set_field("store", fk("stores", "storeId"))
event.set_field("market", fk("markets", "marketId"))


@event.field("createdAt")
def resolve_event_created_at(obj: dict, _: GraphQLResolveInfo, **__: Any) -> Any:
    return from_micros(obj["createdAtMicros"])


listener = ObjectType("EventListener")
listener.set_field("changeTypes", lambda obj, _: _split(obj["changeTypes"]))


@dataclass(frozen=True)
class _Target:
    """How to load an event's object: its read permission, row query and GraphQL type."""

    permission: str
    sql: str
    type_name: Callable[[RequestContext, dict], str]


def _table(permission: str, table: str, type_name: str, key: str = "id") -> _Target:
    return _Target(permission, f"SELECT * FROM {table} WHERE {key} = ?", lambda *_: type_name)


def _order_type(ctx: RequestContext, row: dict) -> str:
    store_type = ctx.db.scalar("SELECT type FROM stores WHERE id = ?", (row["storeId"],))
    return "WholesaleOrder" if store_type == "WHOLESALE" else "DirectToConsumerOrder"


TARGETS = {
    "Order": _Target("Order:read", "SELECT * FROM orders WHERE number = ?", _order_type),
    "Shipment": _table("Shipment:read", "shipments", "DirectToConsumerShipment"),
    "Return": _table("Return:read", "returns", "DirectToConsumerReturn"),
    "PaymentHistoryEntry": _table("PaymentHistory:read", "payments", "PaymentHistoryEntry"),
    "Customer": _table("Customer:read", "customers", "Customer"),
    "Product": _table("Product:read", "products", "Product"),
    "ProductVariant": _table("ProductVariant:read", "productVariants", "ProductVariant"),
    "ProductSize": _Target(
        "ProductSize:read", f"{SIZE_SELECT} WHERE ps.id = ?", lambda *_: "ProductSize"
    ),
    "StockChange": _table("StockChange:read", "stockChanges", "StockChange"),
    "Warehouse": _table("Warehouse:read", "warehouses", "Warehouse"),
    "Display": _table("Display:read", "displays", "Display"),
    "Market": _table("Market:read", "markets", "Market"),
    "Store": _table("Store:read", "stores", "Store"),
    "Pricelist": _table("Pricelist:read", "pricelists", "Pricelist"),
    "Price": _table("Price:read", "prices", "Price"),
    "Country": _table("Country:read", "countries", "Country"),
    "Language": _table("Language:read", "languages", "Language"),
    "Brand": _table("Brand:read", "brands", "Brand"),
    "Collection": _table("Collection:read", "collections", "Collection"),
    "Folder": _table("Folder:read", "folders", "Folder"),
    # The sandbox reads categories under Display:read, as its `categories` query does.
    "Category": _table("Display:read", "categories", "Category"),
    "SizeChart": _table("SizeChart:read", "sizeCharts", "SizeChart"),
}


@event.field("object")
def resolve_event_object(obj: dict, info: GraphQLResolveInfo) -> dict | None:
    """The object's current state; null when it was deleted or the sandbox cannot serve it."""
    target = TARGETS.get(obj["objectType"])
    if obj["changeType"] == "DELETED" or target is None:
        return None
    ctx = info.context
    if not ctx.use_permission(target.permission):
        raise permission_error(target.permission, "object")
    row = ctx.db.one(target.sql, (obj["objectReference"],))
    if row is None:
        return None
    return {**row, "_eventTarget": target.type_name(ctx, row)}


event_target = UnionType("EventTarget", lambda obj, *_: obj["_eventTarget"])

BINDABLES = [query, mutation, event, listener, event_target]
