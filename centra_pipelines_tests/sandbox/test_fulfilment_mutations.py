"""Shipment and return mutations (digest §5.4, §5.5, §6): writes, refusals, reads and events."""

from collections.abc import Iterator

import pytest

from centra_pipelines_tests.sandbox.conftest import gql, post
from centra_pipelines_tests.sandbox.webhook_receiver import Receiver
from centra_sandbox import WebhookSettings

ORDER = """query Order($number: Int!) { order(number: $number) { ... on DirectToConsumerOrder {
  status updatedAt lines { id quantity returnedQuantity }
  shipments { id number isGoodToGo isShipped isPaid shippedAt trackingNumber numberOfPackages
    carrierInformation { carrierName serviceName } lines { id quantity orderLine { id } }
    ... on DirectToConsumerShipment { internalShippingCost { value currency { code } } } }
  returns { id returnStatus returnedToStock totalQuantity
    ... on DirectToConsumerReturn { comment externalId } } } } }"""
CREATE = """mutation Create($input: ShipmentCreateInput!) { createShipment(input: $input) {
  shipment { id number isGoodToGo isPaid } userErrors { message path } userWarnings { message } }
}"""
UPDATE = """mutation Update($id: Int!, $input: ShipmentUpdateInput!) {
  updateShipment(id: $id, input: $input) { shipment { id isGoodToGo isPaid trackingNumber }
  userErrors { message path } } }"""
COMPLETE = """mutation Complete($id: Int!, $input: ShipmentCompleteInput) {
  completeShipment(id: $id, input: $input) { shipment { id isShipped shippedAt trackingNumber }
  userErrors { message path } } }"""
CREATE_RETURN = """mutation Return($input: ReturnCreateInput!) { createReturn(input: $input) {
  return { id returnStatus returnedToStock totalQuantity lines { quantity shipmentLine { id } } }
  userErrors { message path } } }"""
COMPLETE_RETURN = """mutation Done($id: Int!) { completeReturn(id: $id, input: {sendEmail: false}) {
  return { id returnStatus } userErrors { message path } } }"""
LISTEN = """mutation { setEventListeners(input: [{objectType: Order}, {objectType: Shipment},
  {objectType: Return}, {objectType: PaymentHistoryEntry}, {objectType: ProductSize}]) {
  userErrors { message } } }"""
EVENTS = """{ events(limit: 200) { objectType changeType objectReference } }"""
STOCK = """query Stock($warehouse: Int!, $size: Int!) { warehouses(where: {id: [$warehouse]}) {
  stock(where: {productSizeId: [$size]}) { freeToAllocateQuantity } } }"""


def _order(sandbox, number: int) -> dict:
    return gql(sandbox, ORDER, {"number": number})["order"]


def _confirmed(sandbox, min_quantity: int = 1) -> int:
    """A CONFIRMED order, not on hold or locked, with a line of at least `min_quantity` units."""
    return sandbox.app.db.scalar(
        "SELECT MIN(o.number) FROM orders o JOIN orderLines l ON l.orderNumber = o.number "
        "WHERE o.status = 'CONFIRMED' AND o.isOnHold = 0 AND o.isLocked = 0 "
        "AND l.quantity >= ? AND NOT EXISTS (SELECT 1 FROM shipments s "
        "WHERE s.orderNumber = o.number)",
        (min_quantity,),
    )


def _events(sandbox) -> list[tuple]:
    return [
        (e["objectType"], e["changeType"], e["objectReference"])
        for e in gql(sandbox, EVENTS)["events"]
    ]


def _create(sandbox, **input_fields) -> dict:
    return gql(sandbox, CREATE, {"input": input_fields})["createShipment"]


def _ship_everything(sandbox, number: int) -> dict:
    """A shipped shipment of every unit of the order, made through the API."""
    shipment = _create(sandbox, order={"number": number}, isGoodToGo=True, isPaid=True)
    assert shipment["userErrors"] == []
    gql(sandbox, COMPLETE, {"id": shipment["shipment"]["id"], "input": {}})
    return _order(sandbox, number)


def test_create_shipment_of_some_lines_with_info(make_sandbox):
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox, min_quantity=2)
    before = _order(sandbox, number)
    line = next(line for line in before["lines"] if line["quantity"] >= 2)
    gql(sandbox, LISTEN)
    info = {
        "carrier": "PostNord",
        "service": "MyPack Home",
        "packagesNumber": 2,
        "trackingNumber": "PN123",
        "internalShippingCost": {"value": 49.5},
    }

    payload = _create(
        sandbox,
        order={"id": _order_id(sandbox, number)},
        lines=[{"orderLine": {"id": line["id"]}, "quantity": 1}],
        isGoodToGo=True,
        shipmentInfo=info,
    )

    assert payload["userErrors"] == [] and payload["shipment"]["isGoodToGo"] is True
    after = _order(sandbox, number)
    [shipment] = after["shipments"]
    assert shipment["number"] == f"{number}-1"
    assert [(row["orderLine"]["id"], row["quantity"]) for row in shipment["lines"]] == [
        (line["id"], 1)
    ]
    assert shipment["carrierInformation"] == {
        "carrierName": "PostNord",
        "serviceName": "MyPack Home",
    }
    assert (shipment["trackingNumber"], shipment["numberOfPackages"]) == ("PN123", 2)
    assert shipment["internalShippingCost"]["value"] == 49.5
    assert after["status"] == "PROCESSING" and after["updatedAt"] > before["updatedAt"]
    assert _events(sandbox) == [
        ("Order", "UPDATED", number),
        ("Shipment", "CREATED", shipment["id"]),
    ]


def _order_id(sandbox, number: int) -> str:
    return sandbox.app.db.scalar("SELECT id FROM orders WHERE number = ?", (number,))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"status": "PENDING"}, "Centra ships only CONFIRMED or PROCESSING orders"),
        ({"isOnHold": 1}, "on hold: True"),
        ({"isLocked": 1}, "locked: True"),
    ],
)
def test_create_shipment_refuses_orders_centra_would_not_ship(make_sandbox, change, message):
    """Order must be confirmed, not locked, not on hold (digest §5.4)."""
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox)
    column, value = next(iter(change.items()))
    sandbox.control.update_order(number, **{column: value})

    payload = _create(sandbox, order={"number": number})

    assert payload["shipment"] is None
    assert message in payload["userErrors"][0]["message"]
    assert payload["userErrors"][0]["path"] == ["input", "order"]
    assert _order(sandbox, number)["shipments"] == []


def test_create_shipment_refuses_more_than_unshipped_and_bad_lines(make_sandbox):
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox)
    line = _order(sandbox, number)["lines"][0]

    too_many = _create(
        sandbox,
        order={"number": number},
        lines=[{"orderLine": {"id": line["id"]}, "quantity": line["quantity"] + 1}],
    )
    unknown = _create(
        sandbox, order={"number": number}, lines=[{"orderLine": {"id": 1}, "quantity": 1}]
    )
    empty = _create(sandbox, order={"number": number}, lines=[])
    other_currency = _create(
        sandbox,
        order={"number": number},
        shipmentInfo={"internalShippingCost": {"value": 5, "currencyIsoCode": "JPY"}},
    )

    assert too_many["userErrors"] == [
        {
            "message": f"Can ship 1 to {line['quantity']} of line {line['id']} (unshipped "
            f"quantity); got {line['quantity'] + 1}.",
            "path": ["input", "lines", "0", "quantity"],
        }
    ]
    assert unknown["userErrors"][0]["path"] == ["input", "lines", "0", "orderLine", "id"]
    assert empty["userErrors"][0]["message"].startswith("lines is empty")
    assert "does not match order" in other_currency["userErrors"][0]["message"]
    assert _order(sandbox, number)["shipments"] == []


def test_update_shipment_info_flags_and_refusals_once_shipped(make_sandbox):
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox)
    shipment_id = _create(sandbox, order={"number": number})["shipment"]["id"]
    gql(sandbox, LISTEN)

    updated = gql(
        sandbox,
        UPDATE,
        {
            "id": shipment_id,
            "input": {"isGoodToGo": True, "shipmentInfo": {"trackingNumber": "T1"}},
        },
    )["updateShipment"]
    gql(sandbox, COMPLETE, {"id": shipment_id, "input": {}})
    refused = gql(
        sandbox, UPDATE, {"id": shipment_id, "input": {"isGoodToGo": False, "shipmentInfo": {}}}
    )["updateShipment"]
    missing = gql(sandbox, UPDATE, {"id": 999999, "input": {"isPaid": True}})["updateShipment"]

    assert updated["shipment"] == {
        "id": shipment_id,
        "isGoodToGo": True,
        "isPaid": False,
        "trackingNumber": "T1",
    }
    assert [error["path"] for error in refused["userErrors"]] == [
        ["input", "shipmentInfo"],
        ["input", "isGoodToGo"],
    ]
    assert missing["userErrors"] == [
        {"message": "Could not find Shipment with ID 999999.", "path": ["id"]}
    ]
    assert _events(sandbox)[:2] == [
        ("Order", "UPDATED", number),
        ("Shipment", "UPDATED", shipment_id),
    ]


def test_complete_shipment_then_paid_makes_the_order_shipped(make_sandbox):
    """The order is SHIPPED when every unit is in a shipped and paid shipment (digest §6.5)."""
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox)
    shipment_id = _create(sandbox, order={"number": number}, isGoodToGo=True)["shipment"]["id"]
    gql(sandbox, LISTEN)

    completed = gql(
        sandbox,
        COMPLETE,
        {
            "id": shipment_id,
            "input": {"shippedAt": "-1 hour", "shipmentInfo": {"trackingNumber": "Z9"}},
        },
    )["completeShipment"]
    status_unpaid = _order(sandbox, number)["status"]
    gql(sandbox, UPDATE, {"id": shipment_id, "input": {"isPaid": True}})
    twice = gql(sandbox, COMPLETE, {"id": shipment_id})["completeShipment"]

    assert completed["userErrors"] == []
    assert completed["shipment"]["isShipped"] is True
    assert completed["shipment"]["trackingNumber"] == "Z9"
    assert status_unpaid == "PROCESSING"
    assert _order(sandbox, number)["status"] == "SHIPPED"
    assert "already shipped" in twice["userErrors"][0]["message"]
    assert _events(sandbox) == [
        ("Order", "UPDATED", number),
        ("Shipment", "UPDATED", shipment_id),
        ("Shipment", "COMPLETED", shipment_id),
        ("Order", "UPDATED", number),
        ("Order", "COMPLETED", number),
        ("Shipment", "UPDATED", shipment_id),
    ]


def test_complete_shipment_refuses_a_future_date(make_sandbox):
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox)
    shipment_id = _create(sandbox, order={"number": number})["shipment"]["id"]

    payload = gql(sandbox, COMPLETE, {"id": shipment_id, "input": {"shippedAt": "+1 day"}})[
        "completeShipment"
    ]

    assert payload["userErrors"] == [
        {"message": "shippedAt may not be in the future.", "path": ["input", "shippedAt"]}
    ]
    assert payload["shipment"]["isShipped"] is False


def test_create_shipment_with_capture_records_the_payment(make_sandbox):
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox)
    gql(sandbox, LISTEN)

    payload = _create(sandbox, order={"number": number}, capture=True, isPaid=False)

    assert payload["shipment"]["isPaid"] is True
    kinds = [(kind, change) for kind, change, _ in _events(sandbox)]
    assert kinds == [
        ("Order", "UPDATED"),
        ("Shipment", "CREATED"),
        ("PaymentHistoryEntry", "CREATED"),
    ]


def test_create_return_restocks_and_completes(make_sandbox):
    sandbox = make_sandbox(orders=40)
    number = _confirmed(sandbox)
    order = _ship_everything(sandbox, number)
    shipment = order["shipments"][0]
    shipment_line = shipment["lines"][0]
    size_id = sandbox.app.db.scalar(
        "SELECT productSizeId FROM orderLines WHERE id = ?", (shipment_line["orderLine"]["id"],)
    )
    stock_before = _fta(sandbox, 1, size_id)
    gql(sandbox, LISTEN)

    created = gql(
        sandbox,
        CREATE_RETURN,
        {
            "input": {
                "shipment": {"id": shipment["id"]},
                "lines": [{"shipmentLine": {"id": shipment_line["id"]}, "quantity": 1}],
                "returnStockActionPolicy": {"releaseItemsBackToWarehouse": True},
                "comment": "Too small",
                "externalId": "RMA-1",
            }
        },
    )["createReturn"]
    return_id = created["return"]["id"]
    done = gql(sandbox, COMPLETE_RETURN, {"id": return_id})["completeReturn"]
    again = gql(sandbox, COMPLETE_RETURN, {"id": return_id})["completeReturn"]

    assert created["userErrors"] == []
    assert created["return"] | {"id": 0} == {
        "id": 0,
        "returnStatus": "PENDING",
        "returnedToStock": True,
        "totalQuantity": 1,
        "lines": [{"quantity": 1, "shipmentLine": {"id": shipment_line["id"]}}],
    }
    assert _fta(sandbox, 1, size_id) == stock_before + 1
    after = _order(sandbox, number)
    [row] = after["returns"]
    assert (row["comment"], row["externalId"], row["returnStatus"]) == (
        "Too small",
        "RMA-1",
        "COMPLETED",
    )
    returned = next(
        line for line in after["lines"] if line["id"] == shipment_line["orderLine"]["id"]
    )
    assert returned["returnedQuantity"] == 1
    assert done["return"]["returnStatus"] == "COMPLETED"
    assert again["userErrors"][0]["message"] == (
        f"Return {return_id} is already COMPLETED; it cannot be completed again."
    )
    assert _events(sandbox) == [
        ("Order", "UPDATED", number),
        ("Return", "CREATED", return_id),
        ("ProductSize", "UPDATED", size_id),
        ("Order", "UPDATED", number),
        ("Return", "UPDATED", return_id),
        ("Return", "COMPLETED", return_id),
    ]


def _fta(sandbox, warehouse_id: int, size_id: int) -> int:
    rows = gql(sandbox, STOCK, {"warehouse": warehouse_id, "size": size_id})["warehouses"][0]
    return rows["stock"][0]["freeToAllocateQuantity"] if rows["stock"] else 0


def test_create_return_refusals(make_sandbox):
    sandbox = make_sandbox(orders=80)
    number = _confirmed(sandbox)
    unshipped = _create(sandbox, order={"number": number})["shipment"]["id"]
    other = _confirmed(sandbox)
    shipped = _ship_everything(sandbox, other)["shipments"][0]
    line = shipped["lines"][0]

    def create(shipment: dict, quantity: int, policy: dict) -> list[dict]:
        input_value = {
            "shipment": shipment,
            "lines": [{"shipmentLine": {"id": line["id"]}, "quantity": quantity}],
            "returnStockActionPolicy": policy,
        }
        return gql(sandbox, CREATE_RETURN, {"input": input_value})["createReturn"]["userErrors"]

    not_shipped = create({"id": unshipped}, 1, {"removeItemsFromStock": True})
    too_many = create({"id": shipped["id"]}, line["quantity"] + 1, {"removeItemsFromStock": True})
    two_policies = create(
        {"id": shipped["id"]},
        1,
        {"removeItemsFromStock": True, "releaseItemsBackToWarehouse": True},
    )
    unknown_external = create({"externalId": "RMA-X"}, 1, {"removeItemsFromStock": True})

    assert "is not shipped" in not_shipped[0]["message"]
    assert too_many[0]["path"] == ["input", "lines", "0", "quantity"]
    assert two_policies[0]["path"] == ["input", "returnStockActionPolicy"]
    assert unknown_external == [
        {
            "message": "Could not find Shipment with ID RMA-X.",
            "path": ["input", "shipment", "externalId"],
        }
    ]
    assert _order(sandbox, other)["returns"] == []


def test_shipment_and_return_mutations_need_write_permissions(make_sandbox):
    sandbox = make_sandbox(orders=20, tokens={"reader": ["Shipment:read", "Return:read"]})

    shipment = post(sandbox, CREATE, {"input": {"order": {"number": 39790}}}, token="reader")
    refund = post(sandbox, COMPLETE_RETURN, {"id": 1}, token="reader")

    assert shipment.json()["errors"][0]["message"] == (
        "You need Shipment:write permission to access createShipment."
    )
    assert refund.json()["errors"][0]["message"] == (
        "You need Return:write permission to access completeReturn."
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def test_our_own_shipment_comes_back_as_a_webhook(make_sandbox, receiver):
    """An integration must recognise its own writes: they are announced like any change."""
    sandbox = make_sandbox(orders=40, webhook=WebhookSettings(url=receiver.url))
    number = _confirmed(sandbox)

    shipment_id = _create(sandbox, order={"number": number}, isGoodToGo=True)["shipment"]["id"]
    sandbox.webhooks.flush(timeout=5)

    events = [
        (e["type"], e["action"], e["id"]) for c in receiver.calls for e in c.payload["events"]
    ]
    assert events == [
        ("order", "update", number),
        ("shipment", "create", shipment_id),
        ("shipment", "good_to_go", shipment_id),
    ]
