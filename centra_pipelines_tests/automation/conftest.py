"""A sandbox whose window the main job has synced, and a driver that ticks sensors on demand."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from centra_pipelines.centra.automation.in_process import SensorDriver
from centra_pipelines.centra.automation.webhook_sensor import WebhookInboxResource
from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.webhooks.inbox import WebhookInbox
from centra_pipelines_tests.pipelines.conftest import WINDOW_START, Pipeline, sandbox_config
from centra_sandbox import start_sandbox

# Small enough that the full sync each test starts from takes a few seconds.
ORDERS = 90
WINDOW_DAYS = 3


@dataclass
class Synced(Pipeline):
    """A pipeline after one full sync, with a sensor driver and a webhook inbox."""

    driver: SensorDriver | None = None
    inbox: WebhookInbox | None = None
    dagster_home: Path | None = None

    def requests_sent(self) -> int:
        return self.sandbox.metrics()["requests"]

    def order(self, number: int) -> dict:
        rows = self.warehouse.fetch(
            "SELECT status, other_comment, market_id, partition_date FROM centra_raw.orders "
            f"WHERE order_number = {int(number)}"
        )
        assert len(rows) == 1, f"order {number} is stored {len(rows)} times"
        status, comment, market_id, day = rows[0]
        return {"status": status, "comment": comment, "market_id": market_id, "day": day}

    def seeded_orders(self, count: int) -> list[int]:
        """Order numbers spread over different days of the window."""
        rows = self.warehouse.fetch(
            "SELECT min(order_number) FROM centra_raw.orders GROUP BY partition_date "
            f"ORDER BY partition_date LIMIT {int(count)}"
        )
        return [row[0] for row in rows]


@contextmanager
def warehouse_locked(synced: Synced) -> Iterator[None]:
    """Another process holds the DuckDB file, so every run that writes it fails at once."""
    synced.warehouse.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_DUCKDB, str(synced.warehouse.path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait(10)


_HOLD_DUCKDB = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(120)
"""


def inbox_url_in(folder) -> str:
    return f"sqlite:///{folder / 'inbox.sqlite'}"


def run_in_another_process(request: dg.RunRequest, dagster_home) -> subprocess.Popen:
    """Launch a requested run the way a run worker would: its own process, same instance."""
    command = [
        os.path.join(os.path.dirname(sys.executable), "dagster"),
        "job",
        "execute",
        "-m",
        "centra_pipelines.definitions",
        "-j",
        request.job_name,
        "--tags",
        json.dumps(dict(request.tags)),
    ]
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _sandbox_config(**overrides):
    # The enterprise plan's quotas let the client go at full speed; pacing is tested elsewhere.
    return sandbox_config(orders=ORDERS, window_days=WINDOW_DAYS, plan="enterprise", **overrides)


def _environment(monkeypatch, sandbox, folder: Path) -> None:
    monkeypatch.setenv("CENTRA_API_URL", sandbox.url)
    monkeypatch.setenv("CENTRA_API_TOKEN", sandbox.token)
    monkeypatch.setenv("CENTRA_WAREHOUSE_PATH", str(folder / "warehouse.duckdb"))
    monkeypatch.setenv("CENTRA_WEBHOOK_INBOX_URL", inbox_url_in(folder))


@pytest.fixture(scope="session")
def synced_state(tmp_path_factory) -> Path:
    """A Dagster home and warehouse after one full sync of the seeded sandbox, made once.

    The sandbox generates the same data from the same seed, so each test copies this state and
    starts a fresh sandbox instead of paying for a full sync of its own.
    """
    folder = tmp_path_factory.mktemp("synced-state")
    (folder / "home").mkdir()
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        start_sandbox(_sandbox_config()) as sandbox,
        dg.instance_for_test(temp_dir=str(folder / "home")) as instance,
    ):
        _environment(monkeypatch, sandbox, folder)
        run_full_sync(defs, instance, start=WINDOW_START, days=WINDOW_DAYS)
    return folder


def synced_pipeline(state: Path, tmp_path: Path, monkeypatch, **overrides) -> Iterator[Synced]:
    """A fresh sandbox, and a copy of the synced Dagster home and warehouse, in tmp_path."""
    shutil.copytree(state, tmp_path, dirs_exist_ok=True)
    home = tmp_path / "home"
    with (
        start_sandbox(_sandbox_config(**overrides)) as sandbox,
        dg.instance_for_test(temp_dir=str(home)) as instance,
    ):
        _environment(monkeypatch, sandbox, tmp_path)
        synced = Synced(sandbox, instance, DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb")))
        synced.dagster_home = home
        inbox_url = inbox_url_in(tmp_path)
        resources = {
            "centra": synced.client(),
            "webhook_inbox": WebhookInboxResource(database_url=inbox_url),
        }
        synced.driver = SensorDriver(defs, instance, resources)
        synced.inbox = WebhookInbox(inbox_url)
        try:
            yield synced
        finally:
            synced.inbox.close()
            synced.warehouse.close()


@pytest.fixture
def synced(synced_state, tmp_path, monkeypatch) -> Iterator[Synced]:
    yield from synced_pipeline(synced_state, tmp_path, monkeypatch)
