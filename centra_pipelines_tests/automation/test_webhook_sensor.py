"""Webhooks from Centra reach the warehouse: sandbox → receiver → inbox → sensor → runs."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from centra_pipelines.centra.automation.webhook_sensor import SENSOR_NAME
from centra_pipelines.centra.full_sync import RANGE_END_TAG, RANGE_START_TAG
from centra_pipelines.webhooks import ReceiverSettings, start_receiver
from centra_pipelines_tests.automation.conftest import (
    Synced,
    inbox_url_in,
    run_in_another_process,
    synced_pipeline,
    warehouse_locked,
)
from centra_sandbox.webhooks.settings import WebhookSettings

WEBHOOKS = SENSOR_NAME
SECRET = "webhook-test-secret"


@pytest.fixture
def wired(synced_state, tmp_path, monkeypatch) -> Iterator[Synced]:
    """A synced pipeline whose sandbox sends signed webhooks to a receiver on loopback."""
    settings = ReceiverSettings(secret=SECRET, inbox_url=inbox_url_in(tmp_path), port=0)
    with start_receiver(settings) as receiver:
        webhook = WebhookSettings(url=receiver.url, secret=SECRET, retry_delay_seconds=0.05)
        yield from synced_pipeline(synced_state, tmp_path, monkeypatch, webhook=webhook)


def delivered(synced: Synced) -> None:
    synced.sandbox.webhooks.flush(timeout=30)
    failed = [d for d in synced.sandbox.webhooks.deliveries() if not d.delivered]
    assert failed == [], "the receiver refused deliveries"


def test_an_order_update_reaches_the_warehouse_through_a_webhook(wired):
    number = wired.seeded_orders(1)[0]
    wired.sandbox.control.update_order(number, otherComment="through a webhook")
    delivered(wired)

    tick = wired.driver.tick(WEBHOOKS)

    assert len(tick.run_ids) == 1 and tick.failed_run_ids == []
    assert wired.order(number)["comment"] == "through a webhook"
    assert wired.driver.tick(WEBHOOKS).run_requests == []  # the cursor moved past the event


def test_a_shipment_webhook_refreshes_its_order_partition(wired):
    number = wired.warehouse.fetch(
        "SELECT min(order_number) FROM centra_raw.orders "
        "WHERE status = 'CONFIRMED' AND NOT is_on_hold"
    )[0][0]
    shipment_id = wired.sandbox.control.create_shipment(number)
    wired.sandbox.control.ship_shipment(
        shipment_id, tracking_number="TRACK-4711", carrier_name="PostNord"
    )
    delivered(wired)

    tick = wired.driver.tick(WEBHOOKS)

    assert tick.failed_run_ids == []
    stored = wired.warehouse.fetch(
        f"SELECT tracking_number FROM centra_raw.shipments WHERE shipment_id = {shipment_id}"
    )
    assert stored == [("TRACK-4711",)]


def test_a_burst_while_a_run_writes_loses_no_event_and_refreshes_every_partition(wired, tmp_path):
    numbers = wired.warehouse.fetch(
        "SELECT order_number FROM centra_raw.orders ORDER BY order_number"
    )[::6]
    numbers = [row[0] for row in numbers]
    today = datetime.now(UTC).date()
    writer = _resync_everything_in_another_process(wired)

    for number in numbers:
        wired.sandbox.control.update_order(number, otherComment=f"burst {number}")
    created = wired.sandbox.control.create_orders(market_id=1, day=today, count=5)
    delivered(wired)
    assert writer.wait(300) == 0

    sent = sum(d.events for d in wired.sandbox.webhooks.deliveries() if d.delivered)
    assert sent >= len(numbers) + len(created)
    assert wired.inbox.count() == sent
    tick = wired.driver.tick(WEBHOOKS)

    assert tick.failed_run_ids == []
    for number in numbers:
        assert wired.order(number)["comment"] == f"burst {number}"
    for number in created:
        assert wired.order(number)["day"] == today


def _resync_everything_in_another_process(synced: Synced):
    keys = sorted(
        f"{day.isoformat()}|{market}"
        for market, day in synced.warehouse.fetch(
            "SELECT DISTINCT market_id, partition_date FROM centra_raw.orders"
        )
    )
    synced.warehouse.close()
    request = _orders_request(keys[0], keys[-1])
    return run_in_another_process(request, synced.dagster_home)


def _orders_request(first: str, last: str):
    import dagster as dg

    tags = {RANGE_START_TAG: first, RANGE_END_TAG: last}
    return dg.RunRequest(job_name="centra_orders_sync", tags=tags)


def test_a_failed_run_is_requested_again_until_it_succeeds(wired):
    number = wired.seeded_orders(1)[0]
    wired.sandbox.control.update_order(number, otherComment="after a failed run")
    delivered(wired)

    requested = wired.driver.tick(WEBHOOKS, execute=False)
    with warehouse_locked(wired):
        wired.driver.execute(requested.run_requests[0], requested)
    assert requested.failed_run_ids

    retry = wired.driver.tick(WEBHOOKS)

    assert [r.run_key for r in retry.run_requests] == [requested.run_requests[0].run_key + "#2"]
    assert retry.failed_run_ids == []
    assert wired.order(number)["comment"] == "after a failed run"
    assert wired.driver.tick(WEBHOOKS).run_requests == []
