"""A full sync of every Centra asset over a window of days, in this process.

This is the main job: reference data and catalogue first (the markets asset registers the market
partitions), then prices for every market, then orders and returns for every market x day of the
window, then the analytics and finance tables derived from them, then the exchanges with every
configured system beside Centra (WMS, ERP, PIM, customer service). Each phase is one Dagster run
whose steps execute in-process, and the partitioned phases are single-run backfills over a
partition range, so nothing pays a process start per step or partition.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import dagster as dg

from centra_pipelines.models import metadata
from centra_pipelines.models.partitions import market_day_partitions, market_partitions
from centra_pipelines.outbound.exchange import ExchangeReport, run_exchanges

logger = logging.getLogger(__name__)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# Step-level progress (pages, rows per day) is logged at INFO; Dagster's own DEBUG events would
# drown it on the console.
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class FullSyncError(RuntimeError):
    """A phase of the full sync failed; the message names the run to inspect."""


@dataclass
class FullSyncResult:
    run_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0
    api_requests: int = 0
    api_complexity: int = 0
    api_throttled: int = 0
    api_retries: int = 0
    exchanges: list[ExchangeReport] = field(default_factory=list)


def run_full_sync(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    *,
    start: date,
    days: int,
    exchange: bool = True,
    dry_run: bool = False,
) -> FullSyncResult:
    """Materialize every asset, and every partition of the `days` starting at `start`.

    With `exchange`, the configured systems beside Centra are then planned and sent to; with
    `dry_run` as well, only planned: their runs list what would be sent and send nothing.
    """
    result = FullSyncResult()
    began = time.monotonic()

    _run(defs, instance, "centra_unpartitioned_sync", {}, result)

    market_keys = instance.get_dynamic_partitions(market_partitions.name)
    if not market_keys:
        raise FullSyncError("Centra returned no markets, so there is no partition to sync")
    _run(defs, instance, "centra_prices_sync", _range_tags(market_keys), result)

    window_keys = window_partition_keys(instance, start=start, days=days)
    _run(defs, instance, "centra_orders_sync", _range_tags(window_keys), result)

    _run(defs, instance, "analytics_build", {}, result)
    # Finance after the orders it is derived from: exchange rates before the daily conversions,
    # the unpartitioned reports after the daily tables they summarise.
    _run(defs, instance, "finance_rates", {}, result)
    _run(defs, instance, "finance_build", _range_tags(window_keys), result)
    _run(defs, instance, "finance_reference_build", {}, result)

    if exchange:
        result.exchanges = run_exchanges(
            defs,
            instance,
            lambda job_name: _run(defs, instance, job_name, {}, result),
            dry_run=dry_run,
        )

    result.seconds = time.monotonic() - began
    return result


def window_partition_keys(instance: dg.DagsterInstance, *, start: date, days: int) -> list[str]:
    """Every market x day key of the window, in Dagster's partition order."""
    wanted_days = {(start + timedelta(days=offset)).isoformat() for offset in range(days)}
    keys = market_day_partitions.get_partition_keys(dynamic_partitions_store=instance)
    window = [key for key in keys if key.split("|")[0] in wanted_days]
    if not window:
        raise FullSyncError(
            f"no partitions between {start} and {days} days later; the window must start on or "
            "after ORDER_HISTORY_START and end no later than today"
        )

    first, last = keys.index(window[0]), keys.index(window[-1])
    if keys[first : last + 1] != window:
        raise FullSyncError("the window's partition keys are not contiguous in partition order")
    return window


def _range_tags(keys: list[str]) -> dict[str, str]:
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}


def _run(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    job_name: str,
    tags: dict[str, str],
    result: FullSyncResult,
) -> str:
    logger.info("starting %s", job_name)
    job = defs.resolve_job_def(job_name)
    outcome = job.execute_in_process(
        run_config=RUN_CONFIG, instance=instance, tags=tags, raise_on_error=False
    )
    result.run_ids.append(outcome.run_id)

    if not outcome.success:
        raise FullSyncError(
            f"{job_name} failed in run {outcome.run_id}; open the run in the Dagster UI or read "
            "its event log for the failing step"
        )

    _add_api_cost(instance, outcome.run_id, result)
    return outcome.run_id


def _add_api_cost(instance: dg.DagsterInstance, run_id: str, result: FullSyncResult) -> None:
    """Add up the API cost the run's materializations reported (each batch is counted once)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    for record in records:
        values = record.event_log_entry.asset_materialization.metadata
        result.api_requests += _int(values, metadata.API_REQUESTS)
        result.api_complexity += _int(values, metadata.API_COMPLEXITY)
        result.api_throttled += _int(values, metadata.API_THROTTLED)
        result.api_retries += _int(values, metadata.API_RETRIES)


def _int(values: dict, key: str) -> int:
    value = values.get(key)
    return int(value.value) if value is not None else 0
