"""Fixtures that run the pipelines against a sandbox started by the tests on a loopback port."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import dagster as dg
import pytest

from centra_pipelines.centra.assets.quarantine import DataContracts
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_sandbox import SandboxConfig, start_sandbox

WINDOW_START = date(2026, 11, 1)
WINDOW_DAYS = 7


@dataclass
class Pipeline:
    """Everything a test needs to run assets against one sandbox."""

    sandbox: object
    instance: dg.DagsterInstance
    warehouse: DuckDBWarehouse

    def client(self, **overrides) -> CentraClient:
        return CentraClient(api_url=self.sandbox.url, api_token=self.sandbox.token, **overrides)

    def resources(self, **client_overrides) -> dict:
        return {
            "centra": self.client(**client_overrides),
            "warehouse": self.warehouse,
            "contracts": DataContracts(),
        }

    def count(self, table: str, where: str = "TRUE") -> int:
        return self.warehouse.fetch(f"SELECT count(*) FROM centra_raw.{table} WHERE {where}")[0][0]


def sandbox_config(**overrides) -> SandboxConfig:
    settings = {
        "seed": 7,
        "orders": 240,
        "window_start": WINDOW_START,
        "window_days": WINDOW_DAYS,
        "token": "test-token",
    }
    settings.update(overrides)
    return SandboxConfig(**settings)


@pytest.fixture
def pipeline(tmp_path, monkeypatch) -> Iterator[Pipeline]:
    """A fresh sandbox, an ephemeral Dagster instance and an empty warehouse per test."""
    with start_sandbox(sandbox_config()) as sandbox, dg.DagsterInstance.ephemeral() as instance:
        warehouse_path = str(tmp_path / "warehouse.duckdb")
        monkeypatch.setenv("CENTRA_API_URL", sandbox.url)
        monkeypatch.setenv("CENTRA_API_TOKEN", sandbox.token)
        monkeypatch.setenv("CENTRA_WAREHOUSE_PATH", warehouse_path)
        yield Pipeline(sandbox, instance, DuckDBWarehouse(path=warehouse_path))
