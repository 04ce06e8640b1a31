"""Webhook plugin (digest §9): signed form posts, both payload formats, batching, retries, drops.

Receivers are local HTTP servers on 127.0.0.1; `sandbox.webhooks.flush()` waits for delivery.
"""

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from centra_pipelines_tests.sandbox.conftest import WINDOW_START, gql
from centra_pipelines_tests.sandbox.webhook_receiver import Receiver
from centra_sandbox import (
    SandboxConfig,
    SandboxConfigError,
    WebhookFlushTimeout,
    WebhookSettings,
    start_sandbox,
)
from centra_sandbox.__main__ import parse_args, webhook_settings
from centra_sandbox.webhooks.payloads import form_body, signature

SECRET = "test123"
DATE_PATTERN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
SET_STOCK = """mutation { setStock(input: {warehouse: {id: 1}, description: "WMS",
  stockQuantityType: PHYSICAL, productVariants: [{productVariant: {id: 10},
  sizeStockLevels: [{size: {name: "S"}, quantity: 40}, {size: {name: "M"}, quantity: 9}]}]}) {
  userErrors { message } } }"""
CONFIRM_ORDER = """mutation Confirm($number: Int!) {
  confirmOrder(input: {order: {number: $number}}) { userErrors { message } } }"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def _hooked(make_sandbox, receiver: Receiver, **settings):
    webhook = WebhookSettings(url=receiver.url, **{"secret": SECRET, **settings})
    return make_sandbox(orders=20, webhook=webhook)


def _number(sandbox, status: str) -> int:
    return sandbox.app.db.scalar(
        "SELECT MIN(number) FROM orders WHERE status = ? AND isOnHold = 0 AND isLocked = 0",
        (status,),
    )


def _events(receiver: Receiver) -> list[tuple]:
    calls = receiver.calls
    return [(e["type"], e["action"], e["id"]) for c in calls for e in c.payload["events"]]


def test_signature_reproduces_the_digests_worked_example():
    """§9.3: the HMAC covers "<t>.<raw form body>", not the decoded JSON."""
    body = form_body({"x": "test"})

    assert body == "payload=%7B%22x%22%3A%22test%22%7D"
    assert signature(SECRET, 12345678, body) == (
        "t=12345678,v1=0b9cd84f5d583e5e1aadfb9f160aa8080b51d5b85ff85808d6b75bdac356c549"
    )
    assert signature(SECRET, 12345678, '{"x":"test"}').split("v1=")[1].startswith("7772c462")


def test_calls_are_form_posts_signed_over_the_raw_body(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver)
    number = _number(sandbox, "CONFIRMED")

    sandbox.control.touch_orders([number])
    sandbox.webhooks.flush(timeout=5)

    [call] = receiver.calls
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.body.startswith("payload=%7B%22events%22")
    parts = dict(item.split("=", 1) for item in call.headers["X-Centra-Signature"].split(","))
    signed = f"{parts['t']}.{call.body}".encode()
    assert parts["v1"] == hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert abs(int(parts["t"]) - time.time()) < 60


def test_without_a_secret_calls_carry_no_signature(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver, secret=None)

    sandbox.control.touch_orders([_number(sandbox, "CONFIRMED")])
    sandbox.webhooks.flush(timeout=5)

    [call] = receiver.calls
    assert "X-Centra-Signature" not in call.headers


def test_new_shipment_sends_order_update_shipment_create_and_good_to_go(make_sandbox, receiver):
    """The digest's §9.2 example: one call with the order update and both shipment events."""
    sandbox = _hooked(make_sandbox, receiver)
    number = _number(sandbox, "CONFIRMED")

    shipment_id = sandbox.control.create_shipment(number)
    sandbox.webhooks.flush(timeout=5)

    [call] = receiver.calls
    events = call.payload["events"]
    assert [(e["type"], e["action"], e["id"]) for e in events] == [
        ("order", "update", number),
        ("shipment", "create", shipment_id),
        ("shipment", "good_to_go", shipment_id),
    ]
    assert all(DATE_PATTERN.fullmatch(e["date"]) for e in events)
    stamp = datetime.strptime(events[0]["date"], "%Y-%m-%d %H:%M:%S.%f")
    local = stamp.replace(tzinfo=ZoneInfo("Europe/Stockholm"))
    assert abs(local - datetime.now(UTC)) < timedelta(minutes=1)


def test_integration_mode_covers_orders_shipments_returns_and_customers(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver)
    control = sandbox.control
    number = _number(sandbox, "CONFIRMED")

    shipment_id = control.create_shipment(number, good_to_go=False)
    control.ship_shipment(shipment_id, tracking_number="TRK1", carrier_name="DHL")
    return_id = control.create_return(number)
    control.update_customer(1, newsletter=True)
    [created] = control.create_orders(market_id=1, day=WINDOW_START, count=1)
    control.update_order(created, status="CANCELLED")
    sandbox.webhooks.flush(timeout=5)

    events = _events(receiver)
    assert events[:7] == [
        ("order", "update", number),
        ("shipment", "create", shipment_id),
        ("order", "update", number),
        ("shipment", "update", shipment_id),
        ("shipment", "good_to_go", shipment_id),
        ("order", "update", number),
        ("return", "create", return_id),
    ]
    assert events[7] == ("customer", "update", 1)
    assert events[8] == ("order", "create", created)
    assert events[-1] == ("order", "update", created)


def test_checkout_mode_sends_display_items_and_warehouses_as_strings(make_sandbox, receiver):
    """§9.2: stock fans out to the plugin store's display items; orders are not part of it."""
    sandbox = _hooked(make_sandbox, receiver, mode="checkout", max_events_per_call=2)
    items = sandbox.app.db.all(
        "SELECT di.id FROM displayItems di JOIN displays d ON d.id = di.displayId "
        "WHERE di.productVariantId = 10 AND d.storeId = 1"
    )

    assert gql(sandbox, SET_STOCK)["setStock"]["userErrors"] == []
    sandbox.control.touch_orders([_number(sandbox, "CONFIRMED")])
    sandbox.webhooks.flush(timeout=5)

    [call] = receiver.calls
    assert items
    assert call.payload == {"products": [str(row["id"]) for row in items], "warehouses": ["1"]}


def test_checkout_mode_names_only_display_items_of_the_plugins_store(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver, mode="checkout", store_id=2)
    db = sandbox.app.db
    stock = db.one(
        "SELECT s.warehouseId, s.productSizeId, ps.productVariantId FROM stock s "
        "JOIN productSizes ps ON ps.id = s.productSizeId WHERE ps.productVariantId IN "
        "(SELECT di.productVariantId FROM displayItems di JOIN displays d ON d.id = di.displayId "
        "GROUP BY di.productVariantId HAVING COUNT(DISTINCT d.storeId) = 2) ORDER BY s.id LIMIT 1"
    )
    by_store = {
        store: [
            str(row["id"])
            for row in db.all(
                "SELECT di.id FROM displayItems di JOIN displays d ON d.id = di.displayId "
                "WHERE di.productVariantId = ? AND d.storeId = ? ORDER BY di.id",
                (stock["productVariantId"], store),
            )
        ]
        for store in (1, 2)
    }

    sandbox.control.set_stock(stock["warehouseId"], stock["productSizeId"], 3)
    sandbox.webhooks.flush(timeout=5)

    [call] = receiver.calls
    assert call.payload["products"] == by_store[2]
    assert not set(by_store[1]) & set(by_store[2])


def test_a_plugin_hears_nothing_of_other_stores_orders(make_sandbox, receiver):
    """The plugin belongs to the Wholesale store; every order of the sandbox is Retail's."""
    sandbox = _hooked(make_sandbox, receiver, store_id=2)

    sandbox.control.touch_orders([_number(sandbox, "CONFIRMED")])
    sandbox.control.update_customer(1, newsletter=False)
    sandbox.webhooks.flush(timeout=5)

    assert receiver.calls == []


def test_calls_carry_at_most_max_events_per_call(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver, max_events_per_call=3)
    numbers = [row["number"] for row in sandbox.app.db.all("SELECT number FROM orders LIMIT 7")]

    sandbox.control.touch_orders(numbers)
    sandbox.webhooks.flush(timeout=5)

    assert [len(call.payload["events"]) for call in receiver.calls] == [3, 3, 1]
    assert [event[2] for event in _events(receiver)] == numbers
    assert [d.events for d in sandbox.webhooks.deliveries()] == [3, 3, 1]
    assert sandbox.metrics()["webhook_events_delivered"] == 7


def test_failing_receiver_is_retried_with_growing_delays_then_dropped(
    make_sandbox, receiver, caplog
):
    sandbox = _hooked(make_sandbox, receiver, retries=2, retry_delay_seconds=0.05)
    receiver.statuses.extend([500, 502, 503])
    number = _number(sandbox, "CONFIRMED")

    with caplog.at_level(logging.WARNING, logger="centra_sandbox.webhooks.dispatcher"):
        sandbox.control.touch_orders([number])
        sandbox.webhooks.flush(timeout=5)

    deliveries = sandbox.webhooks.deliveries()
    assert [(d.attempt, d.status, d.delivered) for d in deliveries] == [
        (1, 500, False),
        (2, 502, False),
        (3, 503, False),
    ]
    arrivals = [call.received_at for call in receiver.calls]
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1
    assert len({call.body for call in receiver.calls}) == 1
    metrics = sandbox.metrics()
    assert (metrics["webhook_batches_dropped"], metrics["webhook_events_dropped"]) == (1, 1)
    assert "full resync" in caplog.text


def test_queue_moves_on_after_a_dropped_batch(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver)
    receiver.statuses.append(500)
    first, second = [row["number"] for row in sandbox.app.db.all("SELECT number FROM orders")][:2]

    sandbox.control.touch_orders([first])
    sandbox.webhooks.flush(timeout=5)
    sandbox.control.touch_orders([second])
    sandbox.webhooks.flush(timeout=5)

    deliveries = sandbox.webhooks.deliveries()
    assert [(d.status, d.delivered) for d in deliveries] == [(500, False), (200, True)]
    assert deliveries[1].payload["events"][0]["id"] == second


def test_a_transient_failure_is_retried_once_and_delivered(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver, retries=1, retry_delay_seconds=0.01)
    receiver.statuses.append(503)

    sandbox.control.touch_orders([_number(sandbox, "CONFIRMED")])
    sandbox.webhooks.flush(timeout=5)

    deliveries = sandbox.webhooks.deliveries()
    assert [(d.attempt, d.status, d.delivered) for d in deliveries] == [
        (1, 503, False),
        (2, 200, True),
    ]
    assert sandbox.metrics()["webhook_batches_dropped"] == 0


def test_a_receiver_slower_than_the_timeout_fails_the_call(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver, timeout_seconds=0.2)
    receiver.delay = 1.0

    sandbox.control.touch_orders([_number(sandbox, "CONFIRMED")])
    sandbox.webhooks.flush(timeout=5)

    [delivery] = sandbox.webhooks.deliveries()
    assert delivery.status is None and not delivery.delivered
    assert "timed out" in delivery.error
    assert sandbox.metrics()["webhook_events_dropped"] == 1


def test_a_slow_receiver_never_slows_graphql_requests(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver)
    receiver.delay = 0.8
    pending = _number(sandbox, "PENDING")
    started = time.perf_counter()

    gql(sandbox, CONFIRM_ORDER, {"number": pending})
    gql(sandbox, "query Order($n: Int!) { order(number: $n) { status } }", {"n": pending})

    assert time.perf_counter() - started < 0.5
    with pytest.raises(WebhookFlushTimeout, match="still undelivered"):
        sandbox.webhooks.flush(timeout=0.05)
    sandbox.webhooks.flush(timeout=5)
    assert _events(receiver) == [("order", "update", pending)]


def test_switched_off_plugin_sends_nothing_until_switched_on(make_sandbox, receiver):
    sandbox = _hooked(make_sandbox, receiver, enabled=False)
    first, second = [row["number"] for row in sandbox.app.db.all("SELECT number FROM orders")][:2]

    sandbox.control.touch_orders([first])
    sandbox.webhooks.flush(timeout=5)
    assert receiver.calls == []

    sandbox.webhooks.enabled = True
    sandbox.control.touch_orders([second])
    sandbox.webhooks.disable()
    sandbox.control.touch_orders([first])
    sandbox.webhooks.flush(timeout=5)

    assert _events(receiver) == [("order", "update", second)]


def test_dispatcher_stops_when_the_sandbox_stops(receiver):
    receiver.delay = 0.3
    webhook = WebhookSettings(url=receiver.url, timeout_seconds=2)
    config = SandboxConfig(seed=7, orders=20, window_start=WINDOW_START, webhook=webhook)

    with start_sandbox(config) as sandbox:
        sandbox.control.touch_orders([39790])
        dispatcher = sandbox.webhooks
        assert dispatcher.running
        started = time.perf_counter()

    assert not dispatcher.running
    assert time.perf_counter() - started < 2


def test_sandbox_without_webhook_has_no_dispatcher(make_sandbox):
    assert make_sandbox(orders=20).webhooks is None


@pytest.mark.parametrize(
    "settings",
    [
        {"url": "ftp://127.0.0.1/x"},
        {"mode": "storefront"},
        {"retries": 4},
        {"max_events_per_call": 0},
        {"timeout_seconds": 0},
    ],
)
def test_invalid_webhook_settings_are_refused(settings):
    with pytest.raises(SandboxConfigError, match="webhook"):
        WebhookSettings(**{"url": "http://127.0.0.1:9/hook", **settings})


def test_command_line_flags_build_the_webhook_settings():
    args = parse_args(
        [
            "--webhook-url=http://127.0.0.1:9/hook",
            "--webhook-secret=s3",
            "--webhook-mode=checkout",
            "--webhook-retries=2",
        ]
    )

    assert webhook_settings(args) == WebhookSettings(
        url="http://127.0.0.1:9/hook", secret="s3", mode="checkout", retries=2
    )
    assert webhook_settings(parse_args([])) is None
    with pytest.raises(SandboxConfigError, match="need --webhook-url"):
        webhook_settings(parse_args(["--webhook-secret=s3"]))
