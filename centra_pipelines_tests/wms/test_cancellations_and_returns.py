"""WMS cancellations and received returns reach Centra; return notices reach the WMS."""

from centra_pipelines.wms.cancellations import (
    wms_cancellations_plan,
    wms_cancellations_sent_to_centra,
)
from centra_pipelines.wms.returns import (
    wms_return_notices_plan,
    wms_return_notices_sent_to_wms,
    wms_returns_plan,
    wms_returns_sent_to_centra,
)
from centra_pipelines_tests.wms.helpers import metadata, resync_order, run_assets
from demo.wms_files import (
    drop_cancellation_file,
    drop_returns_file,
    outgoing_files,
    shipped_order,
    unshipped_order,
)

ORDER = """
query Order($number: Int!) {
  order(number: $number) {
    status
    lines(includeFullyCancelled: true) { productSize { SKU } quantity cancelledQuantity }
    ... on DirectToConsumerOrder { returns { id returnStatus totalQuantity } }
  }
}
"""
CREATE_RETURN = """
mutation Return($input: ReturnCreateInput!) {
  createReturn(input: $input) { return { id } userErrors { message } }
}
"""


def in_centra(synced, number: int) -> dict:
    return synced.client().execute(ORDER, variables={"number": number})["order"]


def cancel(wms):
    return run_assets(wms, wms_cancellations_plan, wms_cancellations_sent_to_centra)


def receive(wms):
    return run_assets(wms, wms_returns_plan, wms_returns_sent_to_centra)


def test_a_wms_line_cancellation_reaches_centra_once(wms):
    synced, folder, _ = wms
    number, lines = unshipped_order(synced.warehouse)
    sku, quantity = lines[0]
    drop_cancellation_file(folder, "cancellation-1.csv", number, [(sku, 1)])

    first = cancel(wms)
    second = cancel(wms)

    assert first.success and second.success
    line = next(x for x in in_centra(synced, number)["lines"] if x["productSize"]["SKU"] == sku)
    assert (line["quantity"], line["cancelledQuantity"]) == (quantity - 1, 1)
    assert metadata(second, "wms__cancellations_sent_to_centra")["sent"] == 0


def test_a_wms_whole_order_cancellation_cancels_the_order(wms):
    synced, folder, _ = wms
    number, _ = unshipped_order(synced.warehouse)
    drop_cancellation_file(folder, "cancellation-2.csv", number, [(None, None)])

    assert cancel(wms).success

    assert in_centra(synced, number)["status"] == "CANCELLED"


def test_cancelling_more_than_is_left_is_held_by_the_check(wms):
    synced, folder, _ = wms
    number, lines = unshipped_order(synced.warehouse)
    sku, quantity = lines[0]
    drop_cancellation_file(folder, "cancellation-3.csv", number, [(sku, quantity + 1)])

    result = cancel(wms)

    check = result.get_asset_check_evaluations()[0]
    assert not check.passed and "left to ship" in check.metadata["reasons"].value
    assert in_centra(synced, number)["status"] == "CONFIRMED"


def test_a_received_return_is_created_and_completed_once(wms):
    synced, folder, _ = wms
    number, lines = shipped_order(synced.warehouse)
    sku, _ = lines[0]
    drop_returns_file(folder, "RMA-1", number, [(sku, 1)])

    first = receive(wms)
    drop_returns_file(folder, "RMA-1", number, [(sku, 1)])  # the WMS sends the file again
    second = receive(wms)

    assert first.success and second.success
    returns = in_centra(synced, number)["returns"]
    assert [(r["returnStatus"], r["totalQuantity"]) for r in returns] == [("COMPLETED", 1)]


def announced_return(synced) -> tuple[int, int, str]:
    """A pending return created in Centra on its order's day, then synced: (id, order, SKU)."""
    number, _ = shipped_order(synced.warehouse)
    shipment_line, shipment, sku = synced.warehouse.fetch(
        "SELECT sl.shipment_line_id, sl.shipment_id, l.sku FROM centra_raw.shipment_lines sl "
        "JOIN centra_raw.order_lines l ON l.line_id = sl.order_line_id "
        f"WHERE sl.order_number = {number} ORDER BY 1 LIMIT 1"
    )[0]
    return_input = {
        "shipment": {"id": shipment},
        "lines": [{"shipmentLine": {"id": shipment_line}, "quantity": 1}],
        "returnStockActionPolicy": {"releaseItemsBackToWarehouse": True},
        # Inside the order's partition, so the order sync reads the return back.
        "createdAt": f"{synced.order(number)['day']:%Y-%m-%d} 23:00:00",
    }
    created = synced.client().mutate(
        CREATE_RETURN, payload_field="createReturn", variables={"input": return_input}
    )
    resync_order(synced, number)
    return created["return"]["id"], number, sku


def test_a_notice_goes_to_the_wms_and_its_return_is_completed_not_created(wms):
    synced, folder, _ = wms
    return_id, number, sku = announced_return(synced)
    notices = run_assets(wms, wms_return_notices_plan, wms_return_notices_sent_to_wms)
    again = run_assets(wms, wms_return_notices_plan, wms_return_notices_sent_to_wms)
    [notice] = outgoing_files(folder, f"return-notice-{return_id}-").values()
    before = len(in_centra(synced, number)["returns"])

    drop_returns_file(folder, "RMA-2", number, [(sku, 1)], return_id=return_id)
    assert receive(wms).success

    assert notices.success and again.success
    assert metadata(again, "wms__return_notices_sent_to_wms")["sent"] == 0
    assert {row["SKU"] for row in notice} >= {sku}
    returns = {r["id"]: r["returnStatus"] for r in in_centra(synced, number)["returns"]}
    assert len(returns) == before and returns[return_id] == "COMPLETED"


def test_the_plans_alone_send_nothing(wms):
    synced, folder, _ = wms
    number, lines = shipped_order(synced.warehouse)
    drop_returns_file(folder, "RMA-3", number, [lines[0]])

    result = run_assets(wms, wms_returns_plan, wms_return_notices_plan)

    assert result.success
    assert metadata(result, "wms__returns_plan")["would_send"] >= 1
    assert in_centra(synced, number)["returns"] == []
    assert outgoing_files(folder, "") == {}
