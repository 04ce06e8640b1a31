"""A sandbox window synced once per session, long enough to hold refunds, and an empty ERP.

The automation tests' shared window (90 orders over 3 days) holds no return yet, so no refund:
refunds come 2 to 7 days after a shipment. This window of 7 days holds a few, at the price of
one more full sync per session.
"""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.connectors.sql import SqlDatabase
from centra_pipelines.definitions import defs
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines_tests.pipelines.conftest import WINDOW_START, Pipeline, sandbox_config
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401
from centra_sandbox import start_sandbox
from sandbox_systems.erp import create_erp

ORDERS = 200
WINDOW_DAYS = 7


@dataclass
class ErpWorld(Pipeline):
    """A synced sandbox and warehouse, an ERP database, and the resources of the ERP flows."""

    erp_url: str = ""

    def resources(self, **client_overrides) -> dict:
        return {
            "centra": self.client(**client_overrides),
            "warehouse": self.warehouse,
            "erp_database": SqlDatabase(url=self.erp_url),
        }


def _config():
    # The enterprise plan's quotas let the client go at full speed; pacing is tested elsewhere.
    return sandbox_config(orders=ORDERS, window_days=WINDOW_DAYS, plan="enterprise")


def _environment(monkeypatch, sandbox, folder: Path) -> None:
    monkeypatch.setenv("CENTRA_API_URL", sandbox.url)
    monkeypatch.setenv("CENTRA_API_TOKEN", sandbox.token)
    monkeypatch.setenv("CENTRA_WAREHOUSE_PATH", str(folder / "warehouse.duckdb"))


@pytest.fixture(scope="session")
def erp_synced_state(tmp_path_factory) -> Path:
    """A Dagster home and warehouse after one full sync of the 7-day window, made once."""
    folder = tmp_path_factory.mktemp("erp-synced-state")
    (folder / "home").mkdir()
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        start_sandbox(_config()) as sandbox,
        dg.instance_for_test(temp_dir=str(folder / "home")) as instance,
    ):
        _environment(monkeypatch, sandbox, folder)
        run_full_sync(defs, instance, start=WINDOW_START, days=WINDOW_DAYS, exchange=False)
    return folder


@pytest.fixture
def world(
    erp_synced_state,
    tmp_path,
    monkeypatch,
    postgres_url,  # noqa: F811 (the fixture imported above)
) -> Iterator[ErpWorld]:
    """A fresh sandbox with the same seed, a copy of the synced warehouse and an empty ERP."""
    shutil.copytree(erp_synced_state, tmp_path, dirs_exist_ok=True)
    create_erp(postgres_url)
    with (
        start_sandbox(_config()) as sandbox,
        dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance,
    ):
        _environment(monkeypatch, sandbox, tmp_path)
        warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
        try:
            yield ErpWorld(sandbox, instance, warehouse, erp_url=postgres_url)
        finally:
            warehouse.close()
