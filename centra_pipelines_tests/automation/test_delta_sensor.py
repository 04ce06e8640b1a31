"""The delta sensor re-reads only what changed, and moves its mark only once that has landed."""

from centra_pipelines.centra.automation.delta_sensor import SENSOR_NAME
from centra_pipelines_tests.automation.conftest import warehouse_locked

DELTA = SENSOR_NAME


def test_a_few_changed_orders_cost_a_few_requests_and_land(synced):
    synced.driver.tick(DELTA)  # sets the mark after the full sync
    numbers = synced.seeded_orders(3)
    for number in numbers:
        synced.sandbox.control.update_order(number, otherComment=f"delta {number}")
    before = synced.requests_sent()

    tick = synced.driver.tick(DELTA)

    spent = synced.requests_sent() - before
    assert tick.failed_run_ids == []
    assert len(tick.run_ids) == 3  # one run per changed day
    # The sensor's client reads the rate limits once and finds the changes with one orders and
    # one returns query; each run reads the rate limits, then one day of orders and of returns.
    # A full sync of the same window takes about seventy.
    assert spent <= 3 + 3 * 3
    for number in numbers:
        assert synced.order(number)["comment"] == f"delta {number}"


def test_a_record_read_again_in_the_overlap_is_not_synced_twice(synced):
    synced.driver.tick(DELTA)
    number = synced.seeded_orders(1)[0]
    synced.sandbox.control.update_order(number, otherComment="once")
    assert len(synced.driver.tick(DELTA).run_ids) == 1

    again = synced.driver.tick(DELTA)

    assert again.run_ids == []
    assert "nothing new" in again.skip_reason


def test_the_mark_holds_until_the_runs_succeed_and_failed_runs_are_retried(synced):
    synced.driver.tick(DELTA)
    number = synced.seeded_orders(1)[0]
    synced.sandbox.control.update_order(number, otherComment="after a failure")

    requested = synced.driver.tick(DELTA, execute=False)
    assert len(requested.run_requests) == 1
    with warehouse_locked(synced):
        synced.driver.execute(requested.run_requests[0], requested)
    assert requested.failed_run_ids

    retry = synced.driver.tick(DELTA)

    assert [r.run_key for r in retry.run_requests] == [requested.run_requests[0].run_key + "#2"]
    assert retry.failed_run_ids == []
    assert synced.order(number)["comment"] == "after a failure"
    # The mark moved past the change only now, so the next read finds nothing new.
    assert synced.driver.tick(DELTA).run_ids == []


def test_an_order_changed_during_a_sync_is_found_by_the_next_delta(synced):
    synced.driver.tick(DELTA)
    first, second = synced.seeded_orders(2)
    synced.sandbox.control.update_order(first, otherComment="first")

    requested = synced.driver.tick(DELTA, execute=False)
    synced.sandbox.control.update_order(second, otherComment="changed while syncing")
    for request in requested.run_requests:
        synced.driver.execute(request, requested)

    # This tick sees the runs succeeded, moves the mark, and reads again from there.
    follow_up = synced.driver.tick(DELTA)

    assert len(follow_up.run_ids) == 1
    assert synced.order(second)["comment"] == "changed while syncing"
