"""The main job's last phase: one run per configured system beside Centra, in this process.

Each system's job plans and sends (or, in a dry run, only plans); what each run sent is read back
from its materializations' `sent` counts, so the main job can say what left and where.
"""

import logging
from dataclasses import dataclass

import dagster as dg

from centra_pipelines.outbound.systems import SYSTEMS, OutboundSystem

logger = logging.getLogger(__name__)

# Every sending asset reports how many changes the target took under this key.
SENT = "sent"
WOULD_SEND = "would_send"


@dataclass
class ExchangeReport:
    system: str
    run_id: str | None = None
    sent: int = 0
    would_send: int = 0
    skipped: str | None = None  # why the system was not run


def run_exchanges(
    defs: dg.Definitions, instance: dg.DagsterInstance, run_job, *, dry_run: bool = False
) -> list[ExchangeReport]:
    """Run each configured system's job with `run_job(job_name) -> run_id`; skip the others."""
    reports = []
    for system in SYSTEMS:
        missing = system.missing_settings()
        if missing:
            reason = f"not configured: {', '.join(missing)} unset"
            logger.info("skipping the %s exchange (%s)", system.name, reason)
            reports.append(ExchangeReport(system.name, skipped=reason))
            continue
        reports.append(_exchange(system, instance, run_job, dry_run))
    return reports


def _exchange(system: OutboundSystem, instance, run_job, dry_run: bool) -> ExchangeReport:
    job_name = system.dry_run_job if dry_run else system.sync_job
    run_id = run_job(job_name)

    report = ExchangeReport(system.name, run_id)
    for values in _materialization_metadata(instance, run_id):
        report.sent += _int(values, SENT)
        report.would_send += _int(values, WOULD_SEND)
    logger.info(
        "%s exchange: %d sent, %d planned to send (run %s)",
        system.name,
        report.sent,
        report.would_send,
        run_id,
    )
    return report


def _materialization_metadata(instance: dg.DagsterInstance, run_id: str) -> list[dict]:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    return [record.event_log_entry.asset_materialization.metadata for record in records]


def _int(values: dict, key: str) -> int:
    value = values.get(key)
    return int(value.value) if value is not None else 0
