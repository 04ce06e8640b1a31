"""Paths and settings shared by the demo commands."""

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from centra_sandbox import SandboxConfig

REPOSITORY = Path(__file__).resolve().parent.parent
DEMO_DIR = REPOSITORY / ".demo"
DAGSTER_HOME = DEMO_DIR / "dagster_home"
WAREHOUSE_PATH = DEMO_DIR / "warehouse.duckdb"

INBOX_URL = f"sqlite:///{DEMO_DIR / 'webhook-inbox.sqlite'}"

SANDBOX_TOKEN = "sandbox-demo-token"
SANDBOX_PORT = 8090
# The endpoint secret shared by the sandbox's Webhook plugin and the receiver (demo only).
WEBHOOK_SECRET = "sandbox-demo-webhook-secret"
RECEIVER_PORT = 8070


@dataclass(frozen=True)
class DemoData:
    """What the sandbox generates for the demo: deterministic, small enough for minutes."""

    seed: int = 42
    orders: int = 1500
    window_start: date = date(2026, 11, 1)
    window_days: int = 14

    def sandbox_config(self, **overrides) -> SandboxConfig:
        return SandboxConfig(
            seed=self.seed,
            orders=self.orders,
            window_start=self.window_start,
            window_days=self.window_days,
            token=SANDBOX_TOKEN,
            **overrides,
        )


def prepare_dagster_home() -> Path:
    """A Dagster home under .demo using the repository's dagster.yaml."""
    DAGSTER_HOME.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPOSITORY / "dagster.yaml", DAGSTER_HOME / "dagster.yaml")
    return DAGSTER_HOME


def export_environment(*, api_url: str, token: str) -> None:
    """The variables the Definitions' EnvVars read when a run starts."""
    os.environ["DAGSTER_HOME"] = str(DAGSTER_HOME)
    os.environ["CENTRA_API_URL"] = api_url
    os.environ["CENTRA_API_TOKEN"] = token
    os.environ["CENTRA_WAREHOUSE_PATH"] = str(WAREHOUSE_PATH)
    os.environ["CENTRA_WEBHOOK_INBOX_URL"] = INBOX_URL
    # The WMS's exchange folder: drop stock-*.csv or shipments-*.csv in its incoming/ and run the
    # wms_* jobs from the UI (docs/outbound.md has the columns).
    os.environ["CENTRA_WMS_FOLDER_URL"] = f"file://{DEMO_DIR / 'wms'}"


# Where the product keeps what it sent to the systems beside Centra and how far it read them
# (docs/outbound.md). The demo's systems start empty, so this state must too.
EXCHANGE_STATE_SCHEMAS = ("outbound", "pim", "support")


def reset_exchange_state() -> None:
    """Forget what was sent to the systems beside Centra; the synced Centra data stays."""
    if not WAREHOUSE_PATH.exists():
        return
    with duckdb.connect(str(WAREHOUSE_PATH)) as connection:
        for schema in EXCHANGE_STATE_SCHEMAS:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
