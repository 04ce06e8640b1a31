"""A stock file from the WMS changes Centra's stock for exactly the sizes that changed."""

import dagster as dg
import pytest

from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.definitions import defs
from centra_pipelines.wms.stock import PLAN_CHECK, wms_stock_plan, wms_stock_sent_to_centra

SITE = {1: "STO-1", 2: "GBG-2", 3: "RET-9"}  # the WMS's names, as in mappings/wms/stock.yaml


@pytest.fixture
def wms(synced, tmp_path):
    folder = FileExchange(url=f"file://{tmp_path / 'wms'}", create_missing_folders=True)
    resources = {
        "wms_files": folder,
        "centra": synced.client(),
        "warehouse": synced.warehouse,
    }
    return synced, folder, resources


def physical_stock(synced) -> dict[tuple[int, str], int]:
    """Centra's stock as the stock sync reads it back."""
    synced.warehouse.close()
    result = defs.resolve_job_def("centra_stock_sync").execute_in_process(instance=synced.instance)
    assert result.success
    rows = synced.warehouse.fetch("SELECT warehouse_id, sku, physical FROM centra_raw.stock")
    return {(warehouse_id, sku): physical for warehouse_id, sku, physical in rows}


def stock_file(folder: FileExchange, name: str, levels: dict[tuple[int, str], int]) -> None:
    rows = [
        {
            "SKU": sku,
            "EAN": "",
            "QTY": str(quantity),
            "WH": SITE[warehouse_id],
            "UPDATED": "2026-12-04 10:00:00",
        }
        for (warehouse_id, sku), quantity in levels.items()
    ]
    folder.write_records(name, rows, subfolder="incoming")


def run(wms_fixture, *assets) -> dg.ExecuteInProcessResult:
    synced, _, resources = wms_fixture
    synced.warehouse.close()
    selected = list(assets) or [wms_stock_plan, wms_stock_sent_to_centra]
    return dg.materialize(
        selected, resources=resources, instance=synced.instance, raise_on_error=False
    )


def metadata(result, key: str) -> dict:
    materialization = result.asset_materializations_for_node(key)[0]
    return {name: value.value for name, value in materialization.metadata.items()}


def test_only_changed_sizes_are_sent_and_a_rerun_sends_nothing(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    chosen = sorted(before)[:3]
    stock_file(folder, "stock-1.csv", {key: before[key] + 5 for key in chosen})

    first = run(wms)

    assert first.success
    assert metadata(first, "wms__stock_sent_to_centra")["sent"] == 3
    after_first = physical_stock(synced)
    changed = {key for key in before if before[key] != after_first[key]}
    assert changed == set(chosen)
    assert all(after_first[key] == before[key] + 5 for key in chosen)

    # The same levels again, one size moved: only that size is sent.
    levels = {key: after_first[key] for key in chosen}
    levels[chosen[0]] += 7
    stock_file(folder, "stock-2.csv", levels)
    mutations = synced.sandbox.metrics()["mutations"]

    second = run(wms)

    assert metadata(second, "wms__stock_plan")["unchanged"] == 2
    assert metadata(second, "wms__stock_sent_to_centra")["sent"] == 1
    assert synced.sandbox.metrics()["mutations"] == mutations + 1
    after_second = physical_stock(synced)
    assert {key for key in after_first if after_first[key] != after_second[key]} == {chosen[0]}

    third = run(wms)  # no new file
    assert metadata(third, "wms__stock_sent_to_centra")["sent"] == 0
    assert physical_stock(synced) == after_second


def test_the_dry_run_lists_the_changes_and_sends_none(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    key = sorted(before)[0]
    stock_file(folder, "stock.csv", {key: before[key] + 11})
    mutations = synced.sandbox.metrics()["mutations"]

    dry = run(wms, wms_stock_plan)

    planned = metadata(dry, "wms__stock_plan")
    assert planned["would_send"] == 1
    assert f"| {key[0]} | {key[1]} | {before[key] + 11} |" in planned["preview"]
    assert synced.sandbox.metrics()["mutations"] == mutations
    assert physical_stock(synced) == before


def test_a_row_with_an_unknown_sku_blocks_the_send(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    key = sorted(before)[0]
    stock_file(folder, "stock.csv", {key: before[key] + 1, (1, "NO-SUCH-SKU"): 3})

    result = run(wms)

    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [(PLAN_CHECK, False)]
    assert "NO-SUCH-SKU" in checks[0].metadata["reasons"].value
    assert result.asset_materializations_for_node("wms__stock_sent_to_centra") == []
    assert physical_stock(synced) == before
