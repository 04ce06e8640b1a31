"""Centra's event queue (digest §8) turned into runs, confirming events only once they landed.

Centra returns the oldest unconfirmed events, the same ones on every call until they are confirmed,
and an unconfirmed event holds back the queue. So on each tick the sensor:

1. looks at the runs it requested earlier: a succeeded run's events are confirmed; a failed run is
   requested again, its events kept unconfirmed; a run still to come keeps its events in flight;
2. fetches events, leaves out those already in flight, and requests the runs that cover the rest;
3. confirms at once the events that need no run (types we do not store, deleted records).

Events of one fetch are tied to every run that fetch requested, so an event is confirmed only when
all the data of its batch has landed.
"""

import dagster as dg

from centra_pipelines.centra import jobs, queries
from centra_pipelines.centra.automation.changes import LISTENED_OBJECT_TYPES, plan_for_events
from centra_pipelines.centra.automation.common import (
    Requests,
    check_pending,
    request_plan,
    sensor_client,
    sensor_status,
)
from centra_pipelines.centra.automation.refresh import RefreshPlan
from centra_pipelines.centra.automation.tracking import (
    PendingRun,
    dump_cursor,
    dump_pending,
    load_cursor,
    load_pending,
)
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import CentraUserErrors
from centra_pipelines.config.sync import EventSettings

TRIGGER = "event_queue"
SENSOR_NAME = "centra_event_queue"
# Bumped whenever LISTENED_OBJECT_TYPES changes, so the listeners are set again.
LISTENERS_VERSION = f"v1:{len(LISTENED_OBJECT_TYPES)}"


def event_queue_sensor(settings: EventSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=settings.interval_seconds,
        default_status=sensor_status(settings.enabled),
        jobs=jobs.ALL_JOBS,
        description="Reads Centra's event queue, requests runs for the changed partitions and "
        "confirms events only after those runs succeeded.",
    )
    def _sensor(context: dg.SensorEvaluationContext, centra: CentraClient) -> dg.SensorResult:
        return evaluate_event_queue(context, sensor_client(centra), settings)

    return _sensor


def evaluate_event_queue(
    context: dg.SensorEvaluationContext, centra: CentraClient, settings: EventSettings
) -> dg.SensorResult:
    state = load_cursor(context.cursor)
    if state.get("listeners") != LISTENERS_VERSION:
        register_listeners(centra)
        state["listeners"] = LISTENERS_VERSION
        context.log.info("event listeners set for %s", ", ".join(LISTENED_OBJECT_TYPES))

    outcome = check_pending(context, load_pending(state.get("pending", [])))
    in_flight = {event_id for run in outcome.still_pending for event_id in run.event_ids}
    landed = {event_id for run in outcome.succeeded for event_id in run.event_ids}
    confirm(context, centra, landed - in_flight, "their runs succeeded")

    events = centra.execute(queries.EVENTS, variables={"limit": settings.max_events_per_tick})
    fresh = [event for event in events["events"] or [] if event["id"] not in in_flight]
    plan, ignored = plan_for_events(fresh)
    confirm(context, centra, set(ignored), "they need no sync")

    needing_runs = sorted({event["id"] for event in fresh} - set(ignored))
    requests = _requests_for(context, plan, needing_runs)
    if needing_runs and not requests.pending:
        # Every change fell outside the partitions (request_plan logged which): nothing will land.
        confirm(context, centra, set(needing_runs), "they are outside every partition")

    state["pending"] = dump_pending(outcome.still_pending + requests.pending)
    return _result(state, outcome.retries, requests, len(fresh), len(in_flight))


def register_listeners(centra: CentraClient) -> None:
    # Omitted change types mean all of them; setting listeners is idempotent (digest §8).
    listeners = [{"objectType": object_type} for object_type in LISTENED_OBJECT_TYPES]
    centra.mutate(
        queries.SET_EVENT_LISTENERS,
        payload_field="setEventListeners",
        variables={"input": listeners},
    )


def confirm(
    context: dg.SensorEvaluationContext, centra: CentraClient, event_ids: set[int], why: str
) -> None:
    if not event_ids:
        return
    try:
        centra.mutate(
            queries.CONFIRM_EVENTS,
            payload_field="confirmEvents",
            variables={"ids": sorted(event_ids)},
        )
    except CentraUserErrors as error:
        # Centra refuses ids it no longer holds (removed with their listener, say); they are out
        # of the queue either way, so failing every tick over them would only stop the sensor.
        context.log.warning(
            "Centra refused to confirm some of %d events: %s", len(event_ids), error
        )
        return
    context.log.info("confirmed %d Centra events: %s", len(event_ids), why)


def _requests_for(
    context: dg.SensorEvaluationContext, plan: RefreshPlan, event_ids: list[int]
) -> Requests:
    batch = f"{event_ids[0]}-{event_ids[-1]}" if event_ids else "none"
    requests = request_plan(context, plan, trigger=TRIGGER, batch=batch)
    for pending in requests.pending:
        pending.event_ids = event_ids
    return requests


def _result(
    state: dict, retries: list[PendingRun], requests: Requests, fresh: int, in_flight: int
) -> dg.SensorResult:
    run_requests = [run.run_request(TRIGGER) for run in retries] + requests.run_requests
    cursor = dump_cursor(state)
    if not run_requests:
        reason = f"no new events ({in_flight} in flight)" if not fresh else "no run needed"
        return dg.SensorResult(skip_reason=reason, cursor=cursor)
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=requests.partitions_requests(),
        cursor=cursor,
    )
