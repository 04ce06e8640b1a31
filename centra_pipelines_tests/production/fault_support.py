"""Support for the fault tests: a small seeded sandbox, the project's definitions with a quick
client and quick retries, warehouse snapshots, and a run worker that stops where a test kills it.

Run as a module it is that worker: `python -m centra_pipelines_tests.production.fault_support
POINT TAGS_JSON` runs the orders sync in its own process, on the instance in DAGSTER_HOME and the
warehouse and sandbox named by the CENTRA_* variables. With POINT `after-commit` it prints
`paused` once the first day of orders is committed and then waits to be killed.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.fields import RawTable
from centra_pipelines.centra.full_sync import RANGE_END_TAG, RANGE_START_TAG
from centra_pipelines.definitions import defs
from centra_pipelines.failures import RETRY_POLICY
from centra_pipelines.outbound.systems import SYSTEMS
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_sandbox import SandboxConfig

WINDOW_START = date(2026, 11, 1)
WINDOW_DAYS = 2
ORDERS_JOB = "centra_orders_sync"

# Backoff short enough that a test waits hundredths of seconds, not minutes, between attempts.
QUICK_CLIENT = {"max_backoff_seconds": 0.05}
# The project's policy (same retries, backoff and jitter) with a delay of hundredths of seconds.
QUICK_RETRY_POLICY = dg.RetryPolicy(
    max_retries=RETRY_POLICY.max_retries,
    delay=0.05,
    backoff=RETRY_POLICY.backoff,
    jitter=RETRY_POLICY.jitter,
)

# Columns that record the sync itself rather than Centra's data: the lineage columns of every
# table (`_run_id`, `_synced_at`), the audit ledger's `write_id`, `run_id` and `written_at`, and
# finance.price_comparison's `synced_at` (copied from the price rows' `_synced_at`). The ledger
# also hashes each record it audits: a hash over one of these columns is left out as well.
SYNC_COLUMNS = frozenset({"_run_id", "_synced_at", "write_id", "run_id", "written_at", "synced_at"})

AFTER_COMMIT = "after-commit"
PAUSED = "paused"
WORKER_PAUSE_SECONDS = 300


def sandbox_config(**overrides: Any) -> SandboxConfig:
    """Forty orders over two days with the full catalogue: a main job of seconds."""
    # The Enterprise plan keeps pacing out of the way: faults are under test here, not quotas.
    settings = {
        "seed": 7,
        "orders": 40,
        "window_start": WINDOW_START,
        "window_days": WINDOW_DAYS,
        "token": "test-token",
        "plan": "enterprise",
    }
    settings.update(overrides)
    return SandboxConfig(**settings)


def use_sandbox(monkeypatch: pytest.MonkeyPatch, sandbox, folder: Path) -> None:
    """Point the project at the sandbox and a warehouse in `folder`; no system beside Centra."""
    monkeypatch.setenv("CENTRA_API_URL", sandbox.url)
    monkeypatch.setenv("CENTRA_API_TOKEN", sandbox.token)
    monkeypatch.setenv("CENTRA_WAREHOUSE_PATH", str(folder / "warehouse.duckdb"))
    for system in SYSTEMS:
        for name in system.settings:
            monkeypatch.delenv(name, raising=False)


def quick_definitions(client: Mapping[str, Any] | None = None, **resources: Any) -> dg.Definitions:
    """The project's assets and jobs with a quick Centra client and quick step retries.

    `client` adds CentraClient settings; `resources` replace more of the project's resources.
    Schedules and sensors are left out: they name the project's own jobs, which these replace.
    """
    centra = CentraClient(
        api_url=dg.EnvVar("CENTRA_API_URL"),
        api_token=dg.EnvVar("CENTRA_API_TOKEN"),
        **{**QUICK_CLIENT, **(client or {})},
    )
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=[_with_quick_retries(job) for job in defs.jobs or []],
        executor=defs.executor,
        loggers=defs.loggers,
        resources={**(defs.resources or {}), "centra": centra, **resources},
    )


def _with_quick_retries(job: Any) -> Any:
    if getattr(job, "op_retry_policy", None) != RETRY_POLICY:
        return job
    return dg.define_asset_job(
        job.name,
        selection=job.selection,
        description=job.description,
        op_retry_policy=QUICK_RETRY_POLICY,
    )


def range_tags(keys: Sequence[str]) -> dict[str, str]:
    """Tags that make a run a single-run backfill of the partitions from the first to the last."""
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}


def warehouse_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table of the warehouse, rows sorted, without the columns in SYNC_COLUMNS."""
    warehouse = DuckDBWarehouse(path=str(path))
    try:
        tables = warehouse.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
        )
        return {f"{schema}.{name}": _rows(warehouse, schema, name) for schema, name in tables}
    finally:
        warehouse.close()


def _rows(warehouse: DuckDBWarehouse, schema: str, name: str) -> list[tuple]:
    columns = warehouse.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    )
    kept = [column for (column,) in columns if column not in SYNC_COLUMNS]
    selected = ", ".join(f'"{column}"' for column in kept)
    rows = warehouse.fetch(f'SELECT {selected} FROM "{schema}"."{name}"')
    return sorted((_without_sync_hashes(kept, row) for row in rows), key=repr)


def _without_sync_hashes(columns: list[str], row: tuple) -> tuple:
    """An audited record's hashes, less those over SYNC_COLUMNS (and the whole-record hash)."""
    if "field_hashes" not in columns:
        return row
    values = dict(zip(columns, row, strict=True))
    hashes = json.loads(values["field_hashes"] or "{}")
    if SYNC_COLUMNS.isdisjoint(hashes):
        return row
    kept = {field: digest for field, digest in hashes.items() if field not in SYNC_COLUMNS}
    values["field_hashes"] = json.dumps(kept, sort_keys=True)
    values["content_hash"] = None
    return tuple(values.values())


def duplicated_keys(warehouse: DuckDBWarehouse, tables: Iterable[RawTable]) -> dict[str, int]:
    """Keys stored more than once, per table, across all partitions."""
    found = {}
    for table in tables:
        key = ", ".join(table.spec.key)
        repeated = warehouse.fetch(
            f"SELECT count(*) FROM (SELECT {key} FROM {table.spec.qualified_name} "
            f"GROUP BY {key} HAVING count(*) > 1)"
        )[0][0]
        if repeated:
            found[table.name] = repeated
    return found


def run_events(instance: dg.DagsterInstance, run_id: str, kind: dg.DagsterEventType) -> list:
    """The run's events of one kind, as event log entries."""
    return [
        record.event_log_entry
        for record in instance.get_records_for_run(run_id, of_type=kind).records
    ]


def start_worker(
    point: str, tags: Mapping[str, str], dagster_home: Path, *, log: Path
) -> subprocess.Popen:
    """Start the orders sync in another process, as a run worker would; killed by the test.

    Its stdout carries only `paused`; its logs go to `log`, to read when a test fails.
    """
    command = [sys.executable, "-m", __name__, point, json.dumps(dict(tags))]
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    with log.open("w") as stderr:
        return subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=stderr, text=True
        )


class PausingWarehouse(DuckDBWarehouse):
    """The worker's warehouse: optionally stops for good once the first orders day committed."""

    pause_after_orders_commit: bool = False

    def replace_many(self, targets, rows, **kwargs):
        reports = super().replace_many(targets, rows, **kwargs)
        if self.pause_after_orders_commit and any(table.name == "orders" for table in targets):
            print(PAUSED, flush=True)
            time.sleep(WORKER_PAUSE_SECONDS)
        return reports


def run_worker(point: str, tags: Mapping[str, str]) -> None:
    """The worker's run: small pages, no prefetch and small insert batches, so that a page
    request comes only after the rows of the page before went into the open transaction."""
    warehouse = PausingWarehouse(
        path=os.environ["CENTRA_WAREHOUSE_PATH"],
        batch_rows=2,
        pause_after_orders_commit=point == AFTER_COMMIT,
    )
    definitions = quick_definitions({"page_size": 5, "prefetch_pages": False}, warehouse=warehouse)
    job = definitions.resolve_job_def(ORDERS_JOB)
    job.execute_in_process(instance=dg.DagsterInstance.get(), tags=dict(tags))


if __name__ == "__main__":
    run_worker(sys.argv[1], json.loads(sys.argv[2]))
