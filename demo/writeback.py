"""`make demo-writeback`: a WMS folder changes Centra: stock for changed sizes, a shipped order.

Starts the sandbox, runs the main job, then plays the WMS: drops a stock file in a local folder,
runs the dry run (nothing is sent), runs `wms_stock_to_centra`, drops a second file in which one
level moved, and runs it again; Centra's stock is read back through the stock sync after each
step. Then it drops a shipment file for an unshipped order and runs `wms_shipments_to_centra`.
Exits 1 if Centra's stock differs from the files, more than the changed sizes were sent, or the
order is not shipped with the WMS's tracking number.
"""

import os
import shutil
import sys

import dagster as dg

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.full_sync import RUN_CONFIG, run_full_sync
from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.definitions import defs
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_sandbox import start_sandbox
from demo.environment import DEMO_DIR, REPOSITORY, DemoData, export_environment
from demo.wms_files import drop_shipment_file, drop_stock_file, unshipped_order

WRITEBACK_DIR = DEMO_DIR / "writeback"
WAREHOUSE = WRITEBACK_DIR / "warehouse.duckdb"
WMS_FOLDER = WRITEBACK_DIR / "wms"
ORDER_IN_CENTRA = """
query Shipped($number: Int!) {
  orders(where: {number: [$number]}) {
    status
    ... on DirectToConsumerOrder { shipments { trackingNumber } }
  }
}
"""


def main() -> int:
    data = DemoData()
    # Its own Dagster home, warehouse and WMS folder, so other demos are left as they were.
    shutil.rmtree(WRITEBACK_DIR, ignore_errors=True)
    (WRITEBACK_DIR / "dagster_home").mkdir(parents=True)
    shutil.copyfile(REPOSITORY / "dagster.yaml", WRITEBACK_DIR / "dagster_home" / "dagster.yaml")

    with start_sandbox(data.sandbox_config()) as sandbox:
        export_environment(api_url=sandbox.url, token=sandbox.token)
        os.environ["DAGSTER_HOME"] = str(WRITEBACK_DIR / "dagster_home")
        os.environ["CENTRA_WAREHOUSE_PATH"] = str(WAREHOUSE)
        os.environ["CENTRA_WMS_FOLDER_URL"] = f"file://{WMS_FOLDER}"
        with dg.DagsterInstance.get() as instance:
            print(f"Main job over {data.window_days} days of {data.orders} orders ...")
            run_full_sync(defs, instance, start=data.window_start, days=data.window_days)
            return _play_the_wms(sandbox, instance)


def _play_the_wms(sandbox, instance) -> int:
    wms = FileExchange(url=f"file://{WMS_FOLDER}", create_missing_folders=True)
    before = _centra_stock(instance)
    chosen = sorted(before)[:4]
    levels = {key: before[key] + 10 for key in chosen}

    print(f"\nThe WMS drops stock-1.csv with {len(levels)} levels; dry run first:")
    drop_stock_file(wms, "stock-1.csv", levels)
    _run(instance, "wms_stock_dry_run")
    unchanged_by_dry_run = _centra_stock(instance) == before
    print(f"  Centra's stock untouched by the dry run: {unchanged_by_dry_run}")

    print("Sending (the dry run already planned the file, so nothing is read twice):")
    mutations = sandbox.metrics()["mutations"]
    _run(instance, "wms_stock_to_centra")
    first = _centra_stock(instance)
    first_ok = all(first[key] == level for key, level in levels.items())
    moved = {key for key in before if before[key] != first[key]}
    print(
        f"  {sandbox.metrics()['mutations'] - mutations} setStock mutations; sizes changed in "
        f"Centra: {len(moved)} (expected {len(chosen)})"
    )

    levels[chosen[0]] += 3
    print("\nThe WMS drops stock-2.csv: the same levels, one moved by 3:")
    drop_stock_file(wms, "stock-2.csv", levels)
    mutations = sandbox.metrics()["mutations"]
    _run(instance, "wms_stock_to_centra")
    second = _centra_stock(instance)
    moved_again = {key for key in first if first[key] != second[key]}
    print(
        f"  {sandbox.metrics()['mutations'] - mutations} setStock mutation; sizes changed in "
        f"Centra: {len(moved_again)} (expected 1)"
    )

    stock_ok = unchanged_by_dry_run and first_ok and moved == set(chosen)
    stock_ok = stock_ok and moved_again == {chosen[0]}
    if stock_ok:
        print("Centra holds the WMS's levels, and only changed sizes were sent.")
    else:
        print("Centra's stock does not match the WMS's files.")
    shipped_ok = _ship_an_order(sandbox, instance, wms)
    return 0 if stock_ok and shipped_ok else 1


def _ship_an_order(sandbox, instance, wms: FileExchange) -> bool:
    warehouse = DuckDBWarehouse(path=str(WAREHOUSE))
    try:
        number, lines = unshipped_order(warehouse)
    finally:
        warehouse.close()
    print(f"\nThe WMS ships order {number} ({len(lines)} lines) with tracking PN-DEMO-1:")
    drop_shipment_file(wms, number, lines, "PN-DEMO-1")
    _run(instance, "wms_shipments_to_centra")

    client = CentraClient(api_url=sandbox.url, api_token=sandbox.token)
    order = client.execute(ORDER_IN_CENTRA, variables={"number": number})["orders"][0]
    tracking = [shipment["trackingNumber"] for shipment in order.get("shipments") or []]
    print(f"  order {number} in Centra: {order['status']}, tracking {', '.join(tracking)}")
    return order["status"] == "SHIPPED" and tracking == ["PN-DEMO-1"]


def _run(instance: dg.DagsterInstance, job_name: str) -> None:
    result = defs.resolve_job_def(job_name).execute_in_process(
        run_config=RUN_CONFIG, instance=instance, raise_on_error=False
    )
    status = "succeeded" if result.success else "FAILED"
    print(f"  {job_name}: run {result.run_id[:8]} {status}")


def _centra_stock(instance: dg.DagsterInstance) -> dict[tuple[int, str], int]:
    """Centra's physical stock, read back through the stock sync."""
    _run(instance, "centra_stock_sync")
    warehouse = DuckDBWarehouse(path=str(WAREHOUSE))
    try:
        rows = warehouse.fetch("SELECT warehouse_id, sku, physical FROM centra_raw.stock")
    finally:
        warehouse.close()
    return {(warehouse_id, sku): physical for warehouse_id, sku, physical in rows}


if __name__ == "__main__":
    sys.exit(main())
