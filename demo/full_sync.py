"""`make demo`: a full sync of the seeded sandbox into DuckDB, checked against the sandbox.

Starts the Centra sandbox on a loopback port, runs the main job (every asset, every partition of the
seeded window) in this process, then prints rows per table next to the sandbox's own counts, order
totals per market and currency, the API cost and the time taken. Exits 1 on any mismatch or on any
HTTP 429 during the sync.
"""

import argparse
import sys

import dagster as dg

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_sandbox import SandboxConfig, start_sandbox
from demo.environment import (
    SANDBOX_TOKEN,
    WAREHOUSE_PATH,
    DemoData,
    export_environment,
    prepare_dagster_home,
)
from demo.verify import compare_counts, compare_order_totals


def main(argv: list[str] | None = None) -> int:
    arguments = _parse(argv)
    data = DemoData(seed=arguments.seed, orders=arguments.orders)
    prepare_dagster_home()

    config = SandboxConfig(
        seed=data.seed,
        orders=data.orders,
        window_start=data.window_start,
        window_days=data.window_days,
        token=SANDBOX_TOKEN,
    )
    print(f"Generating the sandbox: {data.orders} orders over {data.window_days} days ...")
    with start_sandbox(config) as sandbox:
        export_environment(api_url=sandbox.url, token=sandbox.token)
        print(f"Sandbox listening on {sandbox.url}; syncing into {WAREHOUSE_PATH}")

        with dg.DagsterInstance.get() as instance:
            result = run_full_sync(defs, instance, start=data.window_start, days=data.window_days)

        return _report(sandbox, result)


def _report(sandbox, result) -> int:
    warehouse = DuckDBWarehouse(path=str(WAREHOUSE_PATH))
    stats = sandbox.stats()
    counts = compare_counts(warehouse, stats["counts"])
    totals = compare_order_totals(warehouse, stats["order_totals"])
    metrics = sandbox.metrics()

    print("\nRows per table (warehouse vs sandbox):")
    for comparison in counts:
        mark = "ok " if comparison.matches else "MISMATCH"
        print(f"  {mark} {comparison.name:<26} {comparison.actual!s:>8} {comparison.expected!s:>8}")

    print("\nOrder totals per market and currency (orders, grand total incl. tax):")
    for comparison in totals:
        mark = "ok " if comparison.matches else "MISMATCH"
        actual_orders, actual_total = comparison.actual
        print(f"  {mark} {comparison.name:<16} {actual_orders:>6} {actual_total:>16}")

    print("\nAPI cost:")
    print(f"  requests seen by the client  {result.api_requests}")
    print(f"  query complexity spent       {result.api_complexity}")
    print(f"  HTTP 429 seen by the client  {result.api_throttled}")
    print(f"  HTTP 429 sent by the sandbox {metrics['throttled']}")
    print(f"  retries                      {result.api_retries}")
    print(f"\nTime: {result.seconds:.1f} s in {len(result.run_ids)} Dagster runs")

    failed = [c for c in counts + totals if not c.matches]
    if failed or result.api_throttled or metrics["throttled"]:
        print(f"\nFAILED: {len(failed)} mismatches, {metrics['throttled']} throttled responses")
        return 1

    print("\nOK: every table matches the sandbox, to the cent, with no 429.")
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = DemoData()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=defaults.seed, help="sandbox data seed")
    parser.add_argument("--orders", type=int, default=defaults.orders, help="orders to generate")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
