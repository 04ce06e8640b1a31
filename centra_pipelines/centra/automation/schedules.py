"""A schedule per data type, at the frequency sync.yaml gives it, plus a nightly reconciliation."""

from datetime import timedelta
from functools import partial

import dagster as dg

from centra_pipelines.centra import jobs
from centra_pipelines.centra.automation.refresh import (
    REQUEST_TAG,
    TRIGGER_TAG,
    registered_markets,
)
from centra_pipelines.centra.full_sync import RANGE_END_TAG, RANGE_START_TAG
from centra_pipelines.config.loader import ConfigFileError, line_in_file
from centra_pipelines.config.sync import ScheduleSettings, SyncConfig, sync_config_path
from centra_pipelines.models.partitions import market_day_partitions


def _status(settings: ScheduleSettings) -> dg.DefaultScheduleStatus:
    if settings.enabled:
        return dg.DefaultScheduleStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED


def _checked(name: str, build):
    # Dagster rejects a bad cron string when the schedule is built; say which line of which file.
    try:
        return build()
    except dg.DagsterInvalidDefinitionError as error:
        path = sync_config_path()
        line = line_in_file(path, ("schedules", name, "cron"))
        raise ConfigFileError(f"{path}:{line}: schedules.{name}.cron: {error}") from error


def build_schedules(config: SyncConfig) -> list[dg.ScheduleDefinition]:
    schedules = config.schedules
    per_type = {
        "reference": jobs.reference_sync_job,
        "catalog": jobs.catalog_sync_job,
        "stock": jobs.stock_sync_job,
        "customers": jobs.customers_sync_job,
    }
    built = [
        _checked(name, lambda name=name, job=job: _job_schedule(name, job, config))
        for name, job in per_type.items()
    ]
    prices = partial(
        _ranged_schedule,
        "centra_prices_schedule",
        jobs.prices_sync_job,
        _markets,
        schedules.prices,
        config.timezone,
    )
    built.append(_checked("prices", prices))
    built += _checked("reconciliation", lambda: _reconciliation_schedules(config))
    return built


def _job_schedule(name: str, job, config: SyncConfig) -> dg.ScheduleDefinition:
    settings: ScheduleSettings = getattr(config.schedules, name)
    return dg.ScheduleDefinition(
        name=f"centra_{name}_schedule",
        job=job,
        cron_schedule=settings.cron,
        execution_timezone=config.timezone,
        default_status=_status(settings),
        tags={TRIGGER_TAG: "schedule"},
    )


def _reconciliation_schedules(config: SyncConfig) -> list[dg.ScheduleDefinition]:
    """Three schedules on one cron: a schedule runs one job, and the parts differ in partitions."""
    settings = config.schedules.reconciliation
    parts = {
        "unpartitioned": (jobs.unpartitioned_sync_job, None),
        "prices": (jobs.prices_sync_job, _markets),
        "orders": (jobs.orders_sync_job, lambda context: recent_order_keys(context, settings.days)),
    }
    return [
        _ranged_schedule(f"centra_reconciliation_{name}", job, keys_of, settings, config.timezone)
        for name, (job, keys_of) in parts.items()
    ]


def _markets(context: dg.ScheduleEvaluationContext) -> list[str]:
    return registered_markets(context.instance)


def _ranged_schedule(name, job, keys_of, settings, timezone) -> dg.ScheduleDefinition:
    """A schedule whose run covers the partition keys `keys_of` gives at each tick (or none)."""

    @dg.schedule(
        name=name,
        job=job,
        cron_schedule=settings.cron,
        execution_timezone=timezone,
        default_status=_status(settings),
        description=job.description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        if keys_of is None:
            return _request(context, job.name, {}, name)
        keys = keys_of(context)
        if not keys:
            return dg.SkipReason("no partitions yet; the markets sensor or a sync adds them")
        return _range_request(context, job.name, keys, name)

    return _schedule


def recent_order_keys(context: dg.ScheduleEvaluationContext, days: int) -> list[str]:
    now = context.scheduled_execution_time
    first_day = (now - timedelta(days=days - 1)).date().isoformat()
    keys = market_day_partitions.get_partition_keys(
        current_time=now, dynamic_partitions_store=context.instance
    )
    return [key for key in keys if key.split("|")[0] >= first_day]


def _range_request(context, job_name: str, keys: list[str], label: str) -> dg.RunRequest:
    return _request(context, job_name, {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}, label)


def _request(context, job_name: str, tags: dict[str, str], label: str) -> dg.RunRequest:
    moment = context.scheduled_execution_time.isoformat()
    request_id = f"schedule:{label}:{moment}"
    return dg.RunRequest(
        run_key=request_id,
        job_name=job_name,
        tags={**tags, REQUEST_TAG: request_id, TRIGGER_TAG: "schedule"},
    )
