"""A code location with one sensor that ticks as often as the daemon allows, for the watchdog.

Loaded by a real `dagster-daemon` that the stalled-sensor test starts and stops.
"""

import dagster as dg


@dg.sensor(
    name="heartbeat",
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def heartbeat(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    return dg.SkipReason("nothing to do; this sensor only ticks")


@dg.sensor(name="switched_off", minimum_interval_seconds=1)
def switched_off(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    return dg.SkipReason("stopped by default, so never watched")


defs = dg.Definitions(sensors=[heartbeat, switched_off])
