"""What a reviewer found could go wrong between a WMS file and Centra, each now held to account."""

import re
from pathlib import Path

from centra_pipelines.centra.client.errors import CentraMutationOutcomeUnknown
from centra_pipelines.centra.client.resource import CentraClient
from centra_pipelines.outbound.outbox import Outbox
from centra_pipelines.wms.stock import wms_stock_plan, wms_stock_sent_to_centra
from centra_pipelines_tests.wms.helpers import metadata, physical_stock, run
from demo.wms_files import COUNTED_AT, SITES, drop_stock_file


def test_a_file_is_not_lost_when_planning_fails(wms, monkeypatch):
    synced, folder, _ = wms
    before = physical_stock(synced)
    key = sorted(before)[0]
    drop_stock_file(folder, "stock.csv", {key: before[key] + 4})

    def crash(self, changes, run_id, *, hold=False):
        raise RuntimeError("the warehouse went away while planning")

    with monkeypatch.context() as patch:
        patch.setattr(Outbox, "plan", crash)
        assert not run(wms).success

    assert run(wms).success  # takes the file back from processing/ and sends it
    assert physical_stock(synced)[key] == before[key] + 4


def test_the_newest_level_of_a_size_wins_across_files_and_dry_runs(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    first_warehouse = sorted(before)[0][0]
    sizes = [key for key in sorted(before) if key[0] == first_warehouse][:11]
    last = sizes[-1]
    drop_stock_file(folder, "stock-a.csv", {key: before[key] + 1 for key in sizes})
    drop_stock_file(folder, "stock-b.csv", {last: before[last] + 2})
    assert run(wms).success
    assert physical_stock(synced)[last] == before[last] + 2

    # A dry run plans +9; the WMS's next word is the level Centra already has.
    drop_stock_file(folder, "stock-c.csv", {last: before[last] + 9})
    run(wms, wms_stock_plan)
    drop_stock_file(folder, "stock-d.csv", {last: before[last] + 2})
    assert run(wms).success
    assert physical_stock(synced)[last] == before[last] + 2


def test_good_rows_of_a_file_with_a_bad_row_wait_for_someone_to_look(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    key = sorted(before)[0]
    drop_stock_file(folder, "stock.csv", {key: before[key] + 1, (1, "NO-SUCH-SKU"): 3})

    first = run(wms)
    second = run(wms)  # no new file, nobody looked

    assert [c.passed for c in first.get_asset_check_evaluations()] == [False]
    assert metadata(first, "wms__stock_plan")["held"] == 1
    assert metadata(second, "wms__stock_sent_to_centra")["sent"] == 0
    assert physical_stock(synced) == before


def release_statement() -> str:
    """The statement docs/outbound.md gives for releasing the held rows of a file."""
    text = (Path(__file__).parents[2] / "docs" / "outbound.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)
    [statement] = [block for block in blocks if "status = 'held'" in block]
    return " ".join(statement.split())


def test_the_documented_statement_releases_the_held_rows_of_a_file(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    key = sorted(before)[0]
    drop_stock_file(folder, "stock-bad.csv", {key: before[key] + 3, (1, "NO-SUCH-SKU"): 3})
    assert metadata(run(wms), "wms__stock_plan")["held"] == 1

    statement = release_statement()
    assert "'stock-bad.csv'" in statement
    synced.warehouse.close()
    with synced.warehouse.connect() as connection:
        connection.execute(statement)
    released = synced.warehouse.fetch(
        "SELECT source FROM outbound.planned WHERE status = 'pending' AND entity = 'stock'"
    )
    result = run(wms, wms_stock_sent_to_centra)

    assert released == [("stock-bad.csv:2",)]
    assert metadata(result, "wms__stock_sent_to_centra")["sent"] == 1
    assert physical_stock(synced)[key] == before[key] + 3


def test_a_negative_quantity_is_rejected_before_anything_is_sent(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    key = sorted(before)[0]
    drop_stock_file(folder, "stock.csv", {key: -1})

    result = run(wms)

    check = result.get_asset_check_evaluations()[0]
    assert not check.passed and "below 0" in check.metadata["reasons"].value
    assert physical_stock(synced) == before


def test_a_lost_answer_resends_only_the_batch_it_concerned(wms, monkeypatch):
    synced, folder, _ = wms
    before = physical_stock(synced)
    first_of_each = {}
    for key in sorted(before):
        first_of_each.setdefault(key[0], key)
    one, two = list(first_of_each.values())[:2]
    drop_stock_file(folder, "stock.csv", {one: before[one] + 3, two: before[two] + 3})
    real_mutate = CentraClient.mutate
    calls = []

    def second_call_unanswered(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise CentraMutationOutcomeUnknown(operation="setStock", reason="read timed out")
        return real_mutate(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(CentraClient, "mutate", second_call_unanswered)
        assert not run(wms).success

    rerun = run(wms)
    assert metadata(rerun, "wms__stock_sent_to_centra")["sent"] == 1
    stock = physical_stock(synced)
    assert (stock[one], stock[two]) == (before[one] + 3, before[two] + 3)


def test_an_unreadable_file_fails_the_check_and_is_named(wms):
    synced, folder, _ = wms
    path = folder.folder_path("incoming") + "/stock.csv"
    with folder.filesystem.open(path, "wb") as handle:
        handle.write(b'SKU,QTY,WH\n"unterminated,1,STO-1\n')

    result = run(wms)

    check = result.get_asset_check_evaluations()[0]
    assert not check.passed
    assert check.metadata["unreadable_files"].value == 1
    assert "stock.csv" in check.metadata["reasons"].value


def test_a_size_listed_twice_in_one_file_is_counted_and_the_later_line_wins(wms):
    synced, folder, _ = wms
    before = physical_stock(synced)
    (site, sku), other = sorted(before)[:2]
    row = {"EAN": "", "WH": SITES[site], "UPDATED": COUNTED_AT}
    rows = [
        {**row, "SKU": sku, "QTY": str(before[site, sku] + 1)},
        {**row, "SKU": other[1], "WH": SITES[other[0]], "QTY": str(before[other] + 1)},
        {**row, "SKU": sku, "QTY": str(before[site, sku] + 7)},
    ]
    folder.write_records("stock-twice.csv", rows, subfolder="incoming")

    result = run(wms)

    assert result.success
    assert metadata(result, "wms__stock_plan")["duplicates"] == 1
    assert physical_stock(synced)[site, sku] == before[site, sku] + 7
    logged = [entry.user_message for entry in synced.instance.all_logs(result.run_id)]
    assert any(
        f"stock-twice.csv: SKU {sku} in warehouse {site} is on lines 2 and 4" in text
        for text in logged
    )
