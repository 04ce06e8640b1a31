"""Each system beside Centra runs on its own schedule, and only where it is configured."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from centra_pipelines.config.loader import ConfigFileError
from centra_pipelines.config.sync import DEFAULT_PATH, load_sync_config
from centra_pipelines.outbound.schedules import build_outbound_schedules
from centra_pipelines.outbound.systems import SYSTEMS

MOMENT = datetime(2026, 12, 4, 10, 15, tzinfo=UTC)


def schedules_by_name(path: Path | None = None) -> dict[str, dg.ScheduleDefinition]:
    built = build_outbound_schedules(load_sync_config(path or DEFAULT_PATH))
    return {schedule.name: schedule for schedule in built}


def tick(schedule: dg.ScheduleDefinition):
    with dg.build_schedule_context(scheduled_execution_time=MOMENT) as context:
        return schedule.evaluate_tick(context)


def test_every_system_has_a_schedule_running_its_exchange_job():
    schedules = schedules_by_name()

    assert {name: s.job_name for name, s in schedules.items()} == {
        f"{system.name}_exchange_schedule": system.sync_job for system in SYSTEMS
    }


def test_an_unconfigured_system_skips_and_says_which_setting_is_missing(monkeypatch):
    monkeypatch.delenv("CENTRA_PIM_URL", raising=False)
    monkeypatch.setenv("CENTRA_PIM_TOKEN", "secret")

    result = tick(schedules_by_name()["pim_exchange_schedule"])

    assert result.run_requests == []
    assert "set CENTRA_PIM_URL" in result.skip_message
    assert "CENTRA_PIM_TOKEN" not in result.skip_message


def test_a_configured_system_requests_one_run_per_tick(monkeypatch):
    monkeypatch.setenv("CENTRA_ERP_DATABASE_URL", "postgresql+psycopg2://erp@127.0.0.1/erp")

    result = tick(schedules_by_name()["erp_exchange_schedule"])

    assert [request.run_key for request in result.run_requests] == [
        f"schedule:erp:{MOMENT.isoformat()}"
    ]


def test_a_system_the_product_does_not_know_is_refused_with_its_line(tmp_path):
    path = tmp_path / "sync.yaml"
    path.write_text(DEFAULT_PATH.read_text().replace("  pim:\n", "  pimm:\n", 1))
    line = path.read_text().splitlines().index("  pimm:") + 1

    with pytest.raises(ConfigFileError, match=rf"sync.yaml:{line}: outbound.pimm.\[key\]: Input"):
        schedules_by_name(path)
