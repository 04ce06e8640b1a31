"""Alerting settings, read from alerting.yaml (or the file CENTRA_ALERTING_CONFIG names).

Besides the checks pydantic makes, loading compares each freshness window with the schedule in
sync.yaml that refreshes its group: a window shorter than the time between two runs would raise
an alert after every run, so the file is refused instead.
"""

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from centra_pipelines.config.loader import ConfigFileError, line_in_file, load_model
from centra_pipelines.config.sync import SyncConfig, load_sync_config, sync_config_path

DEFAULT_PATH = Path(__file__).with_name("alerting.yaml")
PATH_VARIABLE = "CENTRA_ALERTING_CONFIG"

ScheduleName = Literal["reference", "catalog", "stock", "customers", "prices", "reconciliation"]


class _Strict(BaseModel):
    # A misspelt key would otherwise be ignored and its default used without anyone noticing.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# Dagster gives a sensor tick 60 seconds; the webhook's tries must leave room for email and for
# reading the instance in the same tick.
SLACK_BUDGET_SECONDS = 30


class SlackSettings(_Strict):
    timeout_seconds: float = Field(5, gt=0, le=30)
    attempts: int = Field(3, ge=1, le=5)
    backoff_seconds: float = Field(2, ge=0, le=10)

    @pydantic.model_validator(mode="after")
    def _fits_in_a_tick(self) -> "SlackSettings":
        pauses = self.backoff_seconds * self.attempts * (self.attempts - 1) / 2
        worst = self.attempts * self.timeout_seconds + pauses
        if worst > SLACK_BUDGET_SECONDS:
            raise ValueError(
                f"{self.attempts} attempts of up to {self.timeout_seconds:g} s with their pauses "
                f"can take {worst:g} s, more than the {SLACK_BUDGET_SECONDS} s a sensor tick can "
                "give them; lower attempts, timeout_seconds or backoff_seconds"
            )
        return self


class EmailSettings(_Strict):
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65_535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    sender: str | None = Field(None, alias="from")
    recipients: tuple[str, ...] = Field((), alias="to")
    timeout_seconds: float = Field(10, gt=0, le=20)
    subject_prefix: str = "[centra-pipelines]"


class ChannelSettings(_Strict):
    dagster_url: str | None = None
    slack: SlackSettings = SlackSettings()
    email: EmailSettings = EmailSettings()


class SensorSettings(_Strict):
    enabled: bool = True
    interval_seconds: int = Field(ge=5, le=86_400)


class CheckSettings(SensorSettings):
    include_warnings: bool = False


class WatchdogSettings(SensorSettings):
    missed_intervals: int = Field(3, ge=2, le=100)
    minimum_minutes: int = Field(10, ge=1, le=1_440)


class GroupFreshness(_Strict):
    max_lag_minutes: int = Field(ge=1, le=60 * 24 * 31)
    refreshed_by: ScheduleName | None = None


class FreshnessSettings(SensorSettings):
    groups: dict[str, GroupFreshness] = Field(default_factory=dict)


class AlertingConfig(_Strict):
    channels: ChannelSettings = ChannelSettings()
    failed_runs: SensorSettings
    failed_checks: CheckSettings
    stalled_sensors: WatchdogSettings
    stale_data: FreshnessSettings


def alerting_config_path() -> Path:
    configured = os.environ.get(PATH_VARIABLE)
    return Path(configured) if configured else DEFAULT_PATH


def load_alerting_config(
    path: Path | None = None, sync: SyncConfig | None = None
) -> AlertingConfig:
    """The alerting settings; a bad file raises ConfigFileError with the file, line and reason.

    Args:
        path: the settings file; by default the one CENTRA_ALERTING_CONFIG names, or the default.
        sync: the sync settings the freshness windows are compared with; by default loaded.
    """
    path = path or alerting_config_path()
    config = load_model(path, AlertingConfig)
    check_against_schedules(config, sync or load_sync_config(), path)
    return config


def check_against_schedules(config: AlertingConfig, sync: SyncConfig, path: Path) -> None:
    """Refuse a freshness window no longer than the time between two runs of its schedule."""
    for group, freshness in config.stale_data.groups.items():
        if freshness.refreshed_by is None:
            continue
        schedule = getattr(sync.schedules, freshness.refreshed_by)
        gap = longest_gap_minutes(schedule.cron)
        if not schedule.enabled or gap is None or freshness.max_lag_minutes > gap:
            continue

        key = ("stale_data", "groups", group, "max_lag_minutes")
        raise ConfigFileError(
            f"{path}:{line_in_file(path, key)}: {'.'.join(key)}: {freshness.max_lag_minutes} min "
            f"is not longer than the {gap} min between two runs of schedules."
            f"{freshness.refreshed_by} ({schedule.cron!r}) in {sync_config_path()}; the group "
            "would be reported stale after every run. Raise the window (a few runs' worth) or "
            "run the schedule more often."
        )


# Long enough to see two gaps of a monthly schedule; a schedule that runs less often than that
# (or uses names such as MON or JAN) is not compared.
_SPAN_DAYS = 70
_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def longest_gap_minutes(cron: str) -> int | None:
    """The longest time between two runs of a five-field cron expression, in minutes.

    Returns None for an expression this reading does not cover, so that no check is made on a
    guess. Times are wall-clock times; a daylight-saving change can stretch one gap by an hour.
    """
    fields = cron.split()
    if len(fields) != 5:
        return None
    try:
        minutes, hours, days, months, weekdays = (
            _field_values(text, low, high)
            for text, (low, high) in zip(fields, _FIELD_RANGES, strict=True)
        )
    except ValueError:
        return None

    times_of_day = sorted(hour * 60 + minute for hour in hours for minute in minutes)
    weekdays = {day % 7 for day in weekdays}  # cron's 7 is Sunday, like 0
    start = date(2026, 1, 1)
    runs = []
    for offset in range(_SPAN_DAYS):
        day = start + timedelta(days=offset)
        if _runs_on(day, fields, days, months, weekdays):
            runs.extend(offset * 1_440 + time for time in times_of_day)

    gaps = [later - earlier for earlier, later in zip(runs, runs[1:], strict=False)]
    return max(gaps) if gaps else None


def _runs_on(day: date, fields: list[str], days: set, months: set, weekdays: set) -> bool:
    if day.month not in months:
        return False
    on_day = day.day in days
    on_weekday = (day.weekday() + 1) % 7 in weekdays
    # Cron runs on either when both day fields are restricted, otherwise on the restricted one.
    if fields[2] != "*" and fields[4] != "*":
        return on_day or on_weekday
    return on_day and on_weekday


def _field_values(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first, last = (int(bound) for bound in span.split("-", 1))
        else:
            first = int(span)
            last = high if step else first
        values.update(range(first, last + 1, int(step) if step else 1))
    if not values or min(values) < low or max(values) > high:
        raise ValueError(f"{text!r} is outside {low}-{high}")
    return values


__all__ = [
    "AlertingConfig",
    "ChannelSettings",
    "ConfigFileError",
    "load_alerting_config",
]
