"""What the WMS asked Centra for comes back through the event queue and goes nowhere.

Each test goes the real way round: a WMS file, `wms_sync` writing to the sandbox, the sandbox
queueing events, the event queue sensor's tick running the order sync, then `wms_sync` again.
"""

import dagster as dg
import pytest

from centra_pipelines.centra.automation.event_queue_sensor import SENSOR_NAME as EVENTS
from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.definitions import defs
from centra_pipelines_tests.wms.helpers import metadata
from demo.wms_files import (
    drop_cancellation_file,
    outgoing_files,
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
    result = defs.resolve_job_def("wms_sync").execute_in_process(
        instance=synced.instance, raise_on_error=False
    )
    return result


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
def wms(synced, tmp_path, monkeypatch):
    """The WMS folder the job's resource writes to, after a first run gave the WMS its orders."""
    url = f"file://{tmp_path / 'wms'}"
    monkeypatch.setenv("CENTRA_WMS_FOLDER_URL", url)
    synced.driver.tick(EVENTS)  # sets the listeners: Centra queues what changes after this
    first = wms_sync(synced)
    assert first.success
    assert metadata(first, "wms__orders_sent_to_wms")["sent"] >= 2
    return synced, FileExchange(url=url, create_missing_folders=True)


@pytest.mark.parametrize("whole_order", [False, True], ids=["line", "whole-order"])
def test_a_wms_cancellation_coming_back_from_centra_writes_nothing(wms, whole_order):
    synced, folder = wms
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
    # The order sync landed Centra's new state in the warehouse.
    status, left = synced.warehouse.fetch(
        "SELECT o.status, l.quantity FROM centra_raw.orders o JOIN centra_raw.order_lines l "
        f"USING (order_number) WHERE o.order_number = {number} AND l.sku = '{sku}'"
    )[0]
    if whole_order:
        assert (status, left) == ("CANCELLED", quantity)
    else:
        assert left == quantity - 1
    assert metadata(again, "wms__orders_plan")["echoes"] == 1
    for run in (again, third):
        assert metadata(run, "wms__orders_sent_to_wms")["sent"] == 0
        assert metadata(run, "wms__cancellations_sent_to_centra")["sent"] == 0
    assert metadata(third, "wms__orders_plan")["echoes"] == 0
    assert outgoing_files(folder, f"order-update-{number}-") == {}
    assert outgoing_files(folder, f"order-cancel-{number}-") == {}


def test_a_cancellation_made_in_centra_still_reaches_the_wms(wms):
    synced, folder = wms
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
