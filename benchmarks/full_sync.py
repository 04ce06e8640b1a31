"""Benchmark of a full sync: throughput, API cost, 429s, peak memory and rate-budget efficiency.

Not a test. The sandbox runs in its own process so that the peak memory measured here is
the pipeline's alone. Run with `make benchmark`, or with
`.venv/bin/python benchmarks/full_sync.py --orders N` for another scale.

The efficiency ratio compares the time the sync took with the shortest time Centra's rate limits
allow for the same number of requests and complexity: 1.0 means the client used the budget fully,
lower means it paced more than it had to (or spent time elsewhere).
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import requests

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs

REPOSITORY = Path(__file__).resolve().parent.parent

# Centra's published Growth plan: (quota, interval seconds) per bucket.
GROWTH_REQUESTS = [(60, 10), (5_000, 3_600)]
GROWTH_COMPLEXITY = [(250_000, 10), (30_000_000, 3_600)]
WINDOW_START = date(2026, 11, 1)
WINDOW_DAYS = 14


def shortest_allowed_seconds(amount: float, buckets: list[tuple[int, int]]) -> float:
    """Least time in which token buckets that start full can pay for `amount` tokens."""
    longest = 0.0
    for quota, interval in buckets:
        refill_per_second = quota / interval
        longest = max(longest, max(0.0, amount - quota) / refill_per_second)

    return longest


def start_sandbox(orders: int, seed: int, token: str) -> tuple[subprocess.Popen, str]:
    command = [
        str(REPOSITORY / ".venv/bin/centra-sandbox"),
        "--port",
        "0",
        "--orders",
        str(orders),
        "--seed",
        str(seed),
        "--token",
        token,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        match = re.search(r"(http://127\.0\.0\.1:\d+/graphql)", line)
        if match:
            return process, match.group(1)

    raise SystemExit("the sandbox exited before printing its URL")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    arguments = parser.parse_args()
    token = "benchmark-token"

    print(f"starting the sandbox with {arguments.orders} orders ...", flush=True)
    sandbox, api_url = start_sandbox(arguments.orders, arguments.seed, token)
    try:
        return run(api_url, token)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=60)


def run(api_url: str, token: str) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        os.environ.update(
            CENTRA_API_URL=api_url,
            CENTRA_API_TOKEN=token,
            CENTRA_WAREHOUSE_PATH=str(Path(workdir) / "warehouse.duckdb"),
        )
        with dg.DagsterInstance.ephemeral() as instance:
            result = run_full_sync(defs, instance, start=WINDOW_START, days=WINDOW_DAYS)

    stats = requests.get(api_url.replace("/graphql", "/sandbox/stats"), timeout=60).json()
    orders = stats["counts"]["orders"]
    allowed = max(
        shortest_allowed_seconds(result.api_requests, GROWTH_REQUESTS),
        shortest_allowed_seconds(result.api_complexity, GROWTH_COMPLEXITY),
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    report = {
        "orders": orders,
        "window": f"{WINDOW_START} .. {WINDOW_START + timedelta(days=WINDOW_DAYS - 1)}",
        "seconds": round(result.seconds, 1),
        "orders_per_second": round(orders / result.seconds, 1),
        "api_requests": result.api_requests,
        "api_complexity": result.api_complexity,
        "http_429": result.api_throttled,
        "retries": result.api_retries,
        "peak_memory_mb": round(peak_mb, 1),
        "shortest_time_the_rate_budget_allows_s": round(allowed, 1),
        "budget_efficiency": round(allowed / result.seconds, 3) if allowed else None,
    }
    print(json.dumps(report, indent=2))
    if allowed == 0:
        print("the whole sync fit in the buckets' initial capacity: the budget did not bind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
