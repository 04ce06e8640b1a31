"""A stock file from the WMS changes Centra's stock for exactly the sizes that changed."""

from centra_pipelines.outbound.files import PLAN_CHECK
from centra_pipelines.wms.stock import wms_stock_plan
from centra_pipelines_tests.wms.helpers import metadata, physical_stock, run
from demo.wms_files import drop_stock_file


def test_only_changed_sizes_are_sent_and_a_rerun_sends_nothing(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    chosen = sorted(before)[:3]
    drop_stock_file(folder, "stock-1.csv", {key: before[key] + 5 for key in chosen})

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
    drop_stock_file(folder, "stock-2.csv", levels)
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
    drop_stock_file(folder, "stock.csv", {key: before[key] + 11})
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
    drop_stock_file(folder, "stock.csv", {key: before[key] + 1, (1, "NO-SUCH-SKU"): 3})

    result = run(wms)

    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks] == [(PLAN_CHECK, False)]
    assert "NO-SUCH-SKU" in checks[0].metadata["reasons"].value
    assert result.asset_materializations_for_node("wms__stock_sent_to_centra") == []
    assert physical_stock(synced) == before
