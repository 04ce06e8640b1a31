"""The alerting sensors, built from alerting.yaml when definitions load (docs/alerting.md)."""

import logging

import dagster as dg

from centra_pipelines.alerting.channels import ENV_SLACK_URL, ENV_SMTP_HOST, configured_channels
from centra_pipelines.alerting.checks import failed_checks_detector
from centra_pipelines.alerting.freshness import stale_data_detector
from centra_pipelines.alerting.runs import detect_failed_runs
from centra_pipelines.alerting.sensor import AlertSensor
from centra_pipelines.alerting.watchdog import stalled_sensors_detector
from centra_pipelines.config.alerting import AlertingConfig, load_alerting_config

logger = logging.getLogger(__name__)

FAILED_RUNS = "alert_on_failed_runs"
FAILED_CHECKS = "alert_on_failed_checks"
STALLED_SENSORS = "alert_on_stalled_sensors"
STALE_DATA = "alert_on_stale_data"


def alerting_sensors(config: AlertingConfig) -> list[AlertSensor]:
    """The four alerting sensors, each able to be evaluated at a chosen moment (tests, demo)."""
    channels = config.channels
    return [
        AlertSensor(
            FAILED_RUNS,
            "Alerts once for every failed run of any job: the failed step and its error.",
            config.failed_runs,
            channels,
            detect_failed_runs,
        ),
        AlertSensor(
            FAILED_CHECKS,
            "Alerts when an asset check fails"
            + (" (ERROR or WARN)" if config.failed_checks.include_warnings else " with ERROR")
            + ", once until it passes again.",
            config.failed_checks,
            channels,
            failed_checks_detector(config.failed_checks),
        ),
        AlertSensor(
            STALLED_SENSORS,
            f"Alerts when a running sensor misses {config.stalled_sensors.missed_intervals} "
            "intervals, once until it ticks again. It cannot see the daemon itself stop.",
            config.stalled_sensors,
            channels,
            stalled_sensors_detector(config.stalled_sensors, STALLED_SENSORS),
        ),
        AlertSensor(
            STALE_DATA,
            "Alerts when an asset of a watched group is older than alerting.yaml allows, once "
            "until it is materialized again.",
            config.stale_data,
            channels,
            stale_data_detector(config.stale_data),
        ),
    ]


def alerting_definitions(config: AlertingConfig | None = None) -> dg.Definitions:
    """The alerting sensors; says once where alerts go, and refuses channel settings that fail."""
    config = config or load_alerting_config()
    channels = configured_channels(config.channels)
    if channels.channels:
        logger.info("alerts go to %s", channels.describe())
    else:
        logger.warning(
            "no alert channel is configured: alerts go to the alerting sensors' logs only. Set "
            "%s or %s (docs/alerting.md) to have them sent.",
            ENV_SLACK_URL,
            ENV_SMTP_HOST,
        )
    return dg.Definitions(sensors=[sensor.definition() for sensor in alerting_sensors(config)])
