"""Order updates and cancellations (digest §5.3, §6): invariants, stock actions and events."""

import pytest

from centra_pipelines_tests.sandbox.conftest import gql

ORDER = """query Order($number: Int!) { order(number: $number) { ... on DirectToConsumerOrder {
  id status internalComment otherComment isOnHold grandTotal { value }
  lines(includeFullyCancelled: true) { id quantity cancelledQuantity } } } }"""
UPDATE = """mutation Update($number: Int!, $input: DirectToConsumerOrderUpdateInput!) {
  updateDirectToConsumerOrder(order: {number: $number}, input: $input) {
  order { status } userErrors { message path } } }"""
CANCEL = """mutation Cancel($number: Int!, $input: DirectToConsumerOrderCancelInput) {
  cancelDirectToConsumerOrder(order: {number: $number}, input: $input) {
  order { status } userErrors { message path } } }"""
SHIP = """mutation Ship($number: Int!, $line: Int!, $quantity: Int!) {
  createShipment(input: {order: {number: $number}, lines: [{orderLine: {id: $line},
  quantity: $quantity}], capture: true}) { shipment { id } userErrors { message } } }"""
COMPLETE = """mutation Done($id: Int!) { completeShipment(id: $id) { userErrors { message } } }"""
LISTEN = """mutation { setEventListeners(input: [{objectType: Order}, {objectType: ProductSize}])
  { userErrors { message } } }"""
EVENTS = """{ events(limit: 200) { objectType changeType objectReference } }"""
# Orders of the retail store whose lines all hold allocated stock in the market's warehouse.
_CONFIRMED_DTC = (
    "SELECT o.number FROM orders o WHERE o.status = 'CONFIRMED' AND o.storeId = 1 "
    "AND (SELECT COUNT(*) FROM orderLines l WHERE l.orderNumber = o.number) >= 2 "
    "AND NOT EXISTS (SELECT 1 FROM orderLines l WHERE l.orderNumber = o.number "
    "AND (l.quantity < 2 OR l.productSizeId IS NULL)) ORDER BY o.number"
)


@pytest.fixture
def store(make_sandbox):
    return make_sandbox(orders=200)


def _numbers(sandbox) -> list[int]:
    return [row["number"] for row in sandbox.app.db.all(_CONFIRMED_DTC)]


def _order(sandbox, number: int) -> dict:
    return gql(sandbox, ORDER, {"number": number})["order"]


def _update(sandbox, number: int, **input) -> dict:
    return gql(sandbox, UPDATE, {"number": number, "input": input})["updateDirectToConsumerOrder"]


def _cancel(sandbox, number: int, **input) -> dict:
    return gql(sandbox, CANCEL, {"number": number, "input": input})["cancelDirectToConsumerOrder"]


def _stock(sandbox, number: int, line_id: int) -> tuple[int, int]:
    """(free to allocate, allocated) of the line's size in the market's first warehouse."""
    row = sandbox.app.db.one(
        "SELECT s.freeToAllocateQuantity, s.allocatedQuantity FROM stock s "
        "JOIN orderLines l ON l.productSizeId = s.productSizeId "
        "JOIN orders o ON o.number = l.orderNumber JOIN markets m ON m.id = o.marketId "
        "WHERE l.id = ? AND s.warehouseId = (SELECT MIN(w.id) FROM warehouses w "
        "WHERE w.allocationRuleId = m.allocationRuleId)",
        (line_id,),
    )
    return row["freeToAllocateQuantity"], row["allocatedQuantity"]


def _cancel_line(line: dict, quantity: int, action: str | None = None) -> dict:
    entry = {"line": {"id": line["id"]}, "quantity": quantity}
    return entry if action is None else {**entry, "stockAction": action}


@pytest.mark.parametrize(
    ("action", "free_delta"),
    [(None, 1), ("RELEASE_BACK_TO_WAREHOUSE", 1), ("REMOVE_FROM_STOCK", 0)],
)
def test_cancel_lines_moves_quantity_and_stock_per_action(store, action, free_delta):
    """Released units become free to allocate again; removed units leave stock."""
    number = _numbers(store)[0]
    line = _order(store, number)["lines"][0]
    free, allocated = _stock(store, number, line["id"])

    payload = _update(
        store, number, cancelLines=[_cancel_line(line, 1, action)], cancellationComment="WMS"
    )

    assert payload == {"order": {"status": "CONFIRMED"}, "userErrors": []}
    after = next(row for row in _order(store, number)["lines"] if row["id"] == line["id"])
    assert (after["quantity"], after["cancelledQuantity"]) == (
        line["quantity"] - 1,
        line["cancelledQuantity"] + 1,
    )
    assert _stock(store, number, line["id"]) == (free + free_delta, allocated - 1)


def test_comments_hold_and_external_id_are_stored(store):
    number = _numbers(store)[0]

    payload = _update(
        store,
        number,
        internalComment="Ticket 7",
        otherComment="Leave at door",
        isOnHold=True,
        externalId="WMS-ORDER-1",
    )

    assert payload["userErrors"] == []
    order = _order(store, number)
    assert (order["internalComment"], order["otherComment"], order["isOnHold"]) == (
        "Ticket 7",
        "Leave at door",
        True,
    )
    by_external = gql(
        store,
        UPDATE.replace("{number: $number}", '{externalId: "WMS-ORDER-1"}').replace(
            "$number: Int!, ", ""
        ),
        {"input": {"isOnHold": False}},
    )["updateDirectToConsumerOrder"]
    assert by_external["userErrors"] == []
    assert _order(store, number)["isOnHold"] is False


def test_cannot_cancel_beyond_unshipped_quantity(store):
    number = _numbers(store)[0]
    line = _order(store, number)["lines"][0]
    shipped = gql(store, SHIP, {"number": number, "line": line["id"], "quantity": 1})
    assert shipped["createShipment"]["userErrors"] == []

    too_many = _update(store, number, cancelLines=[_cancel_line(line, line["quantity"])])
    twice = _update(
        store,
        number,
        cancelLines=[_cancel_line(line, line["quantity"] - 1), _cancel_line(line, 1)],
    )

    left = line["quantity"] - 1
    assert too_many["userErrors"] == [
        {
            "message": f"Can cancel 1 to {left} of line {line['id']} (unshipped quantity); "
            f"got {line['quantity']}.",
            "path": ["input", "cancelLines", "0", "quantity"],
        }
    ]
    assert twice["userErrors"][0]["path"] == ["input", "cancelLines", "1", "quantity"]
    unchanged = next(row for row in _order(store, number)["lines"] if row["id"] == line["id"])
    assert unchanged["quantity"] == line["quantity"]


def test_cancelling_every_unit_cancels_the_order(store):
    number = _numbers(store)[0]
    order = _order(store, number)

    payload = _update(
        store,
        number,
        cancelLines=[_cancel_line(line, line["quantity"]) for line in order["lines"]],
    )

    assert payload == {"order": {"status": "CANCELLED"}, "userErrors": []}
    after = _order(store, number)
    assert [line["quantity"] for line in after["lines"]] == [0] * len(order["lines"])
    refused = _update(store, number, cancelLines=[_cancel_line(order["lines"][0], 1)])
    assert "lines can be cancelled only on" in refused["userErrors"][0]["message"]


def test_cancelling_the_unshipped_rest_ships_the_order_and_announces_it(store):
    number = _numbers(store)[0]
    first, *rest = _order(store, number)["lines"]
    shipment = gql(store, SHIP, {"number": number, "line": first["id"], "quantity": 2})
    shipment_id = shipment["createShipment"]["shipment"]["id"]
    assert gql(store, COMPLETE, {"id": shipment_id})["completeShipment"]["userErrors"] == []
    gql(store, LISTEN)

    cancel = [_cancel_line(first, first["quantity"] - 2)] if first["quantity"] > 2 else []
    cancel += [_cancel_line(line, line["quantity"]) for line in rest]
    payload = _update(store, number, cancelLines=cancel)

    assert payload == {"order": {"status": "SHIPPED"}, "userErrors": []}
    events = [
        (event["objectType"], event["changeType"], event["objectReference"])
        for event in gql(store, EVENTS)["events"]
    ]
    assert events[:2] == [("Order", "UPDATED", number), ("Order", "COMPLETED", number)]
    assert {event[0] for event in events[2:]} == {"ProductSize"}


def test_whole_order_cancel_keeps_lines_releases_stock_and_is_irreversible(store):
    number = _numbers(store)[0]
    order = _order(store, number)
    line = order["lines"][0]
    free, allocated = _stock(store, number, line["id"])

    payload = _cancel(store, number, comment="Out of stock", cancelAuthorization=True)
    again = _cancel(store, number)

    assert payload == {"order": {"status": "CANCELLED"}, "userErrors": []}
    assert _order(store, number)["lines"] == order["lines"]
    assert _stock(store, number, line["id"]) == (
        free + line["quantity"],
        allocated - line["quantity"],
    )
    assert "Create a return and refund instead" in again["userErrors"][0]["message"]


def test_whole_order_cancel_can_remove_units_from_stock(store):
    number = _numbers(store)[0]
    line = _order(store, number)["lines"][0]
    free, allocated = _stock(store, number, line["id"])

    payload = _cancel(store, number, stockAction={"removeItemsFromStock": True})

    assert payload["userErrors"] == []
    assert _stock(store, number, line["id"]) == (free, allocated - line["quantity"])


def test_whole_order_cancel_is_refused_after_capture(store):
    number = _numbers(store)[0]
    line = _order(store, number)["lines"][0]
    gql(store, SHIP, {"number": number, "line": line["id"], "quantity": 1})

    payload = _cancel(store, number)

    assert payload["order"]["status"] == "PROCESSING"
    assert "without captures or shipped units" in payload["userErrors"][0]["message"]


def test_wholesale_orders_are_refused(store):
    # The generator makes retail orders only; one moved to the wholesale store stands in.
    number = _numbers(store)[0]
    store.app.db.execute("UPDATE orders SET storeId = 2 WHERE number = ?", (number,))
    store.app.db.commit()

    update = _update(store, number, internalComment="x")
    cancel = _cancel(store, number)

    for payload in (update, cancel):
        assert payload["order"] is None
        assert "is a WHOLESALE order" in payload["userErrors"][0]["message"]
