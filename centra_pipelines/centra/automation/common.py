"""Pieces every Centra sensor shares: turning a plan into a SensorResult, and run bookkeeping."""

import time
from dataclasses import dataclass, field

import dagster as dg

from centra_pipelines.centra.automation.refresh import (
    RefreshPlan,
    new_markets,
    partition_limits,
    planned_runs,
    registered_markets,
    run_requests,
)
from centra_pipelines.centra.automation.tracking import PendingRun, RequestState, state_of
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.full_sync import RANGE_END_TAG, RANGE_START_TAG
from centra_pipelines.models.partitions import market_partitions

# A tick must end well within Dagster's sensor timeout (60 s by default) even while Centra is
# failing; the next tick tries again from the same cursor, so a tick need not try hard.
SENSOR_CLIENT_SETTINGS = {"max_attempts": 3, "timeout_seconds": 10.0, "max_backoff_seconds": 5.0}


def sensor_client(centra: CentraClient) -> CentraClient:
    """The configured client with the short patience a sensor tick needs."""
    settings = {name: getattr(centra, name) for name in type(centra).model_fields}
    return type(centra)(**{**settings, **SENSOR_CLIENT_SETTINGS})


def sensor_status(enabled: bool) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if enabled else dg.DefaultSensorStatus.STOPPED


@dataclass
class Requests:
    """Run requests of one tick, the pending runs they start, and markets to register first."""

    run_requests: list[dg.RunRequest] = field(default_factory=list)
    pending: list[PendingRun] = field(default_factory=list)
    new_markets: list[str] = field(default_factory=list)

    def partitions_requests(self) -> list[dg.AddDynamicPartitionsRequest]:
        if not self.new_markets:
            return []
        return [dg.AddDynamicPartitionsRequest(market_partitions.name, self.new_markets)]


def request_plan(
    context: dg.SensorEvaluationContext,
    plan: RefreshPlan,
    *,
    trigger: str,
    batch: str,
    skip_queued: bool = False,
) -> Requests:
    """Run requests for a plan, registering markets it touches that are not partitions yet."""
    plan, dropped = partition_limits(plan)
    for note in dropped:
        context.log.warning(note)

    market_keys = registered_markets(context.instance)
    markets = new_markets(plan, market_keys)
    runs = planned_runs(plan, market_keys + markets)
    if skip_queued:
        runs = [run for run in runs if not _already_queued(context.instance, run)]

    requests = Requests(new_markets=markets)
    for request_id, run_request in run_requests(runs, trigger=trigger, batch=batch):
        requests.run_requests.append(run_request)
        requests.pending.append(
            PendingRun(
                request_id, run_request.job_name, dict(_range_tags(run_request)), time.time()
            )
        )
    return requests


def _range_tags(run_request: dg.RunRequest) -> dict[str, str]:
    tags = run_request.tags
    return {key: tags[key] for key in (RANGE_START_TAG, RANGE_END_TAG) if key in tags}


def _already_queued(instance: dg.DagsterInstance, run) -> bool:
    """A run of the same job and partitions that has not started will read the latest data."""
    queued = instance.get_runs(
        filters=dg.RunsFilter(
            job_name=run.job_name,
            statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED],
            tags=run.tags,
        ),
        limit=1,
    )
    return bool(queued)


@dataclass
class PendingOutcome:
    """Pending runs sorted by what became of them since the last tick."""

    succeeded: list[PendingRun] = field(default_factory=list)
    waiting: list[PendingRun] = field(default_factory=list)
    retries: list[PendingRun] = field(default_factory=list)

    @property
    def still_pending(self) -> list[PendingRun]:
        return self.waiting + self.retries


def check_pending(context: dg.SensorEvaluationContext, pending: list[PendingRun]) -> PendingOutcome:
    """Sort pending runs; a failed one is asked for again under a new run key."""
    outcome = PendingOutcome()
    for run in pending:
        state = state_of(context.instance, run)
        if state is RequestState.SUCCEEDED:
            outcome.succeeded.append(run)
        elif state is RequestState.FAILED:
            _retry_when_due(context, run, outcome)
        else:
            outcome.waiting.append(run)
    return outcome


def _retry_when_due(context: dg.SensorEvaluationContext, run: PendingRun, outcome) -> None:
    now = time.time()
    if not run.retry_at:
        run.retry_at = now + run.retry_pause()
        context.log.warning(
            "run for %s (%s, attempt %d) failed; requesting it again in %d s. Open the failed "
            "run in the Dagster UI for the reason.",
            run.request_id,
            run.job_name,
            run.attempt,
            run.retry_pause(),
        )
    if now >= run.retry_at:
        outcome.retries.append(run.retried())
    else:
        outcome.waiting.append(run)
