"""The warehouse replaces partitions atomically and keeps money and time exact."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from centra_pipelines.warehouse import (
    Column,
    DuckDBWarehouse,
    TableSpec,
    WriteAudit,
    record_history,
)
from centra_pipelines.warehouse.duckdb_warehouse import WarehouseConfigError, WarehouseWriteError

ORDERS = TableSpec(
    schema="test_raw",
    name="orders",
    description="orders for tests",
    columns=(
        Column("order_number", "BIGINT", "number"),
        Column("total", "DECIMAL(18,4)", "money"),
        Column("placed_at", "TIMESTAMPTZ", "when"),
        Column("market_id", "BIGINT", "market"),
        Column("partition_date", "DATE", "day"),
    ),
    key=("order_number",),
    partition_columns=("market_id", "partition_date"),
)
DAY = date(2026, 11, 2)


def order(number: int, market_id: int = 1, total: str = "10.10", day: date = DAY) -> dict:
    placed = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return {
        "order_number": number,
        "total": Decimal(total),
        "placed_at": placed,
        "market_id": market_id,
        "partition_date": day,
    }


@pytest.fixture
def warehouse(tmp_path) -> DuckDBWarehouse:
    return DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"), batch_rows=2)


def count(warehouse: DuckDBWarehouse, where: str = "TRUE") -> int:
    return warehouse.fetch(f"SELECT count(*) FROM test_raw.orders WHERE {where}")[0][0]


def test_rerunning_a_partition_replaces_instead_of_duplicating(warehouse):
    partition = [{"market_id": 1, "partition_date": DAY}]
    rows = [order(n) for n in range(1, 6)]

    first = warehouse.replace(ORDERS, rows, run_id="run-1", partitions=partition)
    second = warehouse.replace(ORDERS, rows, run_id="run-2", partitions=partition)

    assert first.rows_written == 5 and first.rows_deleted == 0
    assert second.rows_written == 5 and second.rows_deleted == 5
    assert count(warehouse) == 5
    assert warehouse.fetch("SELECT DISTINCT _run_id FROM test_raw.orders") == [("run-2",)]


def test_replacing_one_partition_leaves_the_others_alone(warehouse):
    warehouse.replace(
        ORDERS,
        [order(1, market_id=1), order(2, market_id=2)],
        run_id="run-1",
        partitions=[
            {"market_id": 1, "partition_date": DAY},
            {"market_id": 2, "partition_date": DAY},
        ],
    )

    report = warehouse.replace(
        ORDERS,
        [order(3, market_id=1)],
        run_id="run-2",
        partitions=[{"market_id": 1, "partition_date": DAY}],
    )

    assert report.rows_by_partition == {(1, DAY): 1}
    assert count(warehouse, "market_id = 2") == 1
    assert count(warehouse, "market_id = 1") == 1


def test_a_row_outside_the_partition_rolls_everything_back(warehouse):
    partition = [{"market_id": 1, "partition_date": DAY}]
    warehouse.replace(ORDERS, [order(1)], run_id="run-1", partitions=partition)

    stray = order(9, day=DAY + timedelta(days=1))
    with pytest.raises(WarehouseWriteError, match="outside the requested window"):
        warehouse.replace(ORDERS, [order(2), stray], run_id="run-2", partitions=partition)

    assert warehouse.fetch("SELECT order_number FROM test_raw.orders") == [(1,)]


def test_a_duplicated_key_rolls_back(warehouse):
    partition = [{"market_id": 1, "partition_date": DAY}]

    with pytest.raises(WarehouseWriteError, match="not unique"):
        warehouse.replace(ORDERS, [order(1), order(1)], run_id="run-1", partitions=partition)

    assert not warehouse.table_exists(ORDERS) or count(warehouse) == 0


def test_money_is_exact_decimal_and_time_is_utc(warehouse):
    stockholm = timezone(timedelta(hours=1))
    row = order(1, total="0.1")
    row["placed_at"] = datetime(2026, 11, 2, 0, 30, tzinfo=stockholm)
    rows = [row, order(2, total="0.2")]

    warehouse.replace(
        ORDERS, rows, run_id="run-1", partitions=[{"market_id": 1, "partition_date": DAY}]
    )

    total, placed = warehouse.fetch("SELECT sum(total), min(placed_at) FROM test_raw.orders")[0]
    assert total == Decimal("0.3000")
    assert placed == datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    column_types = dict(
        warehouse.fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'orders'"
        )
    )
    assert column_types["total"] == "DECIMAL(18,4)"
    assert column_types["placed_at"] == "TIMESTAMP WITH TIME ZONE"


def test_naive_datetimes_are_refused(warehouse):
    row = order(1)
    row["placed_at"] = datetime(2026, 11, 2, 12)

    with pytest.raises(WarehouseWriteError, match="naive datetime"):
        warehouse.replace(
            ORDERS, [row], run_id="run-1", partitions=[{"market_id": 1, "partition_date": DAY}]
        )


def test_related_tables_commit_or_fail_together(warehouse):
    lines = TableSpec(
        schema="test_raw",
        name="lines",
        description="lines",
        columns=(Column("line_id", "BIGINT", "id"), Column("order_number", "BIGINT", "order")),
        key=("line_id",),
    )
    rows = [
        (ORDERS, order(1)),
        (lines, {"line_id": 1, "order_number": 1}),
        (lines, {"line_id": 1, "order_number": 1}),
    ]

    with pytest.raises(WarehouseWriteError, match="lines"):
        warehouse.replace_many(
            {ORDERS: [{"market_id": 1, "partition_date": DAY}], lines: None}, rows, run_id="run-1"
        )

    assert not warehouse.table_exists(ORDERS) or count(warehouse) == 0


def test_the_report_carries_a_short_preview_per_partition(warehouse):
    partitions = [{"market_id": 1, "partition_date": DAY}, {"market_id": 2, "partition_date": DAY}]
    rows = [order(n, market_id=1) for n in range(1, 9)] + [order(20, market_id=2)]

    report = warehouse.replace(ORDERS, rows, run_id="run-1", partitions=partitions)

    assert report.preview_columns == ("order_number",)
    assert report.preview((1, DAY)) == [(1,), (2,), (3,), (4,), (5,)]
    assert report.preview((2, DAY)) == [(20,)]
    assert report.rows_by_partition == {(1, DAY): 8, (2, DAY): 1}


@pytest.mark.parametrize("path", ["", "  ", ":memory:", ":memory:shared"])
def test_a_path_that_would_keep_nothing_is_refused(path):
    """DuckDB silently opens an in-memory database for these; every run would lose its rows."""
    warehouse = DuckDBWarehouse(path=path)

    with pytest.raises(WarehouseConfigError, match="CENTRA_WAREHOUSE_PATH"):
        warehouse.replace(ORDERS, [order(1)], run_id="run-1", partitions=None)


AUDIT = WriteAudit(direction="inbound", system="centra", asset_by_table={"orders": "centra/orders"})


def test_the_ledger_tells_which_run_wrote_a_record_when_and_what_changed(warehouse):
    partition = [{"market_id": 1, "partition_date": DAY}]
    warehouse.replace(
        ORDERS, [order(1), order(2)], run_id="run-1", partitions=partition, audit=AUDIT
    )
    warehouse.replace(
        ORDERS, [order(1), order(2)], run_id="run-2", partitions=partition, audit=AUDIT
    )
    report = warehouse.replace(
        ORDERS,
        [order(1, total="99.90"), order(2)],
        run_id="run-3",
        partitions=partition,
        audit=AUDIT,
    )

    with warehouse.connect() as connection:
        history = record_history(connection, f"{ORDERS.qualified_name}", "1")

    assert [(h["run_id"], h["change"]) for h in history] == [
        ("run-1", "new"),
        ("run-2", "unchanged"),
        ("run-3", "changed"),
    ]
    assert history[-1]["asset"] == "centra/orders"
    assert json.loads(history[-1]["changed_fields"]) == ["total"]
    assert history[0]["written_at"].tzinfo is not None
    assert (report.audit.new, report.audit.changed, report.audit.unchanged) == (0, 1, 1)


def test_a_rolled_back_write_leaves_no_ledger_entry(warehouse):
    partition = [{"market_id": 1, "partition_date": DAY}]

    with pytest.raises(WarehouseWriteError):
        warehouse.replace(
            ORDERS, [order(1), order(1)], run_id="run-1", partitions=partition, audit=AUDIT
        )

    with warehouse.connect() as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'audit'"
        ).fetchone()[0]
        written = (
            connection.execute("SELECT count(*) FROM audit.written_records").fetchone()[0]
            if tables
            else 0
        )
    assert written == 0


def test_a_table_from_an_older_version_gains_the_new_columns(warehouse):
    """Upgrading must not fail on a warehouse written before a column was added."""
    older = TableSpec(
        schema=ORDERS.schema,
        name=ORDERS.name,
        description="orders before a column was added",
        columns=tuple(column for column in ORDERS.columns if column.name != "total"),
        key=ORDERS.key,
        partition_columns=ORDERS.partition_columns,
    )
    partition = [{"market_id": 1, "partition_date": DAY}]
    old_row = {k: v for k, v in order(1).items() if k != "total"}
    warehouse.replace(older, [old_row], run_id="run-1", partitions=partition)

    warehouse.replace(ORDERS, [order(1, total="5.00")], run_id="run-2", partitions=partition)

    assert warehouse.fetch("SELECT total FROM test_raw.orders") == [(Decimal("5.0000"),)]
