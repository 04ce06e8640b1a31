"""Delta sync of orders and returns: re-read only the partitions that changed since a mark.

Each read asks Centra for orders updated, and returns created, since the high-water mark minus an
overlap, up to the moment of the read. The partitions found are re-materialized whole, so reading
a record twice (the overlap) changes nothing, and the mark moves to the moment of the read only
after every run of that read has succeeded. A record changed during a sync has a later timestamp
than that moment, so the next read finds it; a run that fails is requested again and holds the mark.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from centra_pipelines.centra import jobs
from centra_pipelines.centra.automation import lookups
from centra_pipelines.centra.automation.common import (
    check_pending,
    request_plan,
    sensor_client,
    sensor_status,
)
from centra_pipelines.centra.automation.refresh import RefreshPlan
from centra_pipelines.centra.automation.tracking import (
    cursor_value,
    dump_cursor,
    dump_pending,
    load_cursor,
    load_pending,
)
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.config.sync import DeltaSettings

TRIGGER = "delta"
SENSOR_NAME = "centra_orders_delta"


def orders_delta_sensor(settings: DeltaSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=settings.interval_seconds,
        default_status=sensor_status(settings.enabled),
        jobs=[jobs.orders_sync_job],
        description="Re-reads the order and return partitions that changed since the last delta "
        f"(overlap {settings.overlap_minutes} min); the mark moves only once their runs succeeded.",
    )
    def _sensor(context: dg.SensorEvaluationContext, centra: CentraClient) -> dg.SensorResult:
        return evaluate_delta(context, sensor_client(centra), settings, now=datetime.now(UTC))

    return _sensor


def evaluate_delta(
    context: dg.SensorEvaluationContext,
    centra: CentraClient,
    settings: DeltaSettings,
    *,
    now: datetime,
) -> dg.SensorResult:
    state = load_cursor(context.cursor)
    pending = load_pending(state.get("pending", []))
    if pending:
        outcome = check_pending(context, pending)
        if outcome.still_pending:
            state["pending"] = dump_pending(outcome.still_pending)
            return _waiting(state, outcome.retries)

        state.update(mark=state.pop("until"), seen=state.pop("next_seen", {}), pending=[])
        context.log.info("delta up to %s has landed; the mark moves there", state["mark"])

    return _read_changes(context, centra, settings, state, now)


def _waiting(state: dict, retries) -> dg.SensorResult:
    if retries:
        requests = [run.run_request(TRIGGER) for run in retries]
        return dg.SensorResult(run_requests=requests, cursor=dump_cursor(state))
    return dg.SensorResult(
        skip_reason="waiting for the runs of the previous delta to finish",
        cursor=dump_cursor(state),
    )


def _read_changes(
    context: dg.SensorEvaluationContext,
    centra: CentraClient,
    settings: DeltaSettings,
    state: dict,
    now: datetime,
) -> dg.SensorResult:
    since = _mark(state, settings, now) - timedelta(minutes=settings.overlap_minutes)
    with centra.measure() as cost:
        changes = lookups.changed_records(centra, since, now)

    # The overlap reads recent records again; a version already synced needs no second run.
    seen = state.get("seen", {})
    plan = RefreshPlan()
    for change in changes:
        if seen.get(change.key) != change.stamp:
            change.add_to(plan)
    now_seen = {change.key: change.stamp for change in changes}

    requests = request_plan(context, plan, trigger=TRIGGER, batch=now.isoformat())
    if not requests.run_requests:
        state.update(mark=now.isoformat(), seen=now_seen)
        return dg.SensorResult(
            skip_reason=f"nothing new to sync among {len(changes)} records changed since "
            f"{since.isoformat()}",
            cursor=dump_cursor(state),
        )

    context.log.info(
        "%d orders and returns changed since %s (%d requests to Centra): %s",
        len(changes),
        since.isoformat(),
        cost.requests,
        plan.describe(),
    )
    state.update(pending=dump_pending(requests.pending), until=now.isoformat(), next_seen=now_seen)
    return dg.SensorResult(
        run_requests=requests.run_requests,
        dynamic_partitions_requests=requests.partitions_requests(),
        cursor=dump_cursor(state),
    )


def _mark(state: dict, settings: DeltaSettings, now: datetime) -> datetime:
    first_read = now - timedelta(hours=settings.initial_lookback_hours)
    return cursor_value(state, "mark", datetime.fromisoformat, first_read)
