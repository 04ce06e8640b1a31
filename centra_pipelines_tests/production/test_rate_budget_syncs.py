"""Two processes, one Centra quota: the shared rate budget keeps them both under it.

The sandbox allows 40 requests per ten seconds. A client at full share allows itself 36 at once,
so two clients that each believe they own the quota burst past it; sharing one budget store, they
split it and Centra never answers 429.
"""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines_tests.pipelines.conftest import WINDOW_START, sandbox_config
from centra_pipelines_tests.production.budget_support import (
    clean_environment,
    differing_tables,
    run_together,
    start_worker,
    warehouse_tables,
)
from centra_sandbox import start_sandbox

QUOTA = 40
TIGHT_PLAN = {"REQUEST_COUNT": {"TEN_SECONDS": QUOTA}}

# One day of a small store: about 60 requests per full sync, so two syncs together need three
# ten-second windows' worth of requests.
ORDERS = 30
DAYS = 1

# Requests per process in a burst: two bursts together exceed the quota by a third.
BURST = 25


@contextlib.contextmanager
def tight_sandbox() -> Iterator[object]:
    with start_sandbox(sandbox_config(orders=ORDERS, window_days=DAYS, plan=TIGHT_PLAN)) as sandbox:
        yield sandbox


def sync_environment(sandbox, folder: Path, budget_url: str) -> dict[str, str]:
    """What a deployment of its own would set: its warehouse and instance, the common budget."""
    (folder / "home").mkdir(parents=True)
    return clean_environment(
        CENTRA_API_URL=sandbox.url,
        CENTRA_API_TOKEN=sandbox.token,
        CENTRA_WAREHOUSE_PATH=str(folder / "warehouse.duckdb"),
        CENTRA_RATE_BUDGET_URL=budget_url,
        DAGSTER_HOME=str(folder / "home"),
    )


def sync_alone(sandbox, folder: Path, budget_url: str, monkeypatch) -> Path:
    environment = sync_environment(sandbox, folder, budget_url)
    # The same environment as the worker processes get, so that no setting left in the shell
    # (an ERP URL, another budget) changes what this sync does.
    for name in list(os.environ):
        if name.startswith("CENTRA_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with dg.instance_for_test(temp_dir=environment["DAGSTER_HOME"]) as instance:
        run_full_sync(defs, instance, start=WINDOW_START, days=DAYS)
    return folder / "warehouse.duckdb"


def test_two_full_syncs_started_together_get_no_429_and_store_what_one_stores(
    tmp_path, monkeypatch
):
    budget_url = f"sqlite:///{tmp_path / 'rate-budget.sqlite'}"
    folders = [tmp_path / "first", tmp_path / "second"]
    with tight_sandbox() as sandbox:
        # The workers import and open their instances while the first sync runs; they send
        # nothing to Centra until run_together starts them.
        workers = [
            start_worker(
                ["sync", WINDOW_START.isoformat(), str(DAYS)],
                sync_environment(sandbox, folder, budget_url),
            )
            for folder in folders
        ]
        alone = sync_alone(sandbox, tmp_path / "alone", budget_url, monkeypatch)
        requests_alone = sandbox.metrics()["requests"]

        results = run_together(workers, timeout=300)
        metrics = sandbox.metrics()

    assert metrics["throttled"] == 0, f"the sandbox answered {metrics['throttled']} times 429"
    assert 429 not in metrics["statuses"]
    assert [result["throttled"] for result in results] == [0, 0]
    # The two syncs together needed more than two full windows, so they had to share the pace.
    assert metrics["requests"] - requests_alone > 2 * QUOTA

    expected = warehouse_tables(alone)
    assert sum(len(rows) for rows in expected.values()) > 1000
    for folder in folders:
        stored = warehouse_tables(folder / "warehouse.duckdb")
        assert differing_tables(expected, stored) == [], f"{folder.name} differs from one sync"


def burst_from_two_processes(sandbox, budget_url: str) -> tuple[dict, list[dict]]:
    environment = clean_environment(CENTRA_API_URL=sandbox.url, CENTRA_API_TOKEN=sandbox.token)
    workers = [start_worker(["burst", budget_url, str(BURST)], environment) for _ in range(2)]
    results = run_together(workers, timeout=120)
    return sandbox.metrics(), results


def test_two_processes_bursting_through_one_shared_budget_get_no_429(tmp_path):
    with tight_sandbox() as sandbox:
        metrics, results = burst_from_two_processes(
            sandbox, f"sqlite:///{tmp_path / 'rate-budget.sqlite'}"
        )

    assert metrics["throttled"] == 0
    assert [result["throttled"] for result in results] == [0, 0]


def test_two_processes_with_budgets_of_their_own_get_429s():
    """Proves the tests above can fail: switched off, the store no longer splits the quota."""
    with tight_sandbox() as sandbox:
        metrics, results = burst_from_two_processes(sandbox, "process")

    assert metrics["throttled"] > 0
    assert sum(result["throttled"] for result in results) == metrics["throttled"]
