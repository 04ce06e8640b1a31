"""`make demo-realtime`: changes in Centra reach the warehouse by webhook, event queue and delta.

Starts the webhook receiver and the sandbox (which signs and sends webhooks to it), runs the main
job once, then changes orders, a shipment, a customer and stock in the sandbox and drives the
sensors tick by tick, running what they request in this process:

1. webhooks: sandbox → receiver → inbox → `centra_webhooks` sensor → runs;
2. event queue, with webhooks switched off: `centra_event_queue` sensor → runs → confirmation;
3. delta: `centra_orders_delta` re-reads only what changed since its mark.

Each change is then read back from the warehouse. Exits 1 if any did not land.
"""

import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from centra_pipelines.centra.automation.delta_sensor import SENSOR_NAME as DELTA
from centra_pipelines.centra.automation.event_queue_sensor import SENSOR_NAME as EVENT_QUEUE
from centra_pipelines.centra.automation.in_process import SensorDriver, Tick
from centra_pipelines.centra.automation.webhook_sensor import SENSOR_NAME as WEBHOOKS
from centra_pipelines.centra.automation.webhook_sensor import WebhookInboxResource
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.webhooks import ReceiverSettings, start_receiver
from centra_sandbox import start_sandbox
from centra_sandbox.webhooks.settings import WebhookSettings
from demo.environment import (
    DEMO_DIR,
    REPOSITORY,
    WEBHOOK_SECRET,
    DemoData,
    export_environment,
)

REALTIME_DIR = DEMO_DIR / "realtime"
WAREHOUSE = REALTIME_DIR / "warehouse.duckdb"
QUEUE = "query Queue { events(limit: 200) { id } }"


@dataclass
class Checks:
    """Each change made in the sandbox and whether the warehouse holds it."""

    results: list[tuple[str, bool]] = field(default_factory=list)

    def expect(self, what: str, ok: bool) -> None:
        self.results.append((what, ok))
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")

    @property
    def passed(self) -> bool:
        return all(ok for _, ok in self.results)


def main() -> int:
    data = DemoData()
    # Its own Dagster home, warehouse and inbox, so that it neither disturbs a running `make ui`
    # nor replays webhooks an earlier session stored.
    shutil.rmtree(REALTIME_DIR, ignore_errors=True)
    (REALTIME_DIR / "dagster_home").mkdir(parents=True)
    shutil.copyfile(REPOSITORY / "dagster.yaml", REALTIME_DIR / "dagster_home" / "dagster.yaml")
    inbox_url = f"sqlite:///{REALTIME_DIR / 'webhook-inbox.sqlite'}"

    receiver_settings = ReceiverSettings(secret=WEBHOOK_SECRET, inbox_url=inbox_url, port=0)
    with start_receiver(receiver_settings) as receiver:
        print(f"Webhook receiver listening on {receiver.url}")
        webhook = WebhookSettings(url=receiver.url, secret=WEBHOOK_SECRET, retries=3)
        config = data.sandbox_config(webhook=webhook)
        with start_sandbox(config) as sandbox:
            export_environment(api_url=sandbox.url, token=sandbox.token)
            os.environ["DAGSTER_HOME"] = str(REALTIME_DIR / "dagster_home")
            os.environ["CENTRA_WAREHOUSE_PATH"] = str(WAREHOUSE)
            os.environ["CENTRA_WEBHOOK_INBOX_URL"] = inbox_url
            with dg.DagsterInstance.get() as instance:
                return _demo(data, sandbox, receiver, instance, inbox_url)


def _demo(data: DemoData, sandbox, receiver, instance, inbox_url: str) -> int:
    print(f"Main job over {data.window_days} days of {data.orders} orders ...")
    full = run_full_sync(defs, instance, start=data.window_start, days=data.window_days)
    print(f"  {full.api_requests} requests to Centra in {full.seconds:.0f} s")

    centra = CentraClient(api_url=sandbox.url, api_token=sandbox.token)
    resources = {"centra": centra, "webhook_inbox": WebhookInboxResource(database_url=inbox_url)}
    driver = SensorDriver(defs, instance, resources)
    driver.tick(DELTA)  # the delta's mark starts after the main job
    warehouse = DuckDBWarehouse(path=str(WAREHOUSE))
    checks = Checks()
    try:
        _through_webhooks(sandbox, receiver, driver, warehouse, checks)
        _through_the_event_queue(sandbox, centra, driver, warehouse, checks)
        _through_the_delta(sandbox, driver, warehouse, checks, full.api_requests)
    finally:
        warehouse.close()

    print("All changes reached the warehouse." if checks.passed else "Some changes did not land.")
    return 0 if checks.passed else 1


def _through_webhooks(sandbox, receiver, driver, warehouse, checks: Checks) -> None:
    print("\n1. Webhooks")
    control = sandbox.control
    orders = _orders(warehouse, "status = 'CONFIRMED' AND NOT is_on_hold", 3)
    control.update_order(orders[0], otherComment="changed in Centra, sent by webhook")
    shipment_id = control.create_shipment(orders[1])
    control.ship_shipment(shipment_id, tracking_number="DEMO-TRACK-1", carrier_name="PostNord")
    control.update_order(orders[2], status="CANCELLED")
    today = datetime.now(UTC).date()
    created = control.create_orders(market_id=1, day=today, count=2)
    customer_id = _scalar(warehouse, "SELECT min(id) FROM centra_raw.customers")
    control.update_customer(customer_id, firstName="Webhooked")
    sandbox.webhooks.flush(timeout=30)
    print(f"  the receiver stored {receiver.inbox.count()} events")

    tick = _tick(driver, WEBHOOKS, warehouse)
    checks.expect("runs requested by the webhook sensor succeeded", _succeeded(tick))
    _expect_column(
        checks,
        warehouse,
        "orders",
        "other_comment",
        orders[0],
        "changed in Centra, sent by webhook",
    )
    checks.expect(
        "shipment with its tracking number",
        _scalar(
            warehouse,
            f"SELECT tracking_number FROM centra_raw.shipments WHERE shipment_id = {shipment_id}",
        )
        == "DEMO-TRACK-1",
    )
    _expect_column(checks, warehouse, "orders", "status", orders[2], "CANCELLED")
    stored = _scalar(
        warehouse,
        "SELECT count(*) FROM centra_raw.orders WHERE order_number IN "
        f"({', '.join(str(n) for n in created)})",
    )
    checks.expect(f"{len(created)} orders placed today", stored == len(created))
    checks.expect(
        "customer's new first name",
        _scalar(warehouse, f"SELECT first_name FROM centra_raw.customers WHERE id = {customer_id}")
        == "Webhooked",
    )


def _through_the_event_queue(sandbox, centra, driver, warehouse, checks: Checks) -> None:
    print("\n2. Event queue (webhooks switched off)")
    sandbox.webhooks.disable()
    driver.tick(EVENT_QUEUE)  # sets the listeners: Centra queues changes made from now on
    number = _orders(warehouse, "TRUE", 1, offset=40)[0]
    sandbox.control.update_order(number, otherComment="read from the event queue")
    stock = warehouse.fetch("SELECT warehouse_id, size_id FROM centra_raw.stock LIMIT 1")[0]
    sandbox.control.set_stock(stock[0], stock[1], 77)
    print(f"  {len(centra.execute(QUEUE)['events'])} events queued in Centra")

    tick = _tick(driver, EVENT_QUEUE, warehouse)
    checks.expect("runs requested by the event-queue sensor succeeded", _succeeded(tick))
    _expect_column(
        checks, warehouse, "orders", "other_comment", number, "read from the event queue"
    )
    checks.expect(
        "stock level of one size",
        _scalar(
            warehouse,
            "SELECT free_to_allocate FROM centra_raw.stock "
            f"WHERE warehouse_id = {stock[0]} AND size_id = {stock[1]}",
        )
        == 77,
    )
    _tick(driver, EVENT_QUEUE, warehouse)
    left = len(centra.execute(QUEUE)["events"])
    checks.expect(f"events confirmed once their runs succeeded ({left} left)", left == 0)


def _through_the_delta(sandbox, driver, warehouse, checks: Checks, full_requests: int) -> None:
    print("\n3. Delta sync (no webhook, no event queue)")
    numbers = _orders(warehouse, "TRUE", 2, offset=80)
    for number in numbers:
        sandbox.control.update_order(number, otherComment="found by the delta")
    before = sandbox.metrics()["requests"]

    tick = _tick(driver, DELTA, warehouse)
    spent = sandbox.metrics()["requests"] - before
    print(f"  {spent} requests to Centra for the delta, against {full_requests} for the main job")
    checks.expect("runs requested by the delta sensor succeeded", _succeeded(tick))
    for number in numbers:
        _expect_column(checks, warehouse, "orders", "other_comment", number, "found by the delta")


def _tick(driver: SensorDriver, sensor: str, warehouse: DuckDBWarehouse) -> Tick:
    warehouse.close()  # the runs write the DuckDB file; this process reads it again afterwards
    tick = driver.tick(sensor)
    print(
        f"  {sensor}: {len(tick.run_ids)} runs"
        + (f" ({tick.skip_reason})" if tick.skip_reason else "")
    )
    for request in tick.run_requests:
        print(f"    {request.job_name} {_partitions(request)}")
    return tick


def _partitions(request: dg.RunRequest) -> str:
    start = request.tags.get("dagster/asset_partition_range_start")
    end = request.tags.get("dagster/asset_partition_range_end")
    return f"[{start} .. {end}]" if start else ""


def _succeeded(tick: Tick) -> bool:
    return bool(tick.run_ids) and not tick.failed_run_ids


def _orders(warehouse: DuckDBWarehouse, where: str, count: int, offset: int = 0) -> list[int]:
    rows = warehouse.fetch(
        f"SELECT order_number FROM centra_raw.orders WHERE {where} "
        f"ORDER BY order_number LIMIT {count} OFFSET {offset}"
    )
    return [row[0] for row in rows]


def _scalar(warehouse: DuckDBWarehouse, sql: str):
    rows = warehouse.fetch(sql)
    return rows[0][0] if rows else None


def _expect_column(checks, warehouse, table, column, number, expected) -> None:
    value = _scalar(
        warehouse, f"SELECT {column} FROM centra_raw.{table} WHERE order_number = {number}"
    )
    checks.expect(f"order {number}: {column} = {expected!r}", value == expected)


if __name__ == "__main__":
    sys.exit(main())
