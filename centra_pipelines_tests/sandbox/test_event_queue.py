"""Event queue (digest §8): listeners, queue order, confirmation, filters, permissions, kinds."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from centra_pipelines_tests.sandbox.conftest import WINDOW_START, gql, post
from centra_sandbox import EVENT_OBJECT_TYPES, Sandbox
from centra_sandbox.graphql.events import DEFAULT_EVENTS_LIMIT

SET = """mutation Set($input: [EventListenerSetInput!]!) { setEventListeners(input: $input) {
  eventListeners { integrationName objectType changeTypes }
  userErrors { message path } userWarnings { message path } } }"""
UNSET = """mutation Unset($input: [EventListenerUnsetInput!]!) {
  unsetEventListeners(input: $input) { eventListeners { objectType changeTypes }
  userErrors { message path } userWarnings { message path } } }"""
LISTENERS = """query Listeners($where: EventListenerFilter) {
  eventListeners(where: $where) { integrationName objectType changeTypes } }"""
EVENTS = """query Events($where: EventFilter, $limit: Int) { events(where: $where, limit: $limit) {
  id objectType changeType objectReference createdAt store { id } market { id } } }"""
CONFIRM = """mutation Confirm($ids: [Int!]!) { confirmEvents(input: {eventsIds: $ids}) {
  events { id } userErrors { message path } userWarnings { message } } }"""
ALL_TYPES = ["CREATED", "UPDATED", "COMPLETED", "DELETED", "DEPENDENT_DATA_CHANGED"]
EVENT_PERMISSIONS = ["Event:read", "Event:write", "Order:read"]


def _listen(sandbox: Sandbox, *entries: dict) -> dict:
    return gql(sandbox, SET, {"input": list(entries)})["setEventListeners"]


def _events(sandbox: Sandbox, where: dict | None = None, limit: int | None = 200) -> list[dict]:
    return gql(sandbox, EVENTS, {"where": where, "limit": limit})["events"]


def _kinds(events: list[dict]) -> list[tuple[str, str, int]]:
    return [(e["objectType"], e["changeType"], e["objectReference"]) for e in events]


def _numbers(sandbox: Sandbox, status: str | None = None) -> list[int]:
    sql = "SELECT number FROM orders" + (" WHERE status = ?" if status else "") + " ORDER BY 1"
    return [row["number"] for row in sandbox.app.db.all(sql, (status,) if status else ())]


def test_set_listeners_merges_change_types_additively(make_sandbox):
    sandbox = make_sandbox(orders=20)

    _listen(sandbox, {"objectType": "Order", "changeTypes": ["CREATED"]})
    merged = _listen(
        sandbox, {"objectType": "Order", "changeTypes": ["UPDATED"]}, {"objectType": "Customer"}
    )
    again = _listen(sandbox, {"objectType": "Order", "changeTypes": ["CREATED"]})

    assert merged["eventListeners"] == [
        {
            "integrationName": "centra-pipelines",
            "objectType": "Order",
            "changeTypes": ["CREATED", "UPDATED"],
        },
        {"integrationName": "centra-pipelines", "objectType": "Customer", "changeTypes": ALL_TYPES},
    ]
    assert again["eventListeners"][0]["changeTypes"] == ["CREATED", "UPDATED"]
    listed = gql(sandbox, LISTENERS, {"where": {"changeType": ["CREATED"]}})["eventListeners"]
    assert [row["objectType"] for row in listed] == ["Order", "Customer"]
    only = gql(sandbox, LISTENERS, {"where": {"objectType": ["Customer"]}})["eventListeners"]
    assert [row["objectType"] for row in only] == ["Customer"]


def test_empty_change_types_is_a_user_error(make_sandbox):
    sandbox = make_sandbox(orders=20)

    payload = _listen(sandbox, {"objectType": "Order", "changeTypes": []})

    assert payload["eventListeners"] == []
    assert payload["userErrors"] == [
        {
            "message": "changeTypes is empty; omit it to mean every change type.",
            "path": ["input", "0", "changeTypes"],
        }
    ]


def test_events_come_only_from_listeners_that_existed_at_change_time(make_sandbox):
    sandbox = make_sandbox(orders=20)
    number = _numbers(sandbox)[3]

    sandbox.control.touch_orders([number])
    _listen(sandbox, {"objectType": "Order", "changeTypes": ["CREATED"]})
    sandbox.control.touch_orders([number])
    [created] = sandbox.control.create_orders(market_id=2, day=WINDOW_START, count=1)
    _listen(sandbox, {"objectType": "Order", "changeTypes": ["UPDATED"]})

    assert _kinds(_events(sandbox)) == [("Order", "CREATED", created)]


def test_events_are_oldest_first_and_repeat_until_confirmed(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _listen(sandbox, {"objectType": "Order"})
    numbers = _numbers(sandbox)[:3]
    sandbox.control.touch_orders(numbers)

    first = _events(sandbox)
    second = _events(sandbox)
    payload = gql(sandbox, CONFIRM, {"ids": [event["id"] for event in first[:2]]})
    rest = _events(sandbox)

    assert first == second
    assert [event["objectReference"] for event in first] == numbers
    assert [event["id"] for event in first] == sorted(event["id"] for event in first)
    assert first[0]["store"] == {"id": 1} and first[0]["market"] is not None
    assert payload["confirmEvents"]["userErrors"] == []
    assert [event["id"] for event in payload["confirmEvents"]["events"]] == [
        event["id"] for event in first[:2]
    ]
    assert rest == first[2:]
    assert _events(sandbox, limit=1) == first[2:]


def test_confirming_unknown_ids_is_a_user_error_and_twice_is_harmless(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _listen(sandbox, {"objectType": "Order"})
    sandbox.control.touch_orders(_numbers(sandbox)[:2])
    first, second = (event["id"] for event in _events(sandbox))

    partial = gql(sandbox, CONFIRM, {"ids": [first, 999_999]})["confirmEvents"]
    again = gql(sandbox, CONFIRM, {"ids": [first]})["confirmEvents"]

    assert [event["id"] for event in partial["events"]] == [first]
    assert partial["userErrors"] == [
        {"message": "Could not find Event with ID 999999.", "path": ["input", "eventsIds", "1"]}
    ]
    assert again == {"events": [{"id": first}], "userErrors": [], "userWarnings": []}
    assert [event["id"] for event in _events(sandbox)] == [second]


def test_unset_removes_change_types_and_deletes_their_queued_events(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _listen(sandbox, {"objectType": "Order"})
    [created] = sandbox.control.create_orders(market_id=1, day=WINDOW_START, count=1)
    sandbox.control.touch_orders([created])

    partial = gql(sandbox, UNSET, {"input": [{"objectType": "Order", "changeTypes": ["UPDATED"]}]})
    sandbox.control.touch_orders([created])
    left = _kinds(_events(sandbox))
    whole = gql(sandbox, UNSET, {"input": [{"objectType": "Order"}, {"objectType": "Customer"}]})

    assert partial["unsetEventListeners"]["eventListeners"] == [
        {
            "objectType": "Order",
            "changeTypes": ["CREATED", "COMPLETED", "DELETED", "DEPENDENT_DATA_CHANGED"],
        }
    ]
    assert left == [("Order", "CREATED", created)]
    assert whole["unsetEventListeners"]["eventListeners"] == []
    assert whole["unsetEventListeners"]["userWarnings"] == [
        {
            "message": "Integration 'centra-pipelines' has no Customer listener; nothing to unset.",
            "path": ["input", "1", "objectType"],
        }
    ]
    assert _events(sandbox) == []
    assert gql(sandbox, LISTENERS)["eventListeners"] == []


def test_events_filter_by_object_change_store_and_market(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _listen(sandbox, {"objectType": "Order"}, {"objectType": "Customer"})
    swedish = sandbox.app.db.scalar("SELECT MIN(number) FROM orders WHERE marketId = 1")
    european = sandbox.app.db.scalar("SELECT MIN(number) FROM orders WHERE marketId = 2")
    sandbox.control.touch_orders([swedish, european])
    sandbox.control.update_customer(1, lastName="Öberg-Lind")

    def references(where: dict) -> list[int]:
        return [event["objectReference"] for event in _events(sandbox, where)]

    assert references({"marketId": [2]}) == [european]
    assert references({"storeId": [1], "objectType": ["Order"]}) == [swedish, european]
    assert references({"storeId": [2]}) == []
    assert references({"objectType": ["Customer"]}) == [1]
    assert references({"changeType": ["CREATED"]}) == []


def test_each_integration_name_has_its_own_queue(make_sandbox):
    sandbox = make_sandbox(
        orders=20, tokens={"erp-token": EVENT_PERMISSIONS}, token_integrations={"erp-token": "erp"}
    )
    _listen(sandbox, {"objectType": "Order"})
    erp_set = post(sandbox, SET, {"input": [{"objectType": "Order"}]}, token="erp-token").json()
    sandbox.control.touch_orders([_numbers(sandbox)[0]])

    ours = _events(sandbox)
    theirs = post(sandbox, EVENTS, {"limit": 10}, token="erp-token").json()["data"]["events"]
    stolen = post(sandbox, CONFIRM, {"ids": [ours[0]["id"]]}, token="erp-token").json()

    assert erp_set["data"]["setEventListeners"]["eventListeners"][0]["integrationName"] == "erp"
    assert len(ours) == len(theirs) == 1 and ours[0]["id"] != theirs[0]["id"]
    assert stolen["data"]["confirmEvents"]["userErrors"][0]["message"].startswith(
        "Could not find Event"
    )
    assert _events(sandbox) == ours
    listeners = gql(sandbox, LISTENERS, {"where": {"integrationName": ["erp"]}})
    assert [row["integrationName"] for row in listeners["eventListeners"]] == ["erp"]


def test_event_queue_needs_event_permissions(make_sandbox):
    sandbox = make_sandbox(orders=20, tokens={"reader": ["Order:read"]})

    read = post(sandbox, EVENTS, token="reader").json()
    write = post(sandbox, SET, {"input": [{"objectType": "Order"}]}, token="reader").json()
    confirm = post(sandbox, CONFIRM, {"ids": [1]}, token="reader").json()

    assert "data" not in read
    assert read["errors"][0]["message"] == "You need Event:read permission to access events."
    assert write["errors"][0]["message"] == (
        "You need Event:write permission to access setEventListeners."
    )
    assert confirm["errors"][0]["message"] == (
        "You need Event:write permission to access confirmEvents."
    )


def test_event_object_needs_the_objects_read_permission(make_sandbox):
    sandbox = make_sandbox(orders=20, tokens={"events-only": ["Event:read", "Event:write"]})
    _listen(sandbox, {"objectType": "Order"})
    sandbox.control.touch_orders([_numbers(sandbox)[0]])
    query = "{ events { id object { __typename } } }"

    body = post(sandbox, query, token="events-only").json()

    assert body["data"]["events"][0]["object"] is None
    assert body["errors"][0]["message"] == "You need Order:read permission to access object."
    assert body["extensions"]["permissionsUsed"] == ["Event:read", "Order:read"]


def test_event_mutations_spend_mutation_tokens(make_sandbox):
    sandbox = make_sandbox(orders=20)
    rate_limits = "{ rateLimits(where: {type: MUTATION_COUNT, interval: ONE_HOUR}) { usedQuota } }"

    _listen(sandbox, {"objectType": "Order"})
    gql(sandbox, CONFIRM, {"ids": []})
    gql(sandbox, UNSET, {"input": [{"objectType": "Order"}]})
    _events(sandbox)

    assert gql(sandbox, rate_limits)["rateLimits"] == [{"usedQuota": 3}]
    assert sandbox.metrics()["mutations"] == 3


def test_events_default_limit_and_range(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _listen(sandbox, {"objectType": "Order", "changeTypes": ["UPDATED"]})
    sandbox.control.touch_orders(_numbers(sandbox) * 6)
    introspection = gql(
        sandbox, '{ __type(name: "Query") { fields { name args { name defaultValue } } } }'
    )

    default = _events(sandbox, limit=None)
    too_many = post(sandbox, EVENTS, {"limit": 201}).json()

    assert len(default) == DEFAULT_EVENTS_LIMIT == 100
    assert "Limit must be in range 1 - 200" in too_many["errors"][0]["message"]
    events_field = next(f for f in introspection["__type"]["fields"] if f["name"] == "events")
    assert {"name": "limit", "defaultValue": "100"} in events_field["args"]


def test_event_object_type_enum_lists_centras_names(make_sandbox):
    sandbox = make_sandbox(orders=20)

    data = gql(sandbox, '{ __type(name: "EventObjectType") { enumValues { name } } }')

    names = [value["name"] for value in data["__type"]["enumValues"]]
    assert names == list(EVENT_OBJECT_TYPES)
    assert len(names) == 56 and {"Order", "ProductSize", "StockChange", "Wishlist"} <= set(names)


def test_event_object_is_the_current_state_and_null_once_gone(make_sandbox):
    sandbox = make_sandbox(orders=20)
    _listen(sandbox, {"objectType": "Order"})
    number = _numbers(sandbox, "CONFIRMED")[0]
    query = """{ events { objectReference object { __typename
        ... on DirectToConsumerOrder { number otherComment } } } }"""

    sandbox.control.update_order(number, otherComment="first")
    sandbox.control.update_order(number, otherComment="second")
    before = gql(sandbox, query)["events"]
    sandbox.control.delete_order(number)
    after = gql(sandbox, query)["events"]

    assert [event["object"] for event in before] == [
        {"__typename": "DirectToConsumerOrder", "number": number, "otherComment": "second"}
    ] * 2
    assert after == [{"objectReference": number, "object": None}] * 2


SET_STOCK = """mutation { setStock(input: {warehouse: {id: 1}, description: "WMS",
  stockQuantityType: PHYSICAL, productVariants: [{productVariant: {id: 10},
  sizeStockLevels: [{size: {name: "S"}, quantity: 40}]}]}) { stockChanges { id } } }"""
CHANGE_STOCK = """mutation { changeStock(input: {outFromWarehouse: {id: 1}, intoWarehouse: {id: 2},
  description: "Transfer", productSizes: [{productSize: {id: 101}, deliveredQuantity: 2}]}) {
  stockChange { id } } }"""


def _created_order(sandbox: Sandbox) -> list[tuple]:
    [number] = sandbox.control.create_orders(market_id=1, day=WINDOW_START, count=1)
    db = sandbox.app.db
    expected = [("Order", "CREATED", number)]
    for table, object_type in (
        ("payments", "PaymentHistoryEntry"),
        ("shipments", "Shipment"),
        ("returns", "Return"),
    ):
        rows = db.all(f"SELECT id FROM {table} WHERE orderNumber = ? ORDER BY id", (number,))
        expected += [(object_type, "CREATED", row["id"]) for row in rows]
    return expected


def _status_change(status: str, *change_types: str) -> Callable[[Sandbox], list[tuple]]:
    def act(sandbox: Sandbox) -> list[tuple]:
        number = _numbers(sandbox, "CONFIRMED")[0]
        sandbox.control.update_order(number, status=status)
        return [("Order", change_type, number) for change_type in change_types]

    return act


def _touch(sandbox: Sandbox) -> list[tuple]:
    numbers = _numbers(sandbox)[:2]
    sandbox.control.touch_orders(numbers)
    return [("Order", "UPDATED", number) for number in numbers]


def _delete(sandbox: Sandbox) -> list[tuple]:
    sandbox.control.delete_order(_numbers(sandbox, "CONFIRMED")[0])
    return []


def _control_stock(sandbox: Sandbox) -> list[tuple]:
    sandbox.control.set_stock(1, 101, 5)
    return [("ProductSize", "UPDATED", 101)]


def _set_stock(sandbox: Sandbox) -> list[tuple]:
    [change] = gql(sandbox, SET_STOCK)["setStock"]["stockChanges"]
    return [("StockChange", "CREATED", change["id"]), ("ProductSize", "UPDATED", 101)]


def _change_stock(sandbox: Sandbox) -> list[tuple]:
    change = gql(sandbox, CHANGE_STOCK)["changeStock"]["stockChange"]
    return [("StockChange", "CREATED", change["id"]), ("ProductSize", "UPDATED", 101)]


def _order_mutation(document: str, status: str) -> Callable[[Sandbox], list[tuple]]:
    def act(sandbox: Sandbox) -> list[tuple]:
        number = _numbers(sandbox, status)[0]
        gql(sandbox, document.replace("NUMBER", str(number)))
        return [("Order", "UPDATED", number)]

    return act


def _cancel(sandbox: Sandbox) -> list[tuple]:
    number = _numbers(sandbox, "CONFIRMED")[0]
    gql(
        sandbox,
        f"mutation {{ cancelDirectToConsumerOrder(order: {{number: {number}}}) "
        "{ userErrors { message } } }",
    )
    payment = sandbox.app.db.scalar("SELECT MAX(id) FROM payments WHERE orderNumber = ?", (number,))
    # The released allocations are stock moves, announced on the sizes (digest §4.3).
    released = sandbox.app.db.all(
        "SELECT DISTINCT productSizeId FROM orderLines WHERE orderNumber = ? AND quantity > 0 "
        "ORDER BY id",
        (number,),
    )
    return [
        ("Order", "UPDATED", number),
        ("PaymentHistoryEntry", "CREATED", payment),
        *(("ProductSize", "UPDATED", row["productSizeId"]) for row in released),
    ]


def _ship(sandbox: Sandbox) -> list[tuple]:
    number = _numbers(sandbox, "CONFIRMED")[0]
    shipment = sandbox.control.create_shipment(number)
    sandbox.control.ship_shipment(shipment, tracking_number="TRK9", carrier_name="DHL")
    payment = sandbox.app.db.scalar("SELECT MAX(id) FROM payments WHERE orderNumber = ?", (number,))
    return [
        ("Order", "UPDATED", number),
        ("Shipment", "CREATED", shipment),
        ("Order", "UPDATED", number),
        ("Order", "COMPLETED", number),
        ("Shipment", "UPDATED", shipment),
        ("Shipment", "COMPLETED", shipment),
        ("PaymentHistoryEntry", "CREATED", payment),
    ]


def _return(sandbox: Sandbox) -> list[tuple]:
    number = sandbox.app.db.scalar(
        "SELECT MIN(number) FROM orders WHERE status = 'SHIPPED' "
        "AND number NOT IN (SELECT orderNumber FROM returns)"
    )
    return_id = sandbox.control.create_return(number)
    return [("Order", "UPDATED", number), ("Return", "CREATED", return_id)]


def _refund(sandbox: Sandbox) -> list[tuple]:
    number = sandbox.app.db.scalar("SELECT MIN(number) FROM orders WHERE status = 'SHIPPED'")
    payment_id = sandbox.control.refund(number, Decimal("1.00"))
    return [("Order", "UPDATED", number), ("PaymentHistoryEntry", "CREATED", payment_id)]


def _customer(sandbox: Sandbox) -> list[tuple]:
    sandbox.control.update_customer(3, firstName="Linnéa", newsletter=True)
    return [("Customer", "UPDATED", 3)]


def _bad_record(sandbox: Sandbox) -> list[tuple]:
    [record] = sandbox.control.null_sku()
    sandbox.control.clear_bad_records()
    return [("ProductSize", "UPDATED", record.id)] * 2


CONFIRM_ORDER = "mutation { confirmOrder(input: {order: {number: NUMBER}}) { order { id } } }"
UPDATE_ORDER = """mutation { updateDirectToConsumerOrder(order: {number: NUMBER},
  input: {otherComment: "Ring på"}) { order { id } } }"""
CHANGE_KINDS = {
    "create_orders": _created_order,
    "update_order_cancelled": _status_change("CANCELLED", "UPDATED"),
    "update_order_shipped": _status_change("SHIPPED", "UPDATED", "COMPLETED"),
    "touch_orders": _touch,
    "delete_order": _delete,
    "control_set_stock": _control_stock,
    "setStock": _set_stock,
    "changeStock": _change_stock,
    "confirmOrder": _order_mutation(CONFIRM_ORDER, "PENDING"),
    "updateDirectToConsumerOrder": _order_mutation(UPDATE_ORDER, "CONFIRMED"),
    "cancelDirectToConsumerOrder": _cancel,
    "create_and_ship_shipment": _ship,
    "create_return": _return,
    "refund": _refund,
    "update_customer": _customer,
    "bad_record_and_clear": _bad_record,
}


@pytest.mark.parametrize("kind", list(CHANGE_KINDS))
def test_each_change_kind_is_queued_once_as_centra_names_it(make_sandbox, kind):
    sandbox = make_sandbox(orders=20)
    _listen(
        sandbox,
        *(
            {"objectType": object_type}
            for object_type in (
                "Order",
                "Shipment",
                "Return",
                "Customer",
                "ProductSize",
                "StockChange",
                "PaymentHistoryEntry",
            )
        ),
    )

    expected = CHANGE_KINDS[kind](sandbox)

    assert _kinds(_events(sandbox)) == expected
