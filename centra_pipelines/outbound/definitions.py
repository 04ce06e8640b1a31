"""Schedules of the exchanges with the systems beside Centra (their jobs live in each system)."""

import dagster as dg

from centra_pipelines.config.sync import SyncConfig, load_sync_config
from centra_pipelines.outbound.schedules import build_outbound_schedules


def outbound_definitions(config: SyncConfig | None = None) -> dg.Definitions:
    return dg.Definitions(schedules=build_outbound_schedules(config or load_sync_config()))
