"""The shared mode: several processes write one DuckDB file, taking turns and waiting.

Every test here starts real processes on the file, since DuckDB's lock is per process: a second
connection in the same process would share the first one's database instead of meeting its lock.
"""

import logging
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest

from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.warehouse import duckdb_warehouse as module
from centra_pipelines.warehouse.duckdb_warehouse import (
    WarehouseBusyError,
    WarehouseConfigError,
    WarehouseWriteError,
)
from centra_pipelines_tests.warehouse.test_duckdb_warehouse import DAY, ORDERS, order

ROOT = Path(__file__).resolve().parents[2]
PROCESS_SECONDS = 60

# Holds the file the way a run outside the shared mode does: open until the process ends.
HOLD = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""

# Opens the file, writes to it and closes it again: any other process that needs it for a while.
TOUCH = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("CREATE TABLE IF NOT EXISTS touched AS SELECT 1 AS n")
connection.close()
"""

# A run in the shared mode: writes its own partitions one transaction at a time.
WRITE = """
import sys
from datetime import date
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines_tests.warehouse.test_duckdb_warehouse import ORDERS, order

path, market_id, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
warehouse = DuckDBWarehouse(path=path, shared=True, batch_rows=2)
print("ready", flush=True)
sys.stdin.readline()
for day in range(1, days + 1):
    partition_day = date(2026, 11, day)
    rows = [order(market_id * 1000 + day * 10 + n, market_id, day=partition_day) for n in range(3)]
    partition = [{"market_id": market_id, "partition_date": partition_day}]
    warehouse.replace(ORDERS, rows, run_id=f"market-{market_id}", partitions=partition)
warehouse.close()
"""


def python(script: str, *args: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        cwd=ROOT,
        text=True,
        **options,
    )


def other_process_can_write(path: Path) -> bool:
    touch = python(TOUCH, path, stderr=subprocess.PIPE)
    touch.communicate(timeout=PROCESS_SECONDS)
    return touch.returncode == 0


def holding(path: Path, seconds: float) -> subprocess.Popen:
    holder = python(HOLD, path, seconds, stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def busy_error_while_held(path: Path, action) -> str:
    """The WarehouseBusyError `action` raises while another process holds the file; it must
    name the file and the holder's PID."""
    holder = holding(path, PROCESS_SECONDS)
    try:
        with pytest.raises(WarehouseBusyError) as error:
            action()
    finally:
        holder.kill()
        holder.wait(PROCESS_SECONDS)

    message = str(error.value)
    assert str(path) in message and f"PID {holder.pid}" in message
    return message


def partition(market_id: int = 1, day: date = DAY) -> list[dict]:
    return [{"market_id": market_id, "partition_date": day}]


def stored(warehouse: DuckDBWarehouse) -> list[tuple]:
    return warehouse.fetch(
        "SELECT order_number, total, placed_at, market_id, partition_date, _run_id "
        "FROM test_raw.orders ORDER BY order_number"
    )


@pytest.mark.parametrize("batch_rows", [2, 1000], ids=["staged in a file", "held in memory"])
def test_the_shared_mode_stores_what_the_unshared_mode_stores(tmp_path, batch_rows):
    """Small writes are held in memory, large ones staged in a file; both must store the same."""
    results = []
    for shared in (False, True):
        warehouse = DuckDBWarehouse(
            path=str(tmp_path / f"{shared}.duckdb"), shared=shared, batch_rows=batch_rows
        )
        rows = [order(n, total=f"{n}.25") for n in range(1, 6)]
        first = warehouse.replace(ORDERS, rows, run_id="run-1", partitions=partition())
        second = warehouse.replace(ORDERS, rows[:3], run_id="run-2", partitions=partition())
        results.append(
            (first.rows_written, second.rows_deleted, second.rows_written, stored(warehouse))
        )
        warehouse.close()

    assert results[0] == results[1]
    assert results[1][:3] == (5, 5, 3)


def test_the_file_is_free_for_other_processes_between_shared_writes(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shared = DuckDBWarehouse(path=str(path), shared=True)
    shared.replace(ORDERS, [order(1)], run_id="run-1", partitions=partition())

    assert other_process_can_write(path)

    unshared = DuckDBWarehouse(path=str(path), shared=False)
    unshared.replace(ORDERS, [order(2)], run_id="run-2", partitions=partition())
    try:
        assert not other_process_can_write(path)
    finally:
        unshared.close()


def test_reading_the_source_does_not_hold_the_file(tmp_path):
    """Rows stream from Centra while they are written; another process must not wait on that."""
    path = tmp_path / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(path=str(path), shared=True, batch_rows=2)
    warehouse.replace(ORDERS, [order(1)], run_id="run-1", partitions=partition())
    seen_free = []

    def slow_source():
        for number in range(1, 6):
            if number == 3:
                seen_free.append(other_process_can_write(path))
            yield order(number)

    report = warehouse.replace(ORDERS, slow_source(), run_id="run-2", partitions=partition())

    assert seen_free == [True]
    assert report.rows_written == 5


def test_a_shared_write_waits_for_another_process_and_then_lands(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(module, "LOCK_WAIT_WARNING_SECONDS", 0.2)
    monkeypatch.setattr(module, "LOCK_WAIT_REPEAT_SECONDS", 0.3)
    path = tmp_path / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(path=str(path), shared=True)
    holder = holding(path, 1.5)

    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger=module.__name__):
        report = warehouse.replace(ORDERS, [order(1)], run_id="run-1", partitions=partition())
    waited = time.monotonic() - began
    holder.wait(PROCESS_SECONDS)

    assert report.rows_written == 1 and waited >= 1.0
    assert f"PID {holder.pid}" in caplog.text and str(path) in caplog.text
    # Repeated while the wait lasts, so an on-call person sees it is still going on.
    assert caplog.text.count("for the warehouse file") >= 2


def test_a_file_held_too_long_fails_the_write_with_what_to_do(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    seed = DuckDBWarehouse(path=str(path), shared=True)
    seed.replace(ORDERS, [order(1)], run_id="run-1", partitions=partition())
    warehouse = DuckDBWarehouse(path=str(path), shared=True, lock_timeout_seconds=0.5)
    message = busy_error_while_held(
        path, lambda: warehouse.replace(ORDERS, [order(2)], run_id="run-2", partitions=partition())
    )

    assert "CENTRA_WAREHOUSE_SHARED=1" in message and "nothing was written" in message
    assert [row[0] for row in stored(warehouse)] == [1]


def test_an_unshared_file_held_elsewhere_fails_saying_how_runs_can_share_it(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    DuckDBWarehouse(path=str(path)).replace(
        ORDERS, [order(1)], run_id="run-1", partitions=partition()
    )
    message = busy_error_while_held(path, lambda: DuckDBWarehouse(path=str(path)).fetch("SELECT 1"))

    assert "CENTRA_WAREHOUSE_SHARED=1" in message and "CENTRA_WAREHOUSE_URL" in message


def test_a_failed_shared_write_keeps_the_partition_and_leaves_no_staged_file(tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"), shared=True, batch_rows=2)
    warehouse.replace(ORDERS, [order(1), order(2)], run_id="run-1", partitions=partition())

    outside = order(9, day=date(2026, 11, 3))
    with pytest.raises(WarehouseWriteError):
        warehouse.replace(ORDERS, [order(3), outside], run_id="run-2", partitions=partition())
    retried = warehouse.replace(
        ORDERS, [order(3), order(4)], run_id="run-3", partitions=partition()
    )

    assert retried.rows_deleted == 2
    assert [row[0] for row in stored(warehouse)] == [3, 4]
    assert list(staging.iterdir()) == []


def test_several_processes_write_one_shared_file_without_losing_a_row(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    markets, days = (1, 2, 3), 8
    writers = [
        python(WRITE, path, market_id, days, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for market_id in markets
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        writer.communicate(timeout=PROCESS_SECONDS)

    assert [writer.returncode for writer in writers] == [0, 0, 0]
    warehouse = DuckDBWarehouse(path=str(path), shared=True)
    counts = warehouse.fetch(
        "SELECT market_id, count(DISTINCT partition_date), count(*) FROM test_raw.orders "
        "GROUP BY market_id ORDER BY market_id"
    )
    assert counts == [(market_id, days, days * 3) for market_id in markets]


@pytest.mark.parametrize(
    ("value", "shared"), [("1", True), ("true", True), ("0", False), ("", False)]
)
def test_the_environment_chooses_the_mode_when_the_resource_does_not(monkeypatch, value, shared):
    monkeypatch.setenv(module.SHARED_VARIABLE, value)
    assert DuckDBWarehouse(path="warehouse.duckdb").is_shared() is shared
    assert DuckDBWarehouse(path="warehouse.duckdb", shared=not shared).is_shared() is not shared


def test_an_unreadable_shared_setting_is_refused_with_what_to_set(monkeypatch):
    monkeypatch.setenv(module.SHARED_VARIABLE, "sometimes")
    with pytest.raises(WarehouseConfigError, match="CENTRA_WAREHOUSE_SHARED='sometimes'"):
        DuckDBWarehouse(path="warehouse.duckdb").is_shared()
