"""Alerting settings: a bad one is refused naming what to fix; none at all means log-only."""

import logging
from pathlib import Path

import pytest

from centra_pipelines.alerting.channels import AlertSettingsError, configured_channels
from centra_pipelines.alerting.definitions import alerting_definitions
from centra_pipelines.config.alerting import (
    DEFAULT_PATH,
    ChannelSettings,
    load_alerting_config,
    longest_gap_minutes,
)
from centra_pipelines.config.loader import ConfigFileError
from centra_pipelines.config.sync import DEFAULT_PATH as SYNC_PATH
from centra_pipelines.config.sync import load_sync_config

EMAIL = {
    "CENTRA_ALERT_SMTP_HOST": "smtp.shop.example",
    "CENTRA_ALERT_SMTP_FROM": "dagster@shop.example",
    "CENTRA_ALERT_SMTP_TO": "oncall@shop.example",
}


def edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_shipped_windows_are_longer_than_their_schedules():
    config = load_alerting_config(DEFAULT_PATH, load_sync_config(SYNC_PATH))

    assert config.stale_data.groups["centra_stock"].max_lag_minutes == 45


def test_a_window_shorter_than_its_schedule_is_refused_with_file_and_line(tmp_path):
    path = edited(tmp_path, DEFAULT_PATH, "max_lag_minutes: 45", "max_lag_minutes: 15")
    line = path.read_text().splitlines().index("      max_lag_minutes: 15") + 1

    with pytest.raises(ConfigFileError) as error:
        load_alerting_config(path, load_sync_config(SYNC_PATH))

    message = str(error.value)
    assert f"{path}:{line}: stale_data.groups.centra_stock.max_lag_minutes: 15 min" in message
    assert "the 15 min between two runs of schedules.stock" in message


def test_a_schedule_made_slower_in_sync_yaml_makes_the_alerting_file_refused(tmp_path):
    sync = edited(tmp_path, SYNC_PATH, 'cron: "*/15 * * * *"', 'cron: "0 * * * *"')

    with pytest.raises(ConfigFileError, match="centra_stock.max_lag_minutes: 45 min"):
        load_alerting_config(DEFAULT_PATH, load_sync_config(sync))


def test_webhook_tries_that_could_outlast_a_sensor_tick_are_refused(tmp_path):
    path = edited(tmp_path, DEFAULT_PATH, "    attempts: 3", "    attempts: 5")
    line = path.read_text().splitlines().index("  slack:") + 1

    with pytest.raises(ConfigFileError) as error:
        load_alerting_config(path, load_sync_config(SYNC_PATH))

    assert f"{path}:{line}: channels.slack: Value error, 5 attempts" in str(error.value)
    assert "can take 45 s, more than the 30 s" in str(error.value)


@pytest.mark.parametrize(
    ("cron", "minutes"),
    [
        ("*/15 * * * *", 15),
        ("10 * * * *", 60),
        ("0 2 * * *", 1_440),
        ("0 9 * * 1-5", 3 * 1_440),  # Friday 09:00 to Monday 09:00
        ("0,30 8-17 * * *", 14 * 60 + 30),  # 17:30 to 08:00 the next day
        ("0 0 1 * *", 31 * 1_440),
        ("0 0 * * MON", None),  # names are not read, so nothing is compared
    ],
)
def test_the_longest_gap_between_runs_of_a_cron_schedule(cron, minutes):
    assert longest_gap_minutes(cron) == minutes


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({**EMAIL, "CENTRA_ALERT_SMTP_PORT": "smtp"}, "CENTRA_ALERT_SMTP_PORT"),
        ({**EMAIL, "CENTRA_ALERT_SMTP_SECURITY": "tls"}, "CENTRA_ALERT_SMTP_SECURITY"),
        ({**EMAIL, "CENTRA_ALERT_SMTP_FROM": ""}, "CENTRA_ALERT_SMTP_FROM"),
        ({**EMAIL, "CENTRA_ALERT_SMTP_TO": "oncall"}, "CENTRA_ALERT_SMTP_TO"),
        ({**EMAIL, "CENTRA_ALERT_SMTP_USERNAME": "dagster"}, "CENTRA_ALERT_SMTP_PASSWORD"),
        ({"CENTRA_ALERT_SMTP_TO": "oncall@shop.example"}, "CENTRA_ALERT_SMTP_HOST"),
        ({"CENTRA_ALERT_DAGSTER_URL": "dagster:3000"}, "CENTRA_ALERT_DAGSTER_URL"),
    ],
)
def test_a_bad_channel_setting_is_refused_naming_it(environment, named):
    with pytest.raises(AlertSettingsError, match=named):
        configured_channels(ChannelSettings(), environment)


@pytest.mark.parametrize(
    "secret",
    [
        "hooks.slack.com/services/T0/B0/not-a-url-but-secret",
        "https://hooks.slack.com:99999/services/T0/B0/not-a-url-but-secret",
    ],
)
def test_a_malformed_webhook_url_is_refused_without_repeating_the_secret(secret):
    with pytest.raises(AlertSettingsError, match="CENTRA_ALERT_SLACK_WEBHOOK_URL") as error:
        configured_channels(ChannelSettings(), {"CENTRA_ALERT_SLACK_WEBHOOK_URL": secret})

    assert "not-a-url-but-secret" not in str(error.value)


def test_environment_settings_win_over_the_file():
    settings = ChannelSettings.model_validate(
        {"email": {"host": "file.example", "port": 2525, "from": "file@shop.example", "to": []}}
    )
    environment = {
        "CENTRA_ALERT_SMTP_TO": "a@shop.example, b@shop.example",
        "CENTRA_ALERT_SMTP_SECURITY": "SSL",
    }

    email = configured_channels(settings, environment).get("email").server

    assert (email.host, email.port, email.security) == ("file.example", 2525, "ssl")
    assert email.recipients == ("a@shop.example", "b@shop.example")
    assert email.sender == "file@shop.example"


def test_loading_without_a_channel_says_once_that_alerts_go_to_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="centra_pipelines.alerting"):
        alerting_definitions(load_alerting_config())

    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 1
    assert said[0].startswith("no alert channel is configured: alerts go to the alerting")
    assert "CENTRA_ALERT_SLACK_WEBHOOK_URL" in said[0] and "CENTRA_ALERT_SMTP_HOST" in said[0]


def test_loading_refuses_a_bad_channel_setting(monkeypatch):
    monkeypatch.setenv("CENTRA_ALERT_SMTP_HOST", "smtp.shop.example")

    with pytest.raises(AlertSettingsError, match="CENTRA_ALERT_SMTP_FROM"):
        alerting_definitions(load_alerting_config())
