"""Shipments, returns and customer edits on request: rows stay consistent with the generator."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from centra_pipelines_tests.sandbox.conftest import gql
from centra_sandbox import StoreError

ORDER = """query Order($number: Int!) { order(number: $number) { ... on DirectToConsumerOrder {
  status updatedAt grandTotal { value }
  lines { id quantity returnedQuantity }
  shipments { id number isGoodToGo isShipped isPaid shippedAt trackingNumber
    carrierInformation { carrierName } grandTotal { value } lines { quantity orderLine { id } } }
  paymentHistory { entryType status value { value } }
  returns { id returnStatus totalQuantity lines { quantity orderLine { id } shipmentLine { id } }
    ... on DirectToConsumerReturn { shipment { id } } } } } }"""
CUSTOMER = """{ customers(where: {id: 4}) { firstName newsletter gender updatedAt } }"""
EXAMPLE_ORDER = 39790
# A PROCESSING order with fees, a packed, unshipped shipment and units in no shipment yet.
_PARTLY_SHIPPED = (
    "SELECT MIN(o.number) FROM orders o WHERE o.status = 'PROCESSING' "
    "AND o.shippingCents + o.handlingCents + o.discountCents > 0 "
    "AND EXISTS (SELECT 1 FROM shipments s WHERE s.orderNumber = o.number AND s.isShipped = 0) "
    "AND (SELECT SUM(quantity) FROM orderLines WHERE orderNumber = o.number) > "
    "(SELECT SUM(sl.quantity) FROM shipmentLines sl JOIN shipments s ON s.id = sl.shipmentId "
    "WHERE s.orderNumber = o.number)"
)


def _order(sandbox, number: int) -> dict:
    return gql(sandbox, ORDER, {"number": number})["order"]


def _confirmed(sandbox) -> int:
    return sandbox.app.db.scalar(
        "SELECT MIN(number) FROM orders WHERE status = 'CONFIRMED' AND isOnHold = 0"
    )


def test_create_shipment_ships_every_open_unit_of_a_confirmed_order(make_sandbox):
    sandbox = make_sandbox(orders=20)
    number = _confirmed(sandbox)
    before = _order(sandbox, number)

    shipment_id = sandbox.control.create_shipment(number)

    after = _order(sandbox, number)
    [shipment] = after["shipments"]
    assert (shipment["id"], shipment["number"]) == (shipment_id, f"{number}-1")
    assert (shipment["isGoodToGo"], shipment["isShipped"], shipment["isPaid"]) == (
        True,
        False,
        False,
    )
    shipped = {line["orderLine"]["id"]: line["quantity"] for line in shipment["lines"]}
    assert shipped == {line["id"]: line["quantity"] for line in before["lines"]}
    # The first shipment carries shipping, handling and the voucher: it is worth the order.
    assert shipment["grandTotal"] == after["grandTotal"]
    assert after["status"] == "PROCESSING"
    assert after["updatedAt"] > before["updatedAt"]
    with pytest.raises(StoreError, match="no unshipped units"):
        sandbox.control.create_shipment(number)


def test_create_shipment_refuses_pending_orders(make_sandbox):
    sandbox = make_sandbox(orders=20)
    pending = sandbox.app.db.scalar("SELECT MIN(number) FROM orders WHERE status = 'PENDING'")

    with pytest.raises(StoreError, match="confirmOrder it first"):
        sandbox.control.create_shipment(pending)


def test_example_order_ships_its_four_open_units_in_a_second_shipment(make_sandbox):
    """Order 39790 of the digest: 5 of its 9 units shipped in 39790-1, 4 still open."""
    sandbox = make_sandbox(orders=20)

    shipment_id = sandbox.control.create_shipment(EXAMPLE_ORDER, good_to_go=False)
    packed = _order(sandbox, EXAMPLE_ORDER)
    sandbox.control.ship_shipment(shipment_id, tracking_number="TRK-2", carrier_name="Budbee")
    done = _order(sandbox, EXAMPLE_ORDER)

    shipment = next(row for row in packed["shipments"] if row["id"] == shipment_id)
    assert shipment["number"] == f"{EXAMPLE_ORDER}-2"
    assert [line["quantity"] for line in shipment["lines"]] == [4]
    assert shipment["grandTotal"]["value"] == 4 * 675.0
    assert (shipment["isGoodToGo"], shipment["isShipped"]) == (False, False)
    shipped = next(row for row in done["shipments"] if row["id"] == shipment_id)
    assert (shipped["isGoodToGo"], shipped["isShipped"], shipped["isPaid"]) == (True,) * 3
    assert shipped["shippedAt"] is not None and shipped["trackingNumber"] == "TRK-2"
    assert shipped["carrierInformation"] == {"carrierName": "Budbee"}
    assert done["status"] == "SHIPPED"
    with pytest.raises(StoreError, match="already shipped"):
        sandbox.control.ship_shipment(shipment_id, tracking_number="X", carrier_name="X")


def test_order_stays_processing_until_its_last_shipment_ships(make_sandbox):
    """Fees ride on the first shipment only, so the shipments add up to the order."""
    sandbox = make_sandbox(orders=200)
    number = sandbox.app.db.scalar(_PARTLY_SHIPPED)
    waiting = next(
        row["id"] for row in _order(sandbox, number)["shipments"] if not row["isShipped"]
    )

    new = sandbox.control.create_shipment(number)
    sandbox.control.ship_shipment(new, tracking_number="TRK-A", carrier_name="DHL")
    partly = _order(sandbox, number)
    sandbox.control.ship_shipment(waiting, tracking_number="TRK-B", carrier_name="DHL")
    done = _order(sandbox, number)

    assert partly["status"] == "PROCESSING"
    assert done["status"] == "SHIPPED"
    totals = {row["id"]: row["grandTotal"]["value"] for row in done["shipments"]}
    assert round(sum(totals.values()), 2) == done["grandTotal"]["value"]
    captures = [
        entry["value"]["value"]
        for entry in done["paymentHistory"]
        if entry["entryType"] in ("CAPTURE", "CAPTURE_REQUEST")
    ]
    assert captures[-2:] == [totals[new], totals[waiting]]


def test_create_return_takes_back_one_shipped_unit(make_sandbox):
    sandbox = make_sandbox(orders=20)
    number = sandbox.app.db.scalar(
        "SELECT MIN(number) FROM orders WHERE status = 'SHIPPED' "
        "AND number NOT IN (SELECT orderNumber FROM returns)"
    )
    before = _order(sandbox, number)

    return_id = sandbox.control.create_return(number)

    after = _order(sandbox, number)
    [returned] = after["returns"]
    line_id = returned["lines"][0]["orderLine"]["id"]
    assert (returned["id"], returned["returnStatus"], returned["totalQuantity"]) == (
        return_id,
        "PENDING",
        1,
    )
    assert returned["shipment"]["id"] in {shipment["id"] for shipment in after["shipments"]}
    assert returned["lines"][0]["shipmentLine"] is not None
    returned_before = {line["id"]: line["returnedQuantity"] for line in before["lines"]}
    returned_after = {line["id"]: line["returnedQuantity"] for line in after["lines"]}
    assert returned_after[line_id] == returned_before[line_id] + 1
    assert after["updatedAt"] > before["updatedAt"]


def test_create_return_needs_a_shipped_unit(make_sandbox):
    sandbox = make_sandbox(orders=20)

    with pytest.raises(StoreError, match="no shipped unit left"):
        sandbox.control.create_return(_confirmed(sandbox))


def test_refund_records_a_successful_refund_entry_on_the_order(make_sandbox):
    sandbox = make_sandbox(orders=20)
    number = sandbox.app.db.scalar(
        "SELECT MIN(number) FROM orders WHERE status = 'SHIPPED' "
        "AND number NOT IN (SELECT orderNumber FROM payments WHERE entryType = 'REFUND')"
    )
    return_id = sandbox.control.create_return(number)
    before = _order(sandbox, number)
    at = datetime(2026, 11, 20, 12, tzinfo=UTC)

    sandbox.control.refund(number, Decimal("10.50"), at, return_id=return_id)
    sandbox.control.refund(number)

    after = _order(sandbox, number)
    refunds = [e for e in after["paymentHistory"] if e["entryType"] == "REFUND"]
    total = after["grandTotal"]["value"]
    assert [(e["status"], e["value"]["value"]) for e in refunds] == [
        ("SUCCESS", 10.5),
        ("SUCCESS", round(total - 10.5, 2)),
    ]
    stored = sandbox.app.db.one(
        "SELECT createdAt, returnId FROM payments WHERE orderNumber = ? AND entryType = 'REFUND' "
        "ORDER BY id LIMIT 1",
        (number,),
    )
    assert (stored["createdAt"], stored["returnId"]) == (int(at.timestamp()), return_id)
    assert after["updatedAt"] > before["updatedAt"]
    with pytest.raises(StoreError, match="can be refunded up to 0"):
        sandbox.control.refund(number, Decimal("0.01"))


def test_update_customer_sets_fields_and_bumps_updated_at(make_sandbox):
    sandbox = make_sandbox(orders=20)
    before = gql(sandbox, CUSTOMER)["customers"][0]

    sandbox.control.update_customer(4, firstName="Märta", newsletter=True, gender="OTHER")

    after = gql(sandbox, CUSTOMER)["customers"][0]
    assert (after["firstName"], after["newsletter"], after["gender"]) == ("Märta", True, "OTHER")
    assert after["updatedAt"] > before["updatedAt"]
    with pytest.raises(StoreError, match="cannot set"):
        sandbox.control.update_customer(4, email_verified=True)
    with pytest.raises(StoreError, match="gender"):
        sandbox.control.update_customer(4, gender="ROBOT")
