"""Sync frequencies per data type, read from sync.yaml (or the file CENTRA_SYNC_CONFIG names)."""

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from centra_pipelines.config.loader import ConfigFileError, load_model

DEFAULT_PATH = Path(__file__).with_name("sync.yaml")
PATH_VARIABLE = "CENTRA_SYNC_CONFIG"


class _Strict(BaseModel):
    # A misspelt key would otherwise be ignored and its default used without anyone noticing.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduleSettings(_Strict):
    cron: str = Field(description="Cron expression, in the file's timezone.")
    enabled: bool = True


class ReconciliationSettings(ScheduleSettings):
    days: int = Field(ge=1, le=92, description="Days of orders and returns to re-read.")


class Schedules(_Strict):
    reference: ScheduleSettings
    catalog: ScheduleSettings
    stock: ScheduleSettings
    customers: ScheduleSettings
    prices: ScheduleSettings
    reconciliation: ReconciliationSettings


class SensorSettings(_Strict):
    enabled: bool = True
    interval_seconds: int = Field(ge=5, le=86_400)


class DeltaSettings(SensorSettings):
    overlap_minutes: int = Field(ge=1, le=1_440)
    initial_lookback_hours: int = Field(ge=1, le=24 * 92)


class EventSettings(SensorSettings):
    max_events_per_tick: int = Field(ge=1, le=10_000)


class Sensors(_Strict):
    orders_delta: DeltaSettings
    webhooks: EventSettings
    event_queue: EventSettings
    markets: SensorSettings


class SyncConfig(_Strict):
    timezone: str = "UTC"
    schedules: Schedules
    # Per system beside Centra: how often its exchange runs (centra_pipelines/outbound/systems.py).
    outbound: dict[Literal["wms", "erp", "pim", "support"], ScheduleSettings] = Field(
        default_factory=dict
    )
    sensors: Sensors

    @pydantic.field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as UTC") from error
        return value


def sync_config_path() -> Path:
    configured = os.environ.get(PATH_VARIABLE)
    return Path(configured) if configured else DEFAULT_PATH


def load_sync_config(path: Path | None = None) -> SyncConfig:
    """The sync settings; a bad file raises ConfigFileError with the file, line and reason."""
    return load_model(path or sync_config_path(), SyncConfig)


__all__ = ["ConfigFileError", "SyncConfig", "load_sync_config", "sync_config_path"]
