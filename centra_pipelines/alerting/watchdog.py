"""Stalled sensors: an alert when a running sensor has not ticked for too long, once per stall.

Reads the state the daemon keeps for each sensor of this code location (when it last ticked and
when it was last started). The watchdog is itself a sensor run by the same daemon: if the daemon
stops, the watchdog stops with it and cannot tell. Only a check from outside (docs/alerting.md)
covers that.
"""

from dataclasses import dataclass
from datetime import datetime

import dagster as dg

from centra_pipelines.alerting.alerts import Alert, Links, age, moment
from centra_pipelines.alerting.sensor import Detection, Detector
from centra_pipelines.config.alerting import WatchdogSettings

# Dagster evaluates a sensor without minimum_interval_seconds every 30 seconds.
DEFAULT_INTERVAL_SECONDS = 30

ACTION = (
    "open Deployment > Daemons in the Dagster UI. If the sensor daemon's heartbeat is old, "
    "restart dagster-daemon. If the daemon is healthy, open the sensor's tick history: a tick "
    "that never ends (a call to Centra or a database that hangs) holds the sensor; stop and start "
    "it. Changes it would have synced are picked up by the delta sensor and the nightly "
    "reconciliation once it runs again."
)


@dataclass(frozen=True)
class Heartbeat:
    """When a running sensor last ticked, and how often it should."""

    name: str
    interval_seconds: int
    last_tick: float


def stalled_sensors_detector(settings: WatchdogSettings, own_name: str) -> Detector:
    def detect(
        context: dg.SensorEvaluationContext, seen: dict, now: datetime, links: Links
    ) -> Detection:
        heartbeats = sensor_heartbeats(context, exclude=own_name)
        watched = {beat.name for beat in heartbeats}
        stalled = {name: tick for name, tick in seen.get("stalled", {}).items() if name in watched}

        alerts = []
        for beat in heartbeats:
            silent = now.timestamp() - beat.last_tick
            allowed = max(
                settings.missed_intervals * beat.interval_seconds, 60 * settings.minimum_minutes
            )
            if silent <= allowed:
                if stalled.pop(beat.name, None) is not None:
                    context.log.info("sensor %s ticks again", beat.name)
            elif beat.name not in stalled:
                stalled[beat.name] = beat.last_tick
                alerts.append(stalled_alert(beat, silent, allowed, links))

        summary = f"running sensors watched: {len(heartbeats)}; stalled: {len(stalled)}"
        if stalled:
            summary += f" ({', '.join(sorted(stalled))})"
        return Detection(alerts, {"stalled": stalled}, summary)

    return detect


def sensor_heartbeats(context: dg.SensorEvaluationContext, *, exclude: str) -> list[Heartbeat]:
    """The running sensors of this code location that have ticked or been started."""
    sensors = {sensor.name: sensor for sensor in context.repository_def.sensor_defs}
    sensors.pop(exclude, None)
    origin = context.code_location_origin
    location = origin.location_name if origin else None

    heartbeats = []
    for state in context.instance.all_instigator_state():
        sensor = sensors.get(state.name)
        if sensor is None or state.instigator_type.value != "SENSOR":
            continue
        if location and state.repository_selector.location_name != location:
            continue
        last = _last_sign_of_life(state)
        if _running(state, sensor) and last is not None:
            interval = sensor.minimum_interval_seconds or DEFAULT_INTERVAL_SECONDS
            heartbeats.append(Heartbeat(state.name, interval, last))
    return heartbeats


def _running(state, sensor: dg.SensorDefinition) -> bool:
    # A sensor left to its code default is running exactly when the code says it starts so.
    status = state.status.value
    if status == "DECLARED_IN_CODE":
        return sensor.default_status == dg.DefaultSensorStatus.RUNNING
    return status == "RUNNING"


def _last_sign_of_life(state) -> float | None:
    # A sensor started again after a long stop has an old last tick but a recent start.
    data = state.instigator_data
    moments = [data.last_tick_timestamp, data.last_sensor_start_timestamp] if data else []
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def stalled_alert(beat: Heartbeat, silent: float, allowed: float, links: Links) -> Alert:
    return Alert(
        key=f"sensor:{beat.name}:{beat.last_tick:.0f}",
        title=f"Sensor stopped ticking: {beat.name}",
        facts=(
            ("Sensor", beat.name),
            ("Last tick", f"{moment(beat.last_tick)} ({age(silent)} ago)"),
            ("Expected every", _interval(beat.interval_seconds)),
            ("Alerting after", age(allowed)),
        ),
        action=ACTION,
        link=links.sensor(beat.name),
    )


def _interval(seconds: int) -> str:
    return age(seconds) if seconds >= 60 else f"{seconds} s"
