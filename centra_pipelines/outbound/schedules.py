"""A schedule per system beside Centra, at the frequency sync.yaml gives it.

A tick skips, saying which settings are missing, when the system is not configured here; that
keeps a deployment without (say) a PIM free of failed runs every hour.
"""

import dagster as dg

from centra_pipelines.centra.automation.refresh import TRIGGER_TAG
from centra_pipelines.config.sync import ScheduleSettings, SyncConfig
from centra_pipelines.outbound.systems import SYSTEMS, OutboundSystem


def build_outbound_schedules(config: SyncConfig) -> list[dg.ScheduleDefinition]:
    # The settings file only accepts the names of SYSTEMS, so every key is found here.
    known = {system.name: system for system in SYSTEMS}
    return [
        _schedule(known[name], settings, config.timezone)
        for name, settings in config.outbound.items()
    ]


def _schedule(system: OutboundSystem, settings: ScheduleSettings, timezone: str):
    @dg.schedule(
        name=f"{system.name}_exchange_schedule",
        job_name=system.sync_job,
        cron_schedule=settings.cron,
        execution_timezone=timezone,
        default_status=(
            dg.DefaultScheduleStatus.RUNNING
            if settings.enabled
            else dg.DefaultScheduleStatus.STOPPED
        ),
        description=f"The {system.name.upper()} exchange: {system.description}.",
    )
    def _exchange(context: dg.ScheduleEvaluationContext):
        missing = system.missing_settings()
        if missing:
            return dg.SkipReason(
                f"{system.name} is not configured here: set {', '.join(missing)} in the code "
                "location's environment to run this exchange"
            )
        moment = context.scheduled_execution_time.isoformat()
        return dg.RunRequest(
            run_key=f"schedule:{system.name}:{moment}", tags={TRIGGER_TAG: "schedule"}
        )

    return _exchange
