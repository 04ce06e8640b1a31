"""Helpers of the shared rate budget tests: worker processes, a fake clock, warehouse comparison.

Run as a module, this file is the worker the tests start in separate OS processes:

    python -m centra_pipelines_tests.production.budget_support hammer BUDGET_URL COUNT
    python -m centra_pipelines_tests.production.budget_support burst BUDGET_URL COUNT
    python -m centra_pipelines_tests.production.budget_support sync START DAYS

Each worker prints `ready` once it has imported and set up everything, waits for a line on stdin
so that all workers start their work together, then prints one JSON line with its result.
Configuration other than the arguments comes from the environment (CENTRA_API_URL and the like).
"""

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from centra_pipelines.centra.client import ratelimit

# Every budget in these tests keys its rows by this environment unless a test says otherwise.
ENVIRONMENT = "http://127.0.0.1:1/graphql"

# Columns that carry the run that wrote a row and when, not Centra's data: they differ between
# two syncs of the same data by design. The whole `audit` schema is such bookkeeping too, and so
# is the price comparison's `synced_at`, the newest `_synced_at` of each price.
AUDIT_COLUMNS = ("_run_id", "_synced_at")
AUDIT_SCHEMAS = ("audit",)
SYNC_TIME_COLUMNS = {"finance.price_comparison": ("synced_at",)}

# Small query that every sandbox answers; a burst of it costs one request token each.
BURST_QUERY = "query BudgetBurst { markets(limit: 1, page: 1) { id } }"

# What an untouched Centra environment gives a hammering worker: far more than it will take, so
# no reservation waits, and the hourly buckets' refill stays negligible.
HAMMER_QUOTAS = {
    "REQUEST_COUNT/TEN_SECONDS": 1_000_000,
    "REQUEST_COUNT/ONE_HOUR": 1_000_000,
    "MUTATION_COUNT/TEN_SECONDS": 1_000,
    "MUTATION_COUNT/ONE_HOUR": 1_000,
    "QUERY_COMPLEXITY/TEN_SECONDS": 1_000,
    "QUERY_COMPLEXITY/ONE_HOUR": 1_000,
}

# The hammering workers read this clock: it never moves, so nothing refills and every token
# taken shows in the final level.
FROZEN_TIME = 1_800_000_000.0


class FakeWallClock:
    """A wall clock that moves only when told to."""

    def __init__(self, start: float = FROZEN_TIME) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CentraBucket:
    """Centra's side of one bucket: full at the quota, refilled linearly, refusing when empty."""

    def __init__(self, *, quota: float, interval: float, start: float) -> None:
        self.quota = quota
        self.rate = quota / interval
        self.tokens = quota
        self.updated = start
        self.granted = 0
        self.refused = 0

    def admit(self, at: float) -> bool:
        self.tokens = min(self.quota, self.tokens + (at - self.updated) * self.rate)
        self.updated = at
        if self.tokens < 1:
            self.refused += 1
            return False
        self.tokens -= 1
        self.granted += 1
        return True


def start_worker(arguments: Sequence[str], environment: Mapping[str, str]) -> subprocess.Popen:
    """Start a worker process of this module; it prints `ready` once it can start."""
    command = [sys.executable, "-m", "centra_pipelines_tests.production.budget_support"]
    return subprocess.Popen(
        [*command, *arguments],
        env=dict(environment),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def run_together(workers: Sequence[subprocess.Popen], *, timeout: float) -> list[dict]:
    """Wait until every worker is ready, start them at once, and return their JSON results.

    Workers still running when this fails are killed, so none outlives the test.
    """
    try:
        for worker in workers:
            line = worker.stdout.readline().strip()
            assert line == "ready", f"a worker failed to start (exit {worker.poll()}): {line!r}"
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()

        results = []
        for worker in workers:
            output, _ = worker.communicate(timeout=timeout)
            assert worker.returncode == 0, f"a worker failed with exit code {worker.returncode}"
            results.append(json.loads(output.strip().splitlines()[-1]))
        return results
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without any CENTRA_ or DAGSTER_HOME setting, plus `variables`.

    A worker must not inherit a setting some other test left behind: an ERP URL would make the
    main job send to an ERP, a DAGSTER_HOME would put its budget somewhere unexpected.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CENTRA_") and name != "DAGSTER_HOME"
    }
    environment.update(variables)
    return environment


def warehouse_tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of a warehouse file outside the audit schema, rows sorted, audit columns out."""
    # Imported here: the worker processes never read a warehouse and start faster without it.
    import duckdb

    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY ALL"
        ).fetchall()
        return {
            f"{schema}.{name}": _rows(connection, schema, name)
            for schema, name in tables
            if schema not in AUDIT_SCHEMAS
        }
    finally:
        connection.close()


def differing_tables(expected: dict[str, list[tuple]], stored: dict[str, list[tuple]]) -> list:
    """Names of the tables whose rows differ, or that only one of the two warehouses has."""
    names = sorted(set(expected) | set(stored))
    return [name for name in names if expected.get(name) != stored.get(name)]


def _rows(connection, schema: str, table: str) -> list[tuple]:
    excluded = AUDIT_COLUMNS + SYNC_TIME_COLUMNS.get(f"{schema}.{table}", ())
    columns = [
        row[0]
        for row in connection.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        if row[0] not in excluded
    ]
    selected = ", ".join(f'"{column}"' for column in columns)
    return connection.execute(
        f'SELECT {selected} FROM "{schema}"."{table}" ORDER BY ALL'
    ).fetchall()


def _wait_for_go() -> None:
    print("ready", flush=True)
    # A closed stdin means the test gave up on this worker: it must not start working then.
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no start signal; the test has stopped waiting for this worker")


def _hammer(budget_url: str, count: int) -> dict:
    from centra_pipelines.centra.client.shared_budget import SharedRateBudget

    budget = SharedRateBudget(
        url=budget_url,
        environment=ENVIRONMENT,
        quotas=HAMMER_QUOTAS,
        share=1.0,
        clock=lambda: FROZEN_TIME,
    )
    _wait_for_go()
    waits = [budget.reserve({ratelimit.REQUEST_COUNT: 1}) for _ in range(count)]
    return {"reserved": count, "waited": sum(waits)}


def _burst(budget_url: str, count: int) -> dict:
    from centra_pipelines.centra.client import CentraClient

    client = CentraClient(
        api_url=os.environ["CENTRA_API_URL"],
        api_token=os.environ["CENTRA_API_TOKEN"],
        rate_budget_url=budget_url,
    )
    # Building the budget and reading the quotas before the start line keeps process start-up
    # out of the burst, so the two workers' requests really overlap.
    client.refresh_rate_limits()
    _wait_for_go()
    for _ in range(count):
        client.execute(BURST_QUERY)
    usage = client.usage
    return {"requests": usage.requests, "throttled": usage.throttled}


def _sync(start: str, days: int) -> dict:
    from datetime import date

    import dagster as dg

    from centra_pipelines.centra.full_sync import run_full_sync
    from centra_pipelines.definitions import defs

    with dg.DagsterInstance.get() as instance:
        _wait_for_go()
        result = run_full_sync(defs, instance, start=date.fromisoformat(start), days=days)
    return {
        "requests": result.api_requests,
        "throttled": result.api_throttled,
        "retries": result.api_retries,
        "seconds": result.seconds,
    }


def main(arguments: Sequence[str]) -> None:
    command, *rest = arguments
    if command == "hammer":
        result = _hammer(rest[0], int(rest[1]))
    elif command == "burst":
        result = _burst(rest[0], int(rest[1]))
    elif command == "sync":
        result = _sync(rest[0], int(rest[1]))
    else:
        raise SystemExit(f"unknown worker command {command!r}; use hammer, burst or sync")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
