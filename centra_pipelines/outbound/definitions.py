"""The exchanges with the systems beside Centra: each system's jobs, and their schedules."""

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from centra_pipelines.config.sync import SyncConfig, load_sync_config
from centra_pipelines.failures import RETRY_POLICY
from centra_pipelines.outbound.schedules import build_outbound_schedules
from centra_pipelines.outbound.systems import system


def outbound_definitions(config: SyncConfig | None = None) -> dg.Definitions:
    return dg.Definitions(schedules=build_outbound_schedules(config or load_sync_config()))


def system_definitions(
    name: str,
    *,
    plan_assets: Sequence[dg.AssetsDefinition],
    send_assets: Sequence[dg.AssetsDefinition],
    sync_description: str,
    dry_run_description: str,
    resources: Mapping[str, Any],
    jobs: Sequence[Any] = (),
) -> dg.Definitions:
    """One system's assets and resources, its sync job (plan and send) and its dry-run job.

    The two jobs take their names from outbound/systems.py, by which the main job and the
    schedules run them, and retry steps that fail for transient reasons (failures.py). `jobs`
    are the system's other jobs, such as one per flow.
    """
    exchange = system(name)
    sync_job = dg.define_asset_job(
        exchange.sync_job,
        selection=dg.AssetSelection.assets(*plan_assets, *send_assets),
        description=sync_description,
        op_retry_policy=RETRY_POLICY,
    )
    dry_run_job = dg.define_asset_job(
        exchange.dry_run_job,
        selection=dg.AssetSelection.assets(*plan_assets),
        description=dry_run_description,
        op_retry_policy=RETRY_POLICY,
    )
    return dg.Definitions(
        assets=[*plan_assets, *send_assets],
        jobs=[*jobs, sync_job, dry_run_job],
        resources=dict(resources),
    )
