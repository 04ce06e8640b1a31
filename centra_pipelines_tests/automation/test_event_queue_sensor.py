"""Centra's event queue drives syncs; events are confirmed only after their data has landed."""

from centra_pipelines.centra.automation.event_queue_sensor import SENSOR_NAME
from centra_pipelines_tests.automation.conftest import warehouse_locked

EVENTS = SENSOR_NAME
QUEUE = "query Queue { events(limit: 200) { id objectType objectReference } }"


def queued(synced) -> list[dict]:
    return synced.client().execute(QUEUE)["events"]


def test_an_order_change_lands_and_its_events_are_confirmed_after(synced):
    synced.driver.tick(EVENTS)  # sets the listeners; nothing queued before them
    number = synced.seeded_orders(1)[0]
    synced.sandbox.control.update_order(number, otherComment="through the event queue")

    tick = synced.driver.tick(EVENTS)

    assert len(tick.run_ids) == 1 and tick.failed_run_ids == []
    assert synced.order(number)["comment"] == "through the event queue"
    # Confirmation waits for the next tick, which sees the run's success.
    assert [event["objectReference"] for event in queued(synced)] == [number]
    synced.driver.tick(EVENTS)
    assert queued(synced) == []


def test_a_failed_run_keeps_its_events_and_is_retried(synced):
    synced.driver.tick(EVENTS)
    number = synced.seeded_orders(1)[0]
    synced.sandbox.control.update_order(number, otherComment="retried")

    requested = synced.driver.tick(EVENTS, execute=False)
    with warehouse_locked(synced):
        synced.driver.execute(requested.run_requests[0], requested)
    assert requested.failed_run_ids

    retry = synced.driver.tick(EVENTS)

    assert [r.run_key for r in retry.run_requests] == [requested.run_requests[0].run_key + "#2"]
    assert len(queued(synced)) == 1  # the failure confirmed nothing
    assert synced.order(number)["comment"] == "retried"
    synced.driver.tick(EVENTS)
    assert queued(synced) == []


def test_events_in_flight_are_not_requested_twice(synced):
    synced.driver.tick(EVENTS)
    number = synced.seeded_orders(1)[0]
    synced.sandbox.control.update_order(number, otherComment="in flight")

    first = synced.driver.tick(EVENTS, execute=False)
    second = synced.driver.tick(EVENTS, execute=False)

    assert len(first.run_requests) == 1
    assert second.run_requests == []
    assert len(queued(synced)) == 1


def test_customer_and_stock_events_run_their_data_types(synced):
    synced.driver.tick(EVENTS)
    customer_id = synced.warehouse.fetch("SELECT min(id) FROM centra_raw.customers")[0][0]
    synced.sandbox.control.update_customer(customer_id, firstName="Evented")
    warehouse_id, size_id = synced.warehouse.fetch(
        "SELECT warehouse_id, size_id FROM centra_raw.stock ORDER BY 1, 2 LIMIT 1"
    )[0]
    synced.sandbox.control.set_stock(warehouse_id, size_id, 4321)

    tick = synced.driver.tick(EVENTS)

    jobs = sorted(request.job_name for request in tick.run_requests)
    assert jobs == ["centra_customers_sync", "centra_stock_sync"]
    assert tick.failed_run_ids == []
    stored = synced.warehouse.fetch(
        "SELECT free_to_allocate FROM centra_raw.stock "
        f"WHERE warehouse_id = {warehouse_id} AND size_id = {size_id}"
    )
    assert stored == [(4321,)]


def test_events_centra_no_longer_holds_do_not_stop_the_sensor(synced):
    synced.driver.tick(EVENTS)
    number = synced.seeded_orders(1)[0]
    synced.sandbox.control.update_order(number, otherComment="listener removed meanwhile")
    requested = synced.driver.tick(EVENTS, execute=False)
    # Removing a listener deletes its queued events (digest §8): their ids become unknown.
    unset = (
        "mutation { unsetEventListeners(input: [{objectType: Order}]) { userErrors { message } } }"
    )
    synced.client().execute(unset)
    synced.driver.execute(requested.run_requests[0], requested)

    after = synced.driver.tick(EVENTS)

    assert requested.failed_run_ids == []
    assert after.skip_reason is not None  # the tick ran to the end instead of failing
