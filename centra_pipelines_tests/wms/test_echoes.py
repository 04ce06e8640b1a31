"""What the WMS asked Centra for comes back through the event queue and goes nowhere.

Each test goes the real way round: a WMS file, `wms_sync` writing to the sandbox, the sandbox
queueing events, the event queue sensor's tick running the order sync, then `wms_sync` again.
"""

from datetime import UTC, datetime, time

import dagster as dg
import pytest

from centra_pipelines.centra.automation.event_queue_sensor import SENSOR_NAME as EVENTS
from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.definitions import defs
from centra_pipelines_tests.wms.helpers import metadata
from demo.wms_files import (
    drop_cancellation_file,
    drop_returns_file,
    outgoing_files,
    shipped_order,
    unshipped_order,
)

CANCEL_LINE = """
mutation CancelInCentra($number: Int!, $line: Int!) {
  updateDirectToConsumerOrder(order: {number: $number},
      input: {cancelLines: [{line: {id: $line}, quantity: 1}]}) {
    order { status } userErrors { message } } }
"""


def wms_sync(synced) -> dg.ExecuteInProcessResult:
    synced.warehouse.close()
    job = defs.resolve_job_def("wms_sync")
    return job.execute_in_process(instance=synced.instance, raise_on_error=False)


def land_changes(synced) -> None:
    """One tick of the event queue sensor, running the syncs of what Centra announced."""
    synced.warehouse.close()
    tick = synced.driver.tick(EVENTS)
    assert tick.run_ids and tick.failed_run_ids == [], tick.skip_reason


def open_line(synced, number: int, skip: int = 0) -> tuple[int, str, int]:
    """(line id, SKU, quantity) of an open line of the order, as the warehouse holds it."""
    return synced.warehouse.fetch(
        "SELECT line_id, sku, quantity FROM centra_raw.order_lines "
        f"WHERE order_number = {number} AND quantity > 0 ORDER BY line_id"
    )[skip]


@pytest.fixture
def given_orders(synced, tmp_path, monkeypatch):
    """The WMS folder the job's resource writes to, after a first run gave the WMS its orders."""
    url = f"file://{tmp_path / 'wms'}"
    monkeypatch.setenv("CENTRA_WMS_FOLDER_URL", url)
    synced.driver.tick(EVENTS)  # sets the listeners: Centra queues what changes after this
    first = wms_sync(synced)
    assert first.success
    assert metadata(first, "wms__orders_sent_to_wms")["sent"] >= 2
    return synced, FileExchange(url=url, create_missing_folders=True)


@pytest.mark.parametrize("whole_order", [False, True], ids=["line", "whole-order"])
def test_a_wms_cancellation_coming_back_from_centra_writes_nothing(given_orders, whole_order):
    synced, folder = given_orders
    number, _ = unshipped_order(synced.warehouse)
    _, sku, quantity = open_line(synced, number)
    row = (None, None) if whole_order else (sku, 1)
    drop_cancellation_file(folder, "cancellation-1.csv", number, [row])

    sent = wms_sync(synced)
    land_changes(synced)
    again = wms_sync(synced)
    third = wms_sync(synced)

    assert sent.success and again.success and third.success
    assert metadata(sent, "wms__cancellations_sent_to_centra")["sent"] == 1
    # The order sync landed Centra's new state in the warehouse...
    status, left = synced.warehouse.fetch(
        "SELECT o.status, l.quantity FROM centra_raw.orders o JOIN centra_raw.order_lines l "
        f"USING (order_number) WHERE o.order_number = {number} AND l.sku = '{sku}'"
    )[0]
    assert (status, left) == ("CANCELLED", quantity) if whole_order else left == quantity - 1
    # ...and no run after it wrote the WMS's own cancellation back to it, or sent anything.
    assert outgoing_files(folder, f"order-update-{number}-") == {}
    assert outgoing_files(folder, f"order-cancel-{number}-") == {}
    for run in (again, third):
        assert metadata(run, "wms__orders_sent_to_wms")["sent"] == 0
        assert metadata(run, "wms__cancellations_sent_to_centra")["sent"] == 0
    assert [metadata(run, "wms__orders_plan")["echoes"] for run in (again, third)] == [1, 0]


def test_a_cancellation_made_in_centra_still_reaches_the_wms(given_orders):
    synced, folder = given_orders
    number, _ = unshipped_order(synced.warehouse)
    line, _, _ = open_line(synced, number)

    synced.client().mutate(
        CANCEL_LINE,
        payload_field="updateDirectToConsumerOrder",
        variables={"number": number, "line": line},
    )
    land_changes(synced)
    result = wms_sync(synced)

    assert result.success
    assert metadata(result, "wms__orders_plan")["echoes"] == 0
    [update] = outgoing_files(folder, f"order-update-{number}-").values()
    changed = next(row for row in update if row["LINE"] == str(line))
    assert (changed["ACTION"], changed["CANCELLED"]) == ("UPDATE", "1")


def test_a_wms_cancellation_with_another_made_in_centra_reaches_the_wms(given_orders):
    synced, folder = given_orders
    number = two_line_order(synced, folder)
    wms_line, sku, _ = open_line(synced, number)
    other_line, _, _ = open_line(synced, number, skip=1)
    drop_cancellation_file(folder, "cancellation-2.csv", number, [(sku, 1)])

    assert wms_sync(synced).success
    synced.client().mutate(
        CANCEL_LINE,
        payload_field="updateDirectToConsumerOrder",
        variables={"number": number, "line": other_line},
    )
    land_changes(synced)
    result = wms_sync(synced)

    assert result.success
    assert metadata(result, "wms__orders_plan")["echoes"] == 0
    # An update, or a cancel when the two cancellations left nothing to ship.
    written = outgoing_files(folder, f"order-update-{number}-")
    [rows] = {**written, **outgoing_files(folder, f"order-cancel-{number}-")}.values()
    cancelled = {row["LINE"]: row["CANCELLED"] for row in rows}
    assert (cancelled[str(wms_line)], cancelled[str(other_line)]) == ("1", "1")


def test_a_wms_return_still_pending_in_centra_gets_no_notice(given_orders):
    synced, folder = given_orders
    number, lines = shipped_order(synced.warehouse)
    # Dated on the order's day: the order sync re-reads returns by the day they were created.
    received = datetime.combine(synced.order(number)["day"], time(23), UTC)
    drop_returns_file(folder, "RMA-ECHO", number, [lines[0]], received_at=received)

    def fail_completion(operation, variables):
        # The status read comes just before completeReturn, which then gets an HTTP 500.
        if operation == "WmsReturnStatus":
            synced.sandbox.faults.fail_next(500)

    synced.sandbox.add_request_hook(fail_completion)
    created = wms_sync(synced)
    synced.sandbox.remove_request_hook(fail_completion)
    land_changes(synced)
    statuses = synced.warehouse.fetch(
        f"SELECT return_status FROM centra_raw.returns WHERE order_number = {number}"
    )
    again = wms_sync(synced)

    assert not created.success and statuses == [("PENDING",)]
    assert again.success
    assert outgoing_files(folder, "return-notice-") == {}
    assert metadata(again, "wms__return_notices_plan")["echoes"] == 1
    assert metadata(again, "wms__returns_sent_to_centra")["sent"] == 1  # completed this time


def two_line_order(synced, folder) -> int:
    """An order the WMS got, not shipped, with at least two open lines."""
    numbers = synced.warehouse.fetch(
        "SELECT o.order_number FROM centra_raw.orders o "
        "JOIN centra_raw.order_lines l USING (order_number) "
        "WHERE o.status = 'CONFIRMED' AND NOT o.is_on_hold AND l.quantity > 0 "
        "AND NOT EXISTS (SELECT 1 FROM centra_raw.shipments s "
        "WHERE s.order_number = o.order_number) "
        "GROUP BY 1 HAVING count(*) >= 2 ORDER BY 1"
    )
    return next(n for (n,) in numbers if outgoing_files(folder, f"order-{n}-"))
