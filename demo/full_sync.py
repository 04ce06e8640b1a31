"""`make demo`: the main job against the Centra sandbox and a stand-in of each system beside it.

Starts the Centra sandbox, a PostgreSQL server holding the example ERP, a WMS folder, the PIM and
the help desk (seeded from Centra as at go-live, with a few differences), then runs the main job
in this process: every Centra asset and partition of the seeded window into DuckDB, then the
exchanges with each system. It prints rows per table next to the sandbox's own counts, order
totals per market and currency, the API cost, what each system now holds and the conflicts
settled. Then it runs the main job again, which must send nothing anywhere, and last renames a
customer in Centra and then in the ERP, to show the conflict settled by its policy (newest wins:
the ERP's name on both sides). Exits 1 on any mismatch, any HTTP 429, anything sent by the second
run, a conflict held after it other than the customers' deliberate VIP ones, or a conflict
settled otherwise.
"""

import argparse
import os
import sys

import dagster as dg

from centra_pipelines.centra.full_sync import RUN_CONFIG, run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.warehouse import DuckDBWarehouse, record_history
from centra_sandbox import BAD_RECORD_KINDS, start_sandbox
from demo.environment import (
    DEMO_DIR,
    WAREHOUSE_PATH,
    DemoData,
    export_environment,
    prepare_dagster_home,
)
from demo.exchanges import (
    print_exchanges,
    print_holdings,
    show_a_conflict,
    unsettled_conflicts,
)
from demo.finance import print_finance, show_a_refund
from demo.verify import compare_counts, compare_order_totals, rejects_summary
from sandbox_systems.go_live import start_neighbours
from sandbox_systems.postgres import run_postgres


def main(argv: list[str] | None = None) -> int:
    arguments = _parse(argv)
    data = DemoData(seed=arguments.seed, orders=arguments.orders)
    prepare_dagster_home()
    # The systems beside Centra start empty each time, so the warehouse's record of what was sent
    # to them (the outbox) must start empty too.
    for leftover in (WAREHOUSE_PATH, WAREHOUSE_PATH.with_name(WAREHOUSE_PATH.name + ".wal")):
        leftover.unlink(missing_ok=True)

    config = data.sandbox_config()
    print(f"Generating the sandbox: {data.orders} orders over {data.window_days} days ...")
    with start_sandbox(config) as sandbox, run_postgres() as postgres:
        export_environment(api_url=sandbox.url, token=sandbox.token)
        print(f"Sandbox listening on {sandbox.url}; syncing into {WAREHOUSE_PATH}")
        if arguments.inject_bad_records:
            _inject_bad_records(sandbox)

        erp_url = postgres.create_database("erp")
        print(
            f"Beside Centra: the ERP on PostgreSQL port {postgres.port}, a WMS, a PIM, a help desk"
        )
        with start_neighbours(
            sandbox.url, sandbox.token, erp_url=erp_url, wms_folder=DEMO_DIR / "wms"
        ) as neighbours:
            os.environ.update(neighbours.environment)
            return _sync_twice(data, sandbox, neighbours, arguments)


def _sync_twice(data: DemoData, sandbox, neighbours, arguments) -> int:
    """The main job, what each system holds, then the main job again, which must send nothing.

    The warehouse is compared with the sandbox after the second run: the first run's exchanges
    changed Centra after its sync (customers created, texts written), and the second run's sync
    reads those changes back.
    """
    with dg.DagsterInstance.get() as instance:
        first = run_full_sync(defs, instance, start=data.window_start, days=data.window_days)
        print(f"Main job: {first.seconds:.1f} s in {len(first.run_ids)} Dagster runs")
        print_exchanges("Exchanges of the main job:", first.exchanges)
        print_holdings(neighbours, sandbox.url, sandbox.token, WAREHOUSE_PATH)

        print("\nThe main job again: Centra re-read, every exchange planned again ...")
        again = run_full_sync(defs, instance, start=data.window_start, days=data.window_days)
        print_exchanges("Exchanges of the second run (each must send 0):", again.exchanges)
        status = _report(sandbox, again, injected=arguments.inject_bad_records)
        reconciled = print_finance(DuckDBWarehouse(path=str(WAREHOUSE_PATH)))
        unsettled = unsettled_conflicts(DuckDBWarehouse(path=str(WAREHOUSE_PATH)))

        settled = show_a_conflict(sandbox, neighbours, lambda name: _run_job(instance, name))
        refunded = show_a_refund(
            sandbox,
            DuckDBWarehouse(path=str(WAREHOUSE_PATH)),
            lambda name, key: _run_job(instance, name, partition_key=key),
        )

    resent = sum(report.sent for report in again.exchanges)
    if resent:
        print(f"\nFAILED: the second run sent {resent} changes that the first had sent")
        return 1
    if unsettled:
        shown = ", ".join("/".join(map(str, row)) for row in unsettled[:10])
        print(f"\nFAILED: {len(unsettled)} conflicts held after the second run: {shown}")
        return 1
    if not reconciled:
        print("\nFAILED: finance figures differ from the raw order totals (see above)")
        return 1
    if not settled:
        print("\nFAILED: the conflict did not end with the ERP's name on both sides")
        return 1
    if not refunded:
        print("\nFAILED: the refund did not lower today's net revenue alone (see above)")
        return 1
    return status


def _run_job(instance: dg.DagsterInstance, name: str, partition_key: str | None = None) -> None:
    result = defs.resolve_job_def(name).execute_in_process(
        instance=instance, run_config=RUN_CONFIG, partition_key=partition_key, raise_on_error=False
    )
    if not result.success:
        raise SystemExit(f"{name} failed in run {result.run_id}; see its log above")


def _inject_bad_records(sandbox) -> None:
    """One record of each kind the data contracts must catch, plus card data for the PCI guard."""
    for kind in BAD_RECORD_KINDS:
        for record in getattr(sandbox.control, kind)():
            print(f"  planted {kind}: {record.entity} {record.id} {record.field}")

    planted = sandbox.control.card_data()
    print(
        f"  planted card numbers: order {planted.order_number} comment, customer "
        f"{planted.customer_id} address, payment {planted.payment_id} reference and payload"
    )


def _print_rejects(warehouse: DuckDBWarehouse) -> None:
    rejects = rejects_summary(warehouse)
    print(f"\nQuarantined ({len(rejects)} broken rules; the valid records landed):")
    for table, key, column, rule, expected, found in rejects:
        shown = "(the rest of its document broke a rule)" if found is None else f"found {found!r}"
        print(f"  {table:<24} {key:<10} {column:<14} {rule:<18} {shown}")
        print(f"  {'':<24} expected {expected}")


def _print_audit(warehouse: DuckDBWarehouse) -> None:
    """What the audit ledger says about this sync, and the history of one order."""
    writes, new, changed, unchanged = warehouse.fetch(
        "SELECT count(*), sum(records_new), sum(records_changed), sum(records_unchanged) "
        "FROM audit.writes WHERE run_id IN (SELECT DISTINCT _run_id FROM centra_raw.orders)"
    )[0]
    number = warehouse.fetch("SELECT min(order_number) FROM centra_raw.orders")[0][0]
    with warehouse.connect() as connection:
        history = record_history(connection, "centra_raw.orders", str(number))

    print(
        f"\nAudit ledger (orders run): {writes} writes, {new} new, {changed} changed, "
        f"{unchanged} unchanged records"
    )
    print(f"  order {number}, latest writes:")
    for entry in history[-5:]:
        written = f"{entry['written_at']:%Y-%m-%d %H:%M:%S}"
        fields = entry["changed_fields"] or ""
        print(f"    {written} run {entry['run_id'][:8]} {entry['change']} {fields}")


def _report(sandbox, result, *, injected: bool) -> int:
    warehouse = DuckDBWarehouse(path=str(WAREHOUSE_PATH))
    stats = sandbox.stats()
    counts = compare_counts(warehouse, stats["counts"])
    totals = compare_order_totals(warehouse, stats["order_totals"])
    metrics = sandbox.metrics()

    print("\nRecords per table (stored + quarantined in the warehouse vs the sandbox):")
    for comparison in counts:
        mark = "ok " if comparison.matches else "MISMATCH"
        print(f"  {mark} {comparison.name:<26} {comparison.actual!s:>8} {comparison.expected!s:>8}")

    if injected:
        # Planted records change or remove orders on purpose, so totals cannot match; counts
        # still must, as stored plus quarantined records.
        totals = []
    else:
        print("\nOrder totals per market and currency (orders, grand total incl. tax):")
    for comparison in totals:
        mark = "ok " if comparison.matches else "MISMATCH"
        actual_orders, actual_total = comparison.actual
        print(f"  {mark} {comparison.name:<16} {actual_orders:>6} {actual_total:>16}")

    _print_audit(warehouse)

    print("\nAPI cost of the second run:")
    print(f"  requests seen by the client  {result.api_requests}")
    print(f"  query complexity spent       {result.api_complexity}")
    print(f"  HTTP 429 seen by the client  {result.api_throttled}")
    print(f"  HTTP 429 sent by the sandbox {metrics['throttled']}")
    print(f"  retries                      {result.api_retries}")
    print(f"\nTime of the second run: {result.seconds:.1f} s in {len(result.run_ids)} Dagster runs")

    if injected:
        _print_rejects(warehouse)

    failed = [c for c in counts + totals if not c.matches]
    if failed or result.api_throttled or metrics["throttled"]:
        print(f"\nFAILED: {len(failed)} mismatches, {metrics['throttled']} throttled responses")
        return 1

    if injected:
        print("\nOK: every record is stored or quarantined with its reason, with no 429.")
    else:
        print("\nOK: every table matches the sandbox, to the cent, with no 429.")
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = DemoData()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=defaults.seed, help="sandbox data seed")
    parser.add_argument("--orders", type=int, default=defaults.orders, help="orders to generate")
    parser.add_argument(
        "--inject-bad-records",
        action="store_true",
        help="plant one bad record of each kind in the sandbox and show their quarantine",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
