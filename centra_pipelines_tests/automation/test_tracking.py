"""Sensor bookkeeping: unreadable cursors are refused, retries slow down, ticks give up early."""

import pytest

from centra_pipelines.centra.automation.delta_sensor import SENSOR_NAME
from centra_pipelines.centra.automation.tracking import (
    CursorError,
    PendingRun,
    cursor_value,
    load_cursor,
    load_pending,
)
from centra_pipelines.centra.client.errors import CentraError


@pytest.mark.parametrize("cursor", ["not json", "5", "[]", '"text"'])
def test_a_cursor_that_is_not_a_json_object_is_refused_with_advice(cursor):
    with pytest.raises(CursorError, match="Reset cursor"):
        load_cursor(cursor)


def test_an_unreadable_value_names_its_key():
    with pytest.raises(CursorError, match="'last_event_id' is unreadable"):
        cursor_value({"last_event_id": "x"}, "last_event_id", int, 0)
    with pytest.raises(CursorError, match="pending runs are unreadable"):
        load_pending([{"x": 1}])
    assert cursor_value({}, "last_event_id", int, 0) == 0


def test_a_failed_run_is_retried_at_once_then_after_growing_pauses():
    run = PendingRun("delta:1:abc", "centra_orders_sync", {}, 0.0)
    pauses = []
    for _ in range(8):
        pauses.append(run.retry_pause())
        run = run.retried()

    assert pauses == [0, 120, 240, 480, 960, 1920, 3600, 3600]
    assert run.run_key == "delta:1:abc#9"


def test_a_sensor_tick_gives_up_on_a_failing_centra_after_a_few_attempts(synced):
    before = synced.requests_sent()
    synced.sandbox.faults.fail_next(status=503, count=20)

    with pytest.raises(CentraError):
        synced.driver.tick(SENSOR_NAME)

    assert synced.requests_sent() - before == 3  # SENSOR_CLIENT_SETTINGS["max_attempts"]
