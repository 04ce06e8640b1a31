"""Orders from Centra reach the WMS folder once each; changes in Centra follow as new files."""

from centra_pipelines.wms.orders import wms_orders_plan, wms_orders_sent_to_wms
from centra_pipelines_tests.wms.helpers import metadata, resync_order, run_assets, sent_lines
from demo.wms_files import outgoing_files, unshipped_order

CANCEL_ONE = """
mutation Cancel($number: Int!, $line: Int!) {
  updateDirectToConsumerOrder(order: {number: $number},
      input: {cancelLines: [{line: {id: $line}, quantity: 1}]}) {
    order { status } userErrors { message } } }
"""
CANCEL_ORDER = """
mutation Cancel($number: Int!) {
  cancelDirectToConsumerOrder(order: {number: $number}) { order { status } userErrors { message } }
}
"""


def run(wms):
    return run_assets(wms, wms_orders_plan, wms_orders_sent_to_wms)


def line_ids(synced, number: int) -> list[int]:
    rows = synced.warehouse.fetch(
        f"SELECT line_id FROM centra_raw.order_lines WHERE order_number = {number} "
        "AND quantity > 0 ORDER BY line_id"
    )
    return [row[0] for row in rows]


def test_open_orders_are_written_once_with_lines_and_ship_to(wms):
    synced, folder, _ = wms
    number, lines = unshipped_order(synced.warehouse)

    first = run(wms)
    second = run(wms)

    assert first.success and second.success
    [(name, rows)] = outgoing_files(folder, f"order-{number}-").items()
    assert {(row["SKU"], int(row["QTY"])) for row in rows} == set(lines)
    assert {row["ACTION"] for row in rows} == {"NEW"}
    assert all(row["SHIP_ADDRESS1"] and row["SHIP_COUNTRY"] for row in rows)
    assert {row["SHIP_METHOD"] for row in rows} <= {"STD", "EXP"}
    assert metadata(first, "wms__orders_sent_to_wms")["sent"] >= 1
    assert metadata(second, "wms__orders_sent_to_wms")["sent"] == 0
    assert metadata(second, "wms__orders_plan")["would_send"] == 0
    sent = metadata(first, "wms__orders_sent_to_wms")["sent"]
    folder_url = folder.display_url
    assert sent_lines(synced, first, "wms__orders_sent_to_wms") == [
        f"orders to the WMS folder {folder_url}: {sent} sent, 0 unchanged, 0 failed"
    ]


def test_lines_then_the_order_cancelled_in_centra_follow_as_update_and_cancel(wms):
    synced, folder, _ = wms
    number, _ = unshipped_order(synced.warehouse)
    assert run(wms).success
    client = synced.client()

    line = line_ids(synced, number)[0]
    client.mutate(
        CANCEL_ONE,
        payload_field="updateDirectToConsumerOrder",
        variables={"number": number, "line": line},
    )
    resync_order(synced, number)
    assert run(wms).success
    client.mutate(
        CANCEL_ORDER, payload_field="cancelDirectToConsumerOrder", variables={"number": number}
    )
    resync_order(synced, number)
    assert run(wms).success

    [update] = outgoing_files(folder, f"order-update-{number}-").values()
    [cancel] = outgoing_files(folder, f"order-cancel-{number}-").values()
    changed = next(row for row in update if row["LINE"] == str(line))
    assert changed["ACTION"] == "UPDATE" and int(changed["CANCELLED"]) >= 1
    assert {row["ACTION"] for row in cancel} == {"CANCEL"}
    assert {row["QTY"] for row in cancel} == {"0"}


def test_an_address_without_street_is_held_by_the_check(wms):
    synced, folder, _ = wms
    number, _ = unshipped_order(synced.warehouse)
    synced.sandbox.app.db.execute(
        "UPDATE addresses SET address1 = NULL "
        "WHERE id = (SELECT shippingAddressId FROM orders WHERE number = ?)",
        (number,),
    )
    synced.sandbox.app.db.commit()

    result = run(wms)

    check = result.get_asset_check_evaluations()[0]
    assert not check.passed and f"{number}" in check.metadata["reasons"].value
    assert "SHIP_ADDRESS1" in check.metadata["reasons"].value
    assert outgoing_files(folder, "order") == {}


def test_the_plan_alone_writes_nothing(wms):
    synced, folder, _ = wms

    result = run_assets(wms, wms_orders_plan)

    assert result.success
    assert metadata(result, "wms__orders_plan")["would_send"] >= 1
    assert outgoing_files(folder, "") == {}
