"""The project on a PostgreSQL Dagster instance built from deploy/dagster-postgres.yaml.

The main job runs on that instance; then three orders runs are queued through its run queue and
launched by the real dagster-daemon as separate processes at once, writing one shared DuckDB
warehouse. The concurrency pools must hold them to the deploy's limits, the history must be in
PostgreSQL, and the warehouse must equal the sandbox.
"""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
import yaml

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines_tests.pipelines.conftest import WINDOW_START, sandbox_config
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401
from centra_pipelines_tests.production.postgres_support import (
    DEPLOY_INSTANCE,
    POOL_LIMITS,
    TICKING_SENSOR,
    code_server,
    daemon,
    dagster_home,
    free_port,
    instance_environment,
    most_at_once,
    quiet_sync_config,
    run_intervals,
    sensor_ticks,
    set_pool_limits,
    stored_run_ids,
    submit_backfill,
    table_counts,
    wait_for_port,
    wait_for_runs,
    workspace_file,
)
from centra_sandbox import start_sandbox
from demo.verify import compare_counts, compare_order_totals

# Small enough that the main job takes seconds; two days give the parallel runs three partitions.
ORDERS = 40
WINDOW_DAYS = 2
PARALLEL_RUNS = 3

# The pools every asset must belong to: each one is a system whose capacity the deploy limits.
POOLS = {"centra", "warehouse", "erp", "wms", "pim", "support"}
CENTRA_POOL_LIMIT = 2  # deploy/pool-limits.sh

# Once as many Centra orders queries are in flight as the pool allows, they are held this long
# (or until one more arrives), so that a run the pool failed to hold back would be caught
# overlapping them: the daemon launches the runs of one pass over the queue within seconds.
HOLD_SECONDS = 5
# How long the first queries wait for the pool to fill, on a slow machine.
FILL_SECONDS = 60
RUNS_TIMEOUT_SECONDS = 150

BACKFILL_TAG = "dagster/backfill"
PARTITION_TAG = "dagster/partition"


@dataclass
class OrdersInFlight:
    """A sandbox hook that counts Orders queries in flight at once, holding the first ones."""

    arrived: int = 0
    now: int = 0
    most: int = 0
    full_since: float | None = None
    condition: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, operation: str, variables: dict) -> None:
        if operation != "Orders":
            return
        with self.condition:
            self.arrived += 1
            self.now += 1
            self.most = max(self.most, self.now)
            if self.now == CENTRA_POOL_LIMIT and self.full_since is None:
                self.full_since = time.monotonic()
            self.condition.notify_all()
            if self.arrived <= CENTRA_POOL_LIMIT:
                self._hold()
            self.now -= 1

    def _hold(self) -> None:
        deadline = time.monotonic() + FILL_SECONDS
        while not self._released() and time.monotonic() < deadline:
            self.condition.wait(0.2)

    def _released(self) -> bool:
        if self.now > CENTRA_POOL_LIMIT:
            return True
        return self.full_since is not None and time.monotonic() - self.full_since >= HOLD_SECONDS


@dataclass
class Deployment:
    sandbox: object
    instance: dg.DagsterInstance
    home: Path
    folder: Path
    database_url: str
    warehouse_kind: str

    def warehouse(self) -> DuckDBWarehouse:
        if self.warehouse_kind == "postgres":
            return DuckDBWarehouse(url=self.database_url)
        return DuckDBWarehouse(path=str(self.folder / "warehouse.duckdb"), shared=True)


# The parallel runs write one warehouse: a DuckDB file shared by waiting for its lock, or the
# instance's PostgreSQL database, where each run holds a connection of its own.
@pytest.fixture(params=["duckdb_shared_file", "postgres"])
def deployment(
    postgres_server,  # noqa: F811
    postgres_url,  # noqa: F811
    tmp_path,
    monkeypatch,
    request,
) -> Iterator[Deployment]:
    """A Dagster home from the deploy file on a fresh database, a sandbox, a warehouse."""
    database = postgres_url.rsplit("/", 1)[1]
    for name, value in instance_environment(postgres_server, database).items():
        monkeypatch.setenv(name, value)
    home = dagster_home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CENTRA_SYNC_CONFIG", str(quiet_sync_config(tmp_path)))
    if request.param == "postgres":
        monkeypatch.delenv("CENTRA_WAREHOUSE_PATH", raising=False)
        monkeypatch.setenv("CENTRA_WAREHOUSE_URL", postgres_url)
    else:
        monkeypatch.delenv("CENTRA_WAREHOUSE_URL", raising=False)
        monkeypatch.setenv("CENTRA_WAREHOUSE_SHARED", "1")
        monkeypatch.setenv("CENTRA_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CENTRA_WEBHOOK_INBOX_URL", f"sqlite:///{tmp_path / 'inbox.sqlite'}")
    # As in production: every process paces Centra by one budget in the instance's database.
    monkeypatch.setenv("CENTRA_RATE_BUDGET_URL", postgres_url)

    config = sandbox_config(orders=ORDERS, window_days=WINDOW_DAYS, plan="enterprise")
    with start_sandbox(config) as sandbox, dg.DagsterInstance.get() as instance:
        monkeypatch.setenv("CENTRA_API_URL", sandbox.url)
        monkeypatch.setenv("CENTRA_API_TOKEN", sandbox.token)
        yield Deployment(sandbox, instance, home, tmp_path, postgres_url, request.param)


def test_every_asset_runs_in_a_pool_the_deploy_limits():
    """A new asset outside the pools, or a misspelt pool, would run without any limit."""
    assets = [a for a in defs.resolve_asset_graph().assets_defs if a.is_executable]
    pools = {a.node_def.name: a.op.pool for a in assets}

    assert [name for name, pool in pools.items() if pool is None] == []
    assert set(pools.values()) == POOLS
    instance = yaml.safe_load(DEPLOY_INSTANCE.read_text())
    assert instance["concurrency"]["pools"]["default_limit"] == 1
    assert f"dagster instance concurrency set centra {CENTRA_POOL_LIMIT}" in POOL_LIMITS.read_text()


def test_main_job_and_parallel_runs_on_a_postgres_instance(deployment):
    port = free_port()
    with code_server(port, deployment.folder / "code-server.log") as server:
        set_pool_limits(deployment.folder / "pool-limits.log")
        run_full_sync(defs, deployment.instance, start=WINDOW_START, days=WINDOW_DAYS)
        changed = change_one_order_per_partition(deployment, PARALLEL_RUNS)

        wait_for_port(port, server, deployment.folder / "code-server.log")
        in_flight = OrdersInFlight()
        deployment.sandbox.add_request_hook(in_flight)
        run_ids = run_in_parallel(deployment, port, sorted(changed))

    runs = deployment.instance.get_runs(filters=dg.RunsFilter(run_ids=run_ids))
    assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * PARALLEL_RUNS
    assert_limits_held(deployment, run_ids, in_flight)
    assert_stored_in_postgres(deployment, run_ids)
    assert_warehouse_equals_sandbox(deployment, changed)


def change_one_order_per_partition(deployment: Deployment, count: int) -> dict[str, int]:
    """Comment one order in each of `count` partitions in Centra; the partition key → order."""
    warehouse = deployment.warehouse()
    rows = warehouse.fetch(
        "SELECT partition_date, market_id, min(order_number) FROM centra_raw.orders "
        "GROUP BY ALL ORDER BY 1, 2"
    )
    assert len(rows) >= count, "the sandbox's window has too few partitions for the test"

    changed = {}
    for day, market_id, number in rows[:count]:
        deployment.sandbox.control.update_order(number, otherComment=f"parallel {number}")
        changed[f"{day.isoformat()}|{market_id}"] = number
    return changed


def run_in_parallel(deployment: Deployment, port: int, partition_keys: list[str]) -> list[str]:
    """Queue one orders run per partition, then let the daemon launch them, and wait."""
    workspace = workspace_file(deployment.folder, port)
    backfill_id = submit_backfill(
        workspace, "centra_orders_sync", partition_keys, deployment.folder / "backfill.log"
    )
    queued = deployment.instance.get_runs(filters=dg.RunsFilter(tags={BACKFILL_TAG: backfill_id}))
    assert sorted(run.tags[PARTITION_TAG] for run in queued) == partition_keys
    assert {run.status for run in queued} == {dg.DagsterRunStatus.QUEUED}
    run_ids = [run.run_id for run in queued]

    with daemon(workspace, deployment.folder / "daemon.log"):
        wait_for_runs(deployment.instance, run_ids, RUNS_TIMEOUT_SECONDS)
        # The idle sensor's first tick, if the runs finished before the daemon got to it.
        deadline = time.monotonic() + RUNS_TIMEOUT_SECONDS
        while not sensor_ticks(deployment.database_url, TICKING_SENSOR):
            assert time.monotonic() < deadline, "the daemon never ticked the sensor"
            time.sleep(0.5)
    return run_ids


def assert_limits_held(
    deployment: Deployment, run_ids: list[str], in_flight: OrdersInFlight
) -> None:
    # Separate processes ran at once, but never more Centra steps than the pool allows.
    intervals = run_intervals(deployment.instance, run_ids)
    max_runs = yaml.safe_load(DEPLOY_INSTANCE.read_text())["concurrency"]["runs"]
    assert 2 <= most_at_once(intervals) <= max_runs["max_concurrent_runs"]
    assert in_flight.most == CENTRA_POOL_LIMIT
    assert most_at_once(centra_steps(deployment.instance, run_ids)) <= CENTRA_POOL_LIMIT

    pids = {worker_pid(deployment.instance, run_id) for run_id in run_ids}
    assert len(pids) == PARALLEL_RUNS


def centra_steps(instance: dg.DagsterInstance, run_ids: list[str]) -> list[tuple]:
    """Start and end of every step of the runs; all of an orders run's steps read Centra."""
    started, ended = {}, {}
    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    for run_id in run_ids:
        for record in instance.get_records_for_run(run_id, of_type=kinds).records:
            entry = record.event_log_entry
            moments = (
                started if entry.dagster_event_type == dg.DagsterEventType.STEP_START else ended
            )
            moments[(run_id, entry.step_key)] = entry.timestamp
    assert started.keys() == ended.keys() and started
    return [(started[step], ended[step]) for step in started]


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int:
    """The process that executed the run's steps, as its events recorded it."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START)
    pids = {record.event_log_entry.dagster_event.pid for record in records.records}
    assert len(pids) == 1, f"run {run_id} ran its steps in processes {pids}"
    return pids.pop()


def assert_stored_in_postgres(deployment: Deployment, run_ids: list[str]) -> None:
    assert set(run_ids) < stored_run_ids(deployment.database_url)  # the main job's runs too
    tables = ["event_logs", "concurrency_limits", "centra_rate_budget"]
    counts = table_counts(deployment.database_url, tables)
    assert all(counts[table] > 0 for table in tables), counts
    assert sensor_ticks(deployment.database_url, TICKING_SENSOR) > 0
    # Nothing fell back to the SQLite files a Dagster home holds by default.
    assert [*deployment.home.rglob("*.db"), *deployment.home.rglob("*.sqlite")] == []


def assert_warehouse_equals_sandbox(deployment: Deployment, changed: dict[str, int]) -> None:
    warehouse = deployment.warehouse()
    stats = deployment.sandbox.stats()
    assert [c for c in compare_counts(warehouse, stats["counts"]) if not c.matches] == []
    totals = compare_order_totals(warehouse, stats["order_totals"])
    assert [c for c in totals if not c.matches] == []

    numbers = sorted(changed.values())
    stored = warehouse.fetch(
        "SELECT order_number, other_comment FROM centra_raw.orders "
        f"WHERE order_number IN ({', '.join(map(str, numbers))}) ORDER BY 1"
    )
    assert stored == [(number, f"parallel {number}") for number in numbers]
