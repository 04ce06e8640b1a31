"""Frequencies live in one YAML file: editing it changes the schedules; a bad one is refused."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from centra_pipelines.centra.automation.definitions import automation_definitions
from centra_pipelines.centra.automation.schedules import build_schedules
from centra_pipelines.config.loader import ConfigFileError
from centra_pipelines.config.sync import DEFAULT_PATH, load_sync_config
from centra_pipelines.models.partitions import market_partitions


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_PATH.read_text()
    assert old in text
    path = tmp_path / "sync.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_copy_named_by_the_environment_sets_the_frequencies(tmp_path, monkeypatch):
    path = edited(tmp_path, 'cron: "*/15 * * * *"', 'cron: "*/5 * * * *"')
    path.write_text(path.read_text().replace("interval_seconds: 180", "interval_seconds: 45"))
    monkeypatch.setenv("CENTRA_SYNC_CONFIG", str(path))

    repository = automation_definitions().get_repository_def()

    assert repository.get_schedule_def("centra_stock_schedule").cron_schedule == "*/5 * * * *"
    delta = repository.get_sensor_def("centra_orders_delta")
    assert delta.minimum_interval_seconds == 45


def test_an_unknown_key_is_refused_with_its_file_and_line(tmp_path):
    path = edited(tmp_path, "    overlap_minutes: 10", "    overlap_minute: 10")
    line = path.read_text().splitlines().index("    overlap_minute: 10") + 1

    with pytest.raises(ConfigFileError) as error:
        load_sync_config(path)

    assert f"{path}:{line}: sensors.orders_delta.overlap_minute" in str(error.value)


def test_a_value_out_of_range_names_what_was_expected(tmp_path):
    path = edited(tmp_path, "interval_seconds: 180", "interval_seconds: 1")

    with pytest.raises(ConfigFileError, match="interval_seconds: Input should be greater"):
        load_sync_config(path)


@pytest.mark.parametrize(
    ("old", "key"),
    [('cron: "0 2 * * *"', "reconciliation"), ('cron: "30 * * * *"', "prices")],
)
def test_a_bad_cron_is_refused_with_its_file_and_line(tmp_path, monkeypatch, old, key):
    path = edited(tmp_path, old, 'cron: "61 * * * *"')
    line = path.read_text().splitlines().index('    cron: "61 * * * *"') + 1
    monkeypatch.setenv("CENTRA_SYNC_CONFIG", str(path))

    with pytest.raises(ConfigFileError, match=f"{path}:{line}: schedules.{key}.cron"):
        build_schedules(load_sync_config())


def test_a_bad_timezone_is_refused(tmp_path):
    bad_zone = edited(tmp_path, "timezone: UTC", "timezone: Mars/Olympus")
    with pytest.raises(ConfigFileError, match="unknown timezone 'Mars/Olympus'"):
        load_sync_config(bad_zone)


def test_broken_yaml_is_refused_with_its_line(tmp_path):
    path = tmp_path / "sync.yaml"
    path.write_text("timezone: UTC\nschedules: [unclosed\n")

    with pytest.raises(ConfigFileError, match=f"{path}:3: not valid YAML"):
        load_sync_config(path)


def test_the_reconciliation_rereads_the_configured_days_of_every_market():
    schedules = {s.name: s for s in build_schedules(load_sync_config())}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(market_partitions.name, ["1", "2"])
        moment = datetime(2026, 11, 20, 2, tzinfo=UTC)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=moment) as tick:
            request = schedules["centra_reconciliation_orders"].evaluate_tick(tick).run_requests[0]

    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-14|1"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-20|2"


def test_an_empty_file_is_called_empty(tmp_path):
    path = tmp_path / "sync.yaml"
    path.write_text("# nothing yet\n")

    with pytest.raises(ConfigFileError, match="the file is empty"):
        load_sync_config(path)
