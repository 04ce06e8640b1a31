"""What a batch of Centra changes means for the warehouse: which partitions and jobs to re-run.

Webhooks, the event queue and the delta sync all end in a RefreshPlan. Turning a plan into run
requests is shared, so the three paths ask for the same runs for the same changes: one run per day
of orders and returns (one Centra query serves every market of a day), and one run per unpartitioned
data type.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dagster as dg

from centra_pipelines.centra import jobs
from centra_pipelines.centra.full_sync import RANGE_END_TAG, RANGE_START_TAG
from centra_pipelines.models.partitions import MarketDay, market_partitions
from centra_pipelines.models.values import ValueConversionError, to_utc
from centra_pipelines.settings import ORDER_HISTORY_START

# Every run a sensor or schedule asks for carries this tag; sensors find their runs by it.
REQUEST_TAG = "centra/sync_request"
TRIGGER_TAG = "centra/trigger"

# A run whose process died stays STARTED, and a sensor waiting to confirm events or move a mark
# would wait on it for ever. With run monitoring on (dagster.yaml), the daemon fails a sensor's
# run that outlives this, and the sensor requests its work again. These runs take seconds.
MAX_RUNTIME_TAG = "dagster/max_runtime"
MAX_RUNTIME_SECONDS = 3600


@dataclass
class RefreshPlan:
    """Market x day partitions of orders and returns, and unpartitioned jobs, to re-run."""

    market_days: set[MarketDay] = field(default_factory=set)
    jobs: set[str] = field(default_factory=set)
    prices: bool = False

    def add_order(self, market_id: object, timestamp: object) -> bool:
        """Add the partition of a record dated `timestamp` in `market_id`; False if unusable."""
        if not isinstance(timestamp, str) or not isinstance(market_id, int | str):
            return False
        try:
            moment = to_utc(timestamp, field="date")
            market = int(market_id)
        except (ValueConversionError, ValueError):
            return False
        if moment is None:
            return False
        self.market_days.add(MarketDay(market_id=market, day=moment.date()))
        return True

    def merge(self, other: "RefreshPlan") -> None:
        self.market_days |= other.market_days
        self.jobs |= other.jobs
        self.prices = self.prices or other.prices

    def is_empty(self) -> bool:
        return not (self.market_days or self.jobs or self.prices)

    def describe(self) -> str:
        parts = []
        if self.market_days:
            days = sorted({market_day.day for market_day in self.market_days})
            parts.append(f"{len(self.market_days)} order partitions over {len(days)} days")
        if self.prices:
            parts.append("prices of every market")
        parts += sorted(self.jobs)
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class PlannedRun:
    """One run to request: the job and the tags that pick its partitions."""

    job_name: str
    tags: dict[str, str]

    @property
    def name(self) -> str:
        partitions = self.tags.get(RANGE_START_TAG)
        return f"{self.job_name}[{partitions}]" if partitions else self.job_name


def planned_runs(plan: RefreshPlan, market_keys: list[str]) -> list[PlannedRun]:
    """The runs that carry out a plan, given the registered market keys in partition order."""
    runs = [PlannedRun(job, {}) for job in sorted(plan.jobs)]
    if plan.prices and market_keys:
        runs.append(PlannedRun(jobs.prices_sync_job.name, _range(market_keys)))

    by_day: dict[date, list[str]] = {}
    for market_day in sorted(plan.market_days, key=lambda m: (m.day, m.market_id)):
        by_day.setdefault(market_day.day, []).append(str(market_day.market_id))
    for day, markets in by_day.items():
        # A run covers a contiguous range of keys: adjacent changed markets share a run (and one
        # Centra query), and a gap starts a new one, so no unchanged partition is re-read.
        for first, last in _contiguous(markets, market_keys):
            keys = [f"{day.isoformat()}|{first}", f"{day.isoformat()}|{last}"]
            runs.append(PlannedRun(jobs.orders_sync_job.name, _range(keys)))
    return runs


def _contiguous(markets: list[str], market_keys: list[str]) -> list[tuple[str, str]]:
    """Runs of markets adjacent in partition order, as (first, last) pairs."""
    positions = sorted(market_keys.index(market) for market in markets)
    groups: list[list[int]] = []
    for position in positions:
        if groups and position == groups[-1][-1] + 1:
            groups[-1].append(position)
        else:
            groups.append([position])
    return [(market_keys[group[0]], market_keys[group[-1]]) for group in groups]


def _range(keys: list[str]) -> dict[str, str]:
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}


def partition_limits(plan: RefreshPlan, today: date | None = None) -> tuple[RefreshPlan, list[str]]:
    """The plan without partitions that do not exist, and a note on each one dropped.

    Orders dated before ORDER_HISTORY_START or after today have no partition; they are reported
    rather than failing the whole batch.
    """
    today = today or datetime.now(UTC).date()
    first = date.fromisoformat(ORDER_HISTORY_START)
    kept = RefreshPlan(jobs=set(plan.jobs), prices=plan.prices)
    dropped = []
    for market_day in plan.market_days:
        where = f"market {market_day.market_id} on {market_day.day}"
        if market_day.day < first:
            dropped.append(
                f"{where} is before ORDER_HISTORY_START ({first}); move it back to sync that day"
            )
        elif market_day.day > today:
            dropped.append(
                f"{where} is dated after today ({today}, UTC); it is synced once that day has a "
                "partition, by the delta or the nightly reconciliation"
            )
        else:
            kept.market_days.add(market_day)
    return kept, dropped


def new_markets(plan: RefreshPlan, market_keys: Iterable[str]) -> list[str]:
    """Markets the plan touches that are not partitions yet."""
    known = set(market_keys)
    wanted = {str(market_day.market_id) for market_day in plan.market_days}
    return sorted(wanted - known, key=int)


def run_requests(
    runs: Iterable[PlannedRun], *, trigger: str, batch: str
) -> list[tuple[str, dg.RunRequest]]:
    """RunRequests for planned runs, each with a request id unique to this batch and run."""
    requests = []
    for run in runs:
        request_id = f"{trigger}:{batch}:{_short_hash(run.name)}"
        requests.append((request_id, to_run_request(request_id, run, trigger=trigger)))
    return requests


def to_run_request(request_id: str, run: PlannedRun, *, trigger: str) -> dg.RunRequest:
    tags = {
        **run.tags,
        REQUEST_TAG: request_id,
        TRIGGER_TAG: trigger,
        MAX_RUNTIME_TAG: str(MAX_RUNTIME_SECONDS),
    }
    return dg.RunRequest(run_key=request_id, job_name=run.job_name, tags=tags)


def registered_markets(instance: dg.DagsterInstance) -> list[str]:
    return list(instance.get_dynamic_partitions(market_partitions.name))


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
