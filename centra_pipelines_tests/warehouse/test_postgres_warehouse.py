"""The warehouse behaves the same when its tables live in PostgreSQL.

The DuckDB file's tests of partition replaces, rollbacks, money, time, previews, the audit ledger
and new columns are imported below and run again here, where the `warehouse` fixture is a
PostgreSQL database; so are the two-way ledger's tests, which use both outbound sequences. The
tests written here cover what only PostgreSQL does differently: DuckDB's cached view of its
tables after a rollback, JSON columns read back as text, sequences, and where the password goes.
"""

import json
import logging
from contextlib import closing

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from centra_pipelines.contracts.card_data import CARD_NUMBER_MARK
from centra_pipelines.outbound.conflicts import SyncLedger
from centra_pipelines.outbound.outbox import Change, Outbox
from centra_pipelines.warehouse import Column, DuckDBWarehouse, TableSpec, record_history
from centra_pipelines.warehouse.duckdb_warehouse import WarehouseWriteError
from centra_pipelines.warehouse.engines import (
    PATH_VARIABLE,
    URL_VARIABLE,
    WarehouseConfigError,
    WarehouseUnreachableError,
)
from centra_pipelines_tests.outbound.test_conflicts import (  # noqa: F401 (run here on PostgreSQL)
    test_a_conflict_settled_but_not_yet_written_is_stored_once,
    test_a_write_left_waiting_is_withdrawn_when_a_newer_comparison_does_not_want_it,
    test_every_settled_conflict_is_kept_with_its_policy_and_winner,
    test_two_runs_keep_one_held_conflict_and_close_it_once_the_sides_agree,
)
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401
from centra_pipelines_tests.warehouse.test_duckdb_warehouse import (  # noqa: F401 (run here)
    AUDIT,
    DAY,
    ORDERS,
    order,
    test_a_duplicated_key_rolls_back,
    test_a_rolled_back_write_leaves_no_ledger_entry,
    test_a_row_outside_the_partition_rolls_everything_back,
    test_a_table_from_an_older_version_gains_the_new_columns,
    test_money_is_exact_decimal_and_time_is_utc,
    test_naive_datetimes_are_refused,
    test_related_tables_commit_or_fail_together,
    test_replacing_one_partition_leaves_the_others_alone,
    test_rerunning_a_partition_replaces_instead_of_duplicating,
    test_the_ledger_tells_which_run_wrote_a_record_when_and_what_changed,
    test_the_report_carries_a_short_preview_per_partition,
)

PARTITION = [{"market_id": 1, "partition_date": DAY}]

NOTES = TableSpec(
    schema="test_raw",
    name="notes",
    description="free text and JSON, where card data could hide",
    columns=(
        Column("id", "BIGINT", "id"),
        Column("comment", "VARCHAR", "free text"),
        Column("payload", "JSON", "a record as the source sent it"),
    ),
    key=("id",),
)


@pytest.fixture
def warehouse(postgres_url) -> DuckDBWarehouse:  # noqa: F811 (the fixture imported above)
    warehouse = DuckDBWarehouse(url=postgres_url, batch_rows=2)
    yield warehouse
    warehouse.close()


@pytest.fixture
def ledger_and_outbox(warehouse):
    return SyncLedger(warehouse), Outbox(warehouse)


def in_postgres(url: str, sql: str) -> list[tuple]:
    """Rows read with psycopg2, past DuckDB, from the database itself."""
    parsed = make_url(url)
    connection = psycopg2.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    )
    with closing(connection), connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_tables_are_postgresql_tables_with_the_declared_types(warehouse):
    warehouse.replace(ORDERS, [order(1, total="12.34")], run_id="run-1", partitions=PARTITION)

    columns = in_postgres(
        warehouse.url,
        "SELECT column_name, data_type, numeric_precision, numeric_scale "
        "FROM information_schema.columns WHERE table_schema = 'test_raw' "
        "AND table_name = 'orders' AND column_name IN ('total', 'placed_at')",
    )
    assert sorted(columns) == [
        ("placed_at", "timestamp with time zone", None, None),
        ("total", "numeric", 18, 4),
    ]
    assert in_postgres(warehouse.url, "SELECT order_number, total::text FROM test_raw.orders") == [
        (1, "12.3400")
    ]


def test_a_table_whose_first_write_was_rolled_back_is_created_by_the_next(warehouse):
    """PostgreSQL undoes the CREATE TABLE; DuckDB's cached catalog must forget it as well."""
    with pytest.raises(WarehouseWriteError, match="not unique"):
        warehouse.replace(ORDERS, [order(1), order(1)], run_id="run-1", partitions=PARTITION)

    warehouse.replace(ORDERS, [order(1)], run_id="run-2", partitions=PARTITION)

    assert warehouse.fetch("SELECT order_number, _run_id FROM test_raw.orders") == [(1, "run-2")]


def test_a_later_run_updates_the_ledger_of_records_it_rewrites(warehouse):
    """A new connection reads PostgreSQL's JSON columns as text; the ledger must still update."""
    warehouse.replace(ORDERS, [order(1)], run_id="run-1", partitions=PARTITION, audit=AUDIT)
    warehouse.close()

    warehouse.replace(
        ORDERS, [order(1, total="2.00")], run_id="run-2", partitions=PARTITION, audit=AUDIT
    )

    with warehouse.connect() as connection:
        history = record_history(connection, ORDERS.qualified_name, "1")
    assert [(h["run_id"], h["change"]) for h in history] == [("run-1", "new"), ("run-2", "changed")]
    assert json.loads(history[-1]["changed_fields"]) == ["total"]


def test_card_data_never_reaches_postgresql(warehouse):
    row = {
        "id": 1,
        "comment": "paid with 4111 1111 1111 1111, exp 12/29",
        "payload": json.dumps({"note": "card 5555555555554444", "cvv": "123"}),
    }

    warehouse.replace(NOTES, [row], run_id="run-1")

    [(comment, payload)] = in_postgres(
        warehouse.url, "SELECT comment, payload::text FROM test_raw.notes"
    )
    stored = comment + payload
    assert "4111" not in stored and "5555555555554444" not in stored and '"123"' not in stored
    assert CARD_NUMBER_MARK in comment


def test_change_numbers_continue_from_a_postgresql_sequence_across_runs(warehouse):
    change = Change("erp", "orders", "1", {"total": "1.00"}, source="order 1")
    first, _ = Outbox(warehouse).plan([change], "run-1")
    warehouse.close()

    second, _ = Outbox(warehouse).plan([Change("erp", "orders", "2", {}, "order 2")], "run-2")

    assert [p.change_id for p in first + second] == ["000000000001:run-1", "000000000002:run-2"]
    assert in_postgres(warehouse.url, "SELECT schemaname, sequencename FROM pg_sequences") == [
        ("outbound", "change_numbers")
    ]


def test_a_field_path_or_url_wins_over_the_environment(monkeypatch, tmp_path, warehouse):
    monkeypatch.setenv(URL_VARIABLE, warehouse.url)
    monkeypatch.delenv(PATH_VARIABLE, raising=False)

    from_environment = DuckDBWarehouse()
    given_file = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))

    assert from_environment.location().is_postgres
    assert given_file.location().file == str(tmp_path / "warehouse.duckdb")


def test_both_engines_in_the_environment_is_refused(monkeypatch, tmp_path, warehouse):
    monkeypatch.setenv(URL_VARIABLE, warehouse.url)
    monkeypatch.setenv(PATH_VARIABLE, str(tmp_path / "warehouse.duckdb"))

    with pytest.raises(WarehouseConfigError, match=f"unset {PATH_VARIABLE}"):
        DuckDBWarehouse().fetch("SELECT 1")


def test_the_password_is_in_no_log_line_and_no_error(warehouse, caplog):
    # The test server trusts loopback logins, so a password is accepted and ignored.
    with_password = make_url(warehouse.url).set(password="s3cr3t-pw")
    reachable = DuckDBWarehouse(url=with_password.render_as_string(hide_password=False))
    # Nothing listens on port 1 of the loopback address.
    unreachable = DuckDBWarehouse(url="postgresql://ops:s3cr3t-pw@127.0.0.1:1/warehouse")

    with caplog.at_level(logging.DEBUG), pytest.raises(WarehouseUnreachableError) as refused:
        unreachable.fetch("SELECT 1")
    with caplog.at_level(logging.DEBUG):
        assert reachable.fetch("SELECT 1") == [(1,)]
        databases = reachable.fetch("SELECT coalesce(path, '') FROM duckdb_databases()")
    reachable.close()

    assert "s3cr3t-pw" not in str(refused.value) and "ops:***@" in str(refused.value)
    assert "s3cr3t-pw" not in caplog.text and ":***@" in caplog.text
    assert not any("s3cr3t-pw" in path for (path,) in databases)


def test_a_url_that_names_no_database_is_refused_before_connecting():
    with pytest.raises(WarehouseConfigError, match="postgresql://user:password@host"):
        DuckDBWarehouse(url="postgresql://ops:pw@127.0.0.1:5432").location()


@pytest.mark.parametrize("password", ["Xk9#Leak", "ab?Leak", "ab/Leak", "ab@Leak"])
def test_an_unencoded_password_is_refused_without_showing_it(password):
    url = f"postgresql://ops:{password}@127.0.0.1:5432/warehouse"

    with pytest.raises(WarehouseConfigError) as error:
        DuckDBWarehouse(url=url).location()

    assert "Leak" not in str(error.value) and "percent-encode" in str(error.value)


def test_an_unparsable_url_is_refused_naming_the_setting_not_the_password():
    with pytest.raises(WarehouseConfigError) as error:
        DuckDBWarehouse(url="postgresql://ops:pw-Leak@[::1/warehouse").location()

    assert "CENTRA_WAREHOUSE_URL" in str(error.value) and "Leak" not in str(error.value)
