"""Webhooks the receiver stored in its inbox, turned into runs of exactly the affected partitions.

The cursor holds the id of the last inbox event turned into run requests, and the runs requested
and not yet seen to succeed. The receiver makes ids visible in increasing order, so reading
"after the cursor" misses nothing; a tick that cannot resolve its events (Centra unreachable, say)
fails without moving the cursor, and the next tick reads the same events again. A run that fails
is requested again, at once and then after growing pauses, until it succeeds. Run keys are
derived from the events' ids, so a tick evaluated twice asks for each run once, and a partition
that already has a run waiting to start is not asked for again: that run will read the latest
data when it starts.
"""

import os

import dagster as dg
from pydantic import Field

from centra_pipelines.centra import jobs
from centra_pipelines.centra.automation.changes import plan_for_webhooks
from centra_pipelines.centra.automation.common import (
    check_pending,
    request_plan,
    sensor_client,
    sensor_status,
)
from centra_pipelines.centra.automation.tracking import (
    cursor_value,
    dump_cursor,
    dump_pending,
    load_cursor,
    load_pending,
)
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.config.sync import EventSettings
from centra_pipelines.webhooks.inbox import WebhookInbox
from centra_pipelines.webhooks.settings import ENV_INBOX_URL, default_inbox_url

TRIGGER = "webhook"
SENSOR_NAME = "centra_webhooks"


class WebhookInboxResource(dg.ConfigurableResource):
    """Where the webhook receiver (`centra-webhooks`) stores what Centra sent."""

    database_url: str = Field(
        default_factory=lambda: os.environ.get(ENV_INBOX_URL) or default_inbox_url(),
        description="SQLAlchemy URL of the inbox; the receiver's CENTRA_WEBHOOK_INBOX_URL.",
    )

    def open(self) -> WebhookInbox:
        return WebhookInbox(self.database_url)


def webhook_sensor(settings: EventSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=settings.interval_seconds,
        default_status=sensor_status(settings.enabled),
        jobs=jobs.ALL_JOBS,
        description="Turns webhooks stored by the receiver into runs of the partitions and data "
        "types they changed.",
    )
    def _sensor(
        context: dg.SensorEvaluationContext,
        centra: CentraClient,
        webhook_inbox: WebhookInboxResource,
    ) -> dg.SensorResult:
        inbox = webhook_inbox.open()
        try:
            return evaluate_webhooks(context, sensor_client(centra), inbox, settings)
        finally:
            inbox.close()

    return _sensor


def evaluate_webhooks(
    context: dg.SensorEvaluationContext,
    centra: CentraClient,
    inbox: WebhookInbox,
    settings: EventSettings,
) -> dg.SensorResult:
    state = load_cursor(context.cursor)
    last_id = cursor_value(state, "last_event_id", int, 0)
    outcome = check_pending(context, load_pending(state.get("pending", [])))
    retries = [run.run_request(TRIGGER) for run in outcome.retries]
    state["pending"] = dump_pending(outcome.still_pending)

    events = inbox.events_after(last_id, settings.max_events_per_tick)
    if not events:
        return _nothing_new(state, retries, inbox, last_id)

    with centra.measure() as cost:
        plan = plan_for_webhooks(centra, events)
    batch = f"{events[0].id}-{events[-1].id}"
    requests = request_plan(context, plan, trigger=TRIGGER, batch=batch, skip_queued=True)
    context.log.info(
        "webhook events %s (%d, %d lookups in Centra): %s; %d runs requested",
        batch,
        len(events),
        cost.requests,
        plan.describe(),
        len(requests.run_requests),
    )

    state["last_event_id"] = events[-1].id
    state["pending"] += dump_pending(requests.pending)
    return dg.SensorResult(
        run_requests=retries + requests.run_requests,
        dynamic_partitions_requests=requests.partitions_requests(),
        cursor=dump_cursor(state),
    )


def _nothing_new(
    state: dict, retries: list[dg.RunRequest], inbox: WebhookInbox, last_id: int
) -> dg.SensorResult:
    if retries:
        return dg.SensorResult(run_requests=retries, cursor=dump_cursor(state))
    reason = f"no webhook after event {last_id}"
    if last_id == 0:
        # An empty inbox is normal before the first webhook, and also what a sensor reading
        # another file than the receiver writes sees; say where it looked.
        reason += (
            f" in {inbox.display_url}; the receiver must write the same CENTRA_WEBHOOK_INBOX_URL"
        )
    return dg.SensorResult(skip_reason=reason, cursor=dump_cursor(state))
