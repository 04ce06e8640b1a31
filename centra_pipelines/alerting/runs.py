"""Failed runs: one alert per failed run of any job, naming the failed step and its error.

Reads the instance's run-failure events after the last one seen, as Dagster's run_failure_sensor
does, with a cursor of its own: run_failure_sensor moves past a run even when the function that
sends the alert raised, and it owns its cursor, leaving nowhere to keep alerts a channel still
owes. Runs launched in a process (the main job, the demo) have no code-location origin, which a
run_failure_sensor would need `monitor_all_code_locations` to see; reading the events sees them.
"""

from datetime import datetime

import dagster as dg

from centra_pipelines.alerting.alerts import Alert, Links, first_line, moment
from centra_pipelines.alerting.sensor import Detection

RUN_FAILURE = dg.DagsterEventType.RUN_FAILURE
STEP_FAILURE = dg.DagsterEventType.STEP_FAILURE

# Failures handled per tick; more wait for the next tick, in order.
FETCH_LIMIT = 25

ACTION = (
    "open the run and read the failed step's error. Fix what it names (an expired Centra "
    "token, an unreachable system, a refused file or row), then re-execute the run from "
    "failure. A run the webhook, event-queue or delta sensor requested is requested again by "
    "that sensor once it can succeed; a scheduled run waits for its next tick."
)

# What started the run. `centra/trigger` is set by the sync sensors and schedules (docs/sync.md);
# it is spelt out here so that alerting depends on no system folder.
_ORIGIN_TAGS = (
    ("dagster/schedule_name", "Schedule"),
    ("dagster/sensor_name", "Sensor"),
    ("dagster/backfill", "Backfill"),
    ("centra/trigger", "Trigger"),
)


def detect_failed_runs(
    context: dg.SensorEvaluationContext, seen: dict, now: datetime, links: Links
) -> Detection:
    instance = context.instance
    after = seen.get("after")
    if after is None:
        # A new sensor starts from now: failures from before it existed are history, not news.
        latest = instance.fetch_run_status_changes(RUN_FAILURE, limit=1).records
        start = latest[0].storage_id if latest else 0
        return Detection([], {"after": start}, f"watching run failures after event {start}")

    records = instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(event_type=RUN_FAILURE, after_storage_id=after),
        ascending=True,
        limit=FETCH_LIMIT,
    ).records
    alerts = [alert for record in records if (alert := failure_alert(instance, record, links))]

    last = records[-1].storage_id if records else after
    summary = f"failed runs since the last tick: {len(alerts)}"
    return Detection(alerts, {"after": last}, summary)


def failure_alert(
    instance: dg.DagsterInstance, record: dg.EventLogRecord, links: Links
) -> Alert | None:
    """The alert for one run-failure event, or None when the run has been deleted since."""
    run = instance.get_run_by_id(record.event_log_entry.run_id)
    if run is None:
        return None

    step, error = _failed_step(instance, run.run_id)
    if error is None:
        error = _run_error(record.event_log_entry)
    partition = _partitions(run.tags)
    facts = [("Job", run.job_name), ("Run", run.run_id)]
    if partition:
        facts.append(("Partition", partition))
    facts += [(label, run.tags[tag]) for tag, label in _ORIGIN_TAGS if tag in run.tags]
    if step:
        facts.append(("Failed step", step))
    facts += [("Error", error), ("Failed at", moment(record.timestamp))]

    return Alert(
        key=f"run:{run.run_id}",
        title=f"Run failed: {run.job_name}" + (f" [{partition}]" if partition else ""),
        facts=tuple(facts),
        action=ACTION,
        link=links.run(run.run_id),
    )


def _partitions(tags: dict[str, str]) -> str | None:
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if start and end:
        return start if start == end else f"{start} … {end}"
    return None


def _failed_step(instance: dg.DagsterInstance, run_id: str) -> tuple[str | None, str | None]:
    failures = instance.all_logs(run_id, of_type=STEP_FAILURE)
    if not failures:
        return None, None

    first = failures[0].dagster_event
    data = first.step_failure_data
    step = first.step_key + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "")
    if data.user_failure_data and data.user_failure_data.description:
        return step, first_line(data.user_failure_data.description)
    return step, _root_cause(data.error) if data.error else "no error recorded"


def _run_error(entry: dg.EventLogEntry) -> str:
    # Failures outside any step: the run worker died, run monitoring ended a run that outlived
    # its dagster/max_runtime, or the run could not start.
    event = entry.dagster_event
    error = getattr(event.event_specific_data, "error", None) if event else None
    if error is not None:
        return _root_cause(error)
    return first_line(event.message if event else entry.user_message) or "no error recorded"


def _root_cause(error) -> str:
    """The first line of the innermost error, without its module path.

    Dagster wraps what user code raised ("Error occurred while executing op ..."); the cause at
    the bottom of the chain is what says what to fix.
    """
    while error.cause is not None:
        error = error.cause
    line = first_line(error.message)
    name, separator, rest = line.partition(": ")
    if separator and "." in name and " " not in name:
        return f"{name.rsplit('.', 1)[-1]}: {rest}"
    return line
