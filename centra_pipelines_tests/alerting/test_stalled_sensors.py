"""A sensor whose ticks stop alerts once; once it ticks again, its next stall alerts again.

The ticks are real: a `dagster-daemon` started here ticks the heartbeat sensor into the test's
instance, and is stopped to make the ticks stop. The watchdog is evaluated at chosen moments after
the last tick instead of waiting minutes.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from centra_pipelines.alerting.definitions import STALLED_SENSORS, alerting_definitions
from centra_pipelines.config.alerting import load_alerting_config
from centra_pipelines_tests.alerting import heartbeat_definitions
from centra_pipelines_tests.alerting.conftest import Ticker, use_slack

DEFINITIONS_FILE = Path(heartbeat_definitions.__file__)
# The daemon ticks a few seconds after it starts and then every five; this is far beyond that.
TICK_TIMEOUT_SECONDS = 60


@contextmanager
def running_daemon(instance: dg.DagsterInstance) -> Iterator[subprocess.Popen]:
    """A `dagster-daemon` ticking the heartbeat into the instance, stopped when the block ends."""
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-f", str(DEFINITIONS_FILE)],
        env={**os.environ, "DAGSTER_HOME": instance.root_directory},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(30)


def wait_for_tick(
    instance: dg.DagsterInstance, daemon: subprocess.Popen, after: float = 0
) -> float:
    """The heartbeat's last tick, once there is one later than `after`."""
    deadline = time.monotonic() + TICK_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert daemon.poll() is None, "dagster-daemon exited; run it by hand to see why"
        tick = last_tick(instance)
        if tick is not None and tick > after:
            return tick
        time.sleep(0.2)
    raise AssertionError("the daemon did not tick the heartbeat sensor in time")


def last_tick(instance: dg.DagsterInstance) -> float | None:
    for state in instance.all_instigator_state():
        if state.name == "heartbeat" and state.instigator_data:
            return state.instigator_data.last_tick_timestamp
    return None


@pytest.fixture
def ticker(instance) -> Ticker:
    default = load_alerting_config()
    # The heartbeat ticks every second; alert once it has been silent for over a minute.
    watchdog = default.stalled_sensors.model_copy(update={"minimum_minutes": 1})
    config = default.model_copy(update={"stalled_sensors": watchdog})
    definitions = dg.Definitions.merge(heartbeat_definitions.defs, alerting_definitions(config))
    return Ticker(instance, definitions, config)


def test_a_sensor_whose_ticks_stop_alerts_once_until_it_ticks_again(
    instance, ticker, slack, monkeypatch
):
    use_slack(monkeypatch, slack)
    with running_daemon(instance) as daemon:
        seen = wait_for_tick(instance, daemon)
        ticker.tick_at(STALLED_SENSORS, seen + 30)
        assert slack.delivered == []

        # Looked at from a minute and a half after its last tick, the heartbeat has stalled.
        ticker.tick_at(STALLED_SENSORS, last_tick(instance) + 90)
        ticker.tick_at(STALLED_SENSORS, last_tick(instance) + 95)
        assert len(slack.delivered) == 1
        text = slack.delivered[0]["text"]
        assert "Sensor stopped ticking: heartbeat" in text
        assert "Expected every: 1 s" in text and "Alerting after: 1 min" in text
        assert "switched_off" not in text

        # It ticks again: the episode ends, without an alert.
        ticked_again = wait_for_tick(instance, daemon, after=last_tick(instance))
        ticker.tick_at(STALLED_SENSORS, ticked_again + 5)
        assert len(slack.delivered) == 1

    # The daemon is gone, so the ticks have really stopped: a new episode.
    stopped = last_tick(instance)
    ticker.tick_at(STALLED_SENSORS, stopped + 30)
    ticker.tick_at(STALLED_SENSORS, stopped + 90)
    ticker.tick_at(STALLED_SENSORS, stopped + 600)
    assert len(slack.delivered) == 2
    assert "(1 min ago)" in slack.delivered[1]["text"]
