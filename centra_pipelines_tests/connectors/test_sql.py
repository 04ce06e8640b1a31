"""The SQL connector on a real PostgreSQL and on a DuckDB file: upsert counts, atomicity, reads."""

import logging
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from centra_pipelines.connectors.sql import (
    SqlConfigError,
    SqlDatabase,
    SqlIdentifierError,
    SqlSchemaError,
    SqlStatementError,
    SqlUnavailable,
    UpsertResult,
)
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401

ORDERS = "erp.orders"
ORDER_COLUMNS = {
    "external_id": "VARCHAR(64)",
    "quantity": "INTEGER NOT NULL",
    "total": "NUMERIC(12, 2)",
    "placed_at": "TIMESTAMPTZ",
}
PLACED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

# Opens a DuckDB file for writing and keeps it until its standard input closes.
HOLD_DUCKDB_FILE = (
    "import sys, duckdb; connection = duckdb.connect(sys.argv[1]); "
    "print('holding', flush=True); sys.stdin.read(); connection.close()"
)


def order(external_id: str, quantity: int = 1, total: str | None = "19.90", **overrides):
    row = {
        "external_id": external_id,
        "quantity": quantity,
        "total": None if total is None else Decimal(total),
        "placed_at": PLACED,
    }
    return {**row, **overrides}


@pytest.fixture(params=["duckdb", "postgresql"])
def database(request, tmp_path):
    if request.param == "duckdb":
        # The folder does not exist yet: the connector creates it.
        url = f"duckdb:///{tmp_path}/not-yet/erp.duckdb"
    else:
        url = request.getfixturevalue("postgres_url")
    connector = SqlDatabase(url=url, batch_size=10)
    yield connector
    connector.close()


@pytest.fixture
def orders(database):
    database.ensure_table(ORDERS, ORDER_COLUMNS, ["external_id"])
    return database


def all_orders(database) -> dict[str, dict]:
    rows = [row for batch in database.read(ORDERS) for row in batch]
    return {row["external_id"]: row for row in rows}


def test_upsert_counts_inserted_updated_and_unchanged_rows(orders):
    first = orders.upsert(ORDERS, [order("A", 1), order("B", 2), order("C", 3)], ["external_id"])
    second = orders.upsert(
        ORDERS, [order("A", 1), order("B", 5), order("D", 4), order("C", 3)], ["external_id"]
    )

    assert first == UpsertResult(inserted=3, updated=0, unchanged=0)
    assert second == UpsertResult(inserted=1, updated=1, unchanged=2)
    stored = all_orders(orders)
    assert sorted(stored) == ["A", "B", "C", "D"]
    assert stored["B"]["quantity"] == 5
    assert stored["A"]["total"] == Decimal("19.90")


def test_a_rerun_of_the_same_rows_reports_no_change(orders):
    rows = [order(f"O{n}", n, total=None if n % 3 == 0 else f"{n}.50") for n in range(25)]
    orders.upsert(ORDERS, rows, ["external_id"])

    rerun = orders.upsert(ORDERS, rows, ["external_id"])

    assert rerun == UpsertResult(inserted=0, updated=0, unchanged=25)
    assert rerun.changed == 0


@pytest.mark.parametrize(
    ("stored", "sent", "changed"),
    [
        ({"total": Decimal("19.90")}, {"total": Decimal("19.9")}, False),
        ({"total": None}, {"total": None}, False),
        ({"total": None}, {"total": Decimal("0")}, True),
        ({"total": Decimal("0")}, {"total": None}, True),
        ({"placed_at": PLACED}, {"placed_at": datetime(2026, 12, 1, 10, 30, tzinfo=UTC)}, True),
    ],
)
def test_values_are_compared_by_the_database_in_the_column_type(orders, stored, sent, changed):
    """Guards against a rerun reporting changes because 19.9 and 19.90 differ as Python values,
    and against NULL = NULL being unknown (a NULL would count as changed on every run)."""
    orders.upsert(ORDERS, [order("A", **stored)], ["external_id"])

    result = orders.upsert(ORDERS, [order("A", **sent)], ["external_id"])

    assert result.updated == (1 if changed else 0)
    assert result.unchanged == (0 if changed else 1)


def test_a_rerun_leaves_postgresql_rows_untouched(postgres_url):  # noqa: F811
    """Unchanged rows must not get a new row version (no triggers, no replication traffic)."""
    database = SqlDatabase(url=postgres_url)
    database.ensure_table(ORDERS, ORDER_COLUMNS, ["external_id"])
    database.upsert(ORDERS, [order("A"), order("B")], ["external_id"])
    versions = "SELECT external_id, xmin::text AS version FROM erp.orders ORDER BY external_id"
    before = [row for batch in database.read(versions) for row in batch]

    database.upsert(ORDERS, [order("A"), order("B", 9)], ["external_id"])

    after = [row for batch in database.read(versions) for row in batch]
    assert after[0] == before[0]
    assert after[1]["version"] != before[1]["version"]
    database.close()


@pytest.mark.parametrize(
    "bad_row",
    [
        pytest.param(order("X", quantity="many"), id="value of the wrong type"),
        pytest.param(order("X", quantity=None), id="NULL in a NOT NULL column"),
        pytest.param({"external_id": "X", "quantity": 1}, id="row with other columns"),
    ],
)
def test_one_bad_row_rolls_back_the_whole_upsert(orders, bad_row):
    orders.upsert(ORDERS, [order("A", 1)], ["external_id"])
    batch = [order("A", 7)] + [order(f"N{n}") for n in range(12)] + [bad_row]

    with pytest.raises(SqlStatementError, match="[Nn]othing was written"):
        orders.upsert(ORDERS, batch, ["external_id"])

    stored = all_orders(orders)
    assert list(stored) == ["A"]
    assert stored["A"]["quantity"] == 1


def test_a_key_sent_twice_in_one_upsert_is_refused(orders):
    with pytest.raises(SqlStatementError, match=r"\('A',\) 2 times"):
        orders.upsert(ORDERS, [order("A", 1), order("B"), order("A", 2)], ["external_id"])

    assert all_orders(orders) == {}


def test_failures_say_nothing_was_written(orders):
    with pytest.raises(SqlStatementError, match="rolled back; nothing was written"):
        orders.upsert(ORDERS, [order("A", quantity=None)], ["external_id"])


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda db: db.upsert("orders; drop table x", [order("A")], ["external_id"])),
        pytest.param(lambda db: db.upsert(ORDERS, [{'quantity"; --': 1}], ['quantity"; --'])),
        pytest.param(lambda db: db.upsert(ORDERS, [order("A")], ["external_id; drop table x"])),
        pytest.param(lambda db: db.upsert(ORDERS, [order("A")], "external_id")),
        pytest.param(lambda db: db.read("orders; drop table x")),
        pytest.param(lambda db: db.read(ORDERS, {"1=1; drop table x; --": 1})),
        pytest.param(lambda db: db.ensure_table("erp.orders.x", {"a": "INT"}, ["a"])),
        pytest.param(lambda db: db.ensure_table("t", {"a": "INT); DROP TABLE x; --"}, ["a"])),
        pytest.param(lambda db: db.ensure_table("t", {"a b": "INT"}, ["a b"])),
    ],
)
def test_names_that_are_not_plain_identifiers_are_refused_before_any_sql(orders, call):
    orders.ensure_table("x", {"id": "INTEGER"}, ["id"])

    with pytest.raises(SqlIdentifierError, match="not an acceptable|not a table name|a non-empty"):
        call(orders)

    assert list(orders.read("x")) == []
    assert all_orders(orders) == {}


def test_reads_stream_in_batches_of_the_configured_size(orders):
    orders.upsert(ORDERS, [order(f"O{n:02}", n) for n in range(25)], ["external_id"])

    batches = list(orders.read(ORDERS))
    smaller = list(orders.read(ORDERS, batch_size=7))

    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert [len(batch) for batch in smaller] == [7, 7, 7, 4]
    assert sorted(row["external_id"] for batch in batches for row in batch)[-1] == "O24"


def test_postgresql_reads_use_a_server_side_cursor(postgres_url):  # noqa: F811
    """Guards against fetching the whole result into memory before yielding the first batch."""
    database = SqlDatabase(url=postgres_url, batch_size=10)
    database.ensure_table(ORDERS, ORDER_COLUMNS, ["external_id"])
    database.upsert(ORDERS, [order(f"O{n:02}", n) for n in range(25)], ["external_id"])

    batches = database.read(ORDERS)
    next(batches)
    seen_by_server = _other_sessions_last_queries(postgres_url)
    rest = list(batches)

    assert any(query.startswith("FETCH FORWARD") for query in seen_by_server)
    assert [len(batch) for batch in rest] == [10, 5]
    database.close()


def _other_sessions_last_queries(url: str) -> list[str]:
    parsed = make_url(url)
    connection = psycopg2.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT query FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def test_table_reads_filter_by_column_and_queries_bind_parameters(orders):
    rows = [order("A", 1), order("B", 2, total=None), order("C", 3, total=None)]
    orders.upsert(ORDERS, rows, ["external_id"])

    by_filter = [
        row for batch in orders.read(ORDERS, {"total": None, "quantity": 3}) for row in batch
    ]
    by_query = [
        row
        for batch in orders.read(
            "SELECT external_id, quantity::text AS q FROM erp.orders "
            "WHERE quantity >= :least ORDER BY external_id",
            {"least": 2},
        )
        for row in batch
    ]

    assert [row["external_id"] for row in by_filter] == ["C"]
    assert by_query == [{"external_id": "B", "q": "2"}, {"external_id": "C", "q": "3"}]


def test_a_read_query_cannot_change_the_database(orders):
    orders.upsert(ORDERS, [order("A")], ["external_id"])

    with pytest.raises(SqlStatementError):
        list(orders.read("SELECT 1; DROP TABLE erp.orders"))

    assert list(all_orders(orders)) == ["A"]


def test_schema_qualified_tables_are_kept_apart_from_same_named_ones(database):
    database.ensure_table("orders", {"external_id": "VARCHAR", "note": "VARCHAR"}, ["external_id"])
    database.ensure_table(ORDERS, ORDER_COLUMNS, ["external_id"])

    database.upsert("orders", [{"external_id": "A", "note": "default schema"}], ["external_id"])
    database.upsert(ORDERS, [order("A", 4)], ["external_id"])

    assert [row for batch in database.read("orders") for row in batch] == [
        {"external_id": "A", "note": "default schema"}
    ]
    assert all_orders(database)["A"]["quantity"] == 4


def test_ensure_table_creates_once_and_checks_an_existing_table(database):
    assert database.ensure_table(ORDERS, ORDER_COLUMNS, ["external_id"]) is True
    assert database.ensure_table(ORDERS, ORDER_COLUMNS, ["external_id"]) is False

    with pytest.raises(SqlSchemaError, match=r"lacks the columns \['carrier'\]"):
        database.ensure_table(ORDERS, {**ORDER_COLUMNS, "carrier": "VARCHAR"}, ["external_id"])


def test_an_empty_upsert_warns_and_writes_nothing(orders, caplog):
    with caplog.at_level(logging.WARNING, logger="centra_pipelines.connectors.sql"):
        result = orders.upsert(ORDERS, iter([]), ["external_id"])

    assert result == UpsertResult(0, 0, 0)
    assert "no rows to upsert into erp.orders" in caplog.text


def test_connection_errors_name_the_url_without_its_password(postgres_server):  # noqa: F811
    # The server runs, but not on this port (port 9 is discard and never PostgreSQL).
    database = SqlDatabase(url="postgresql+psycopg2://erp_user:s3cr3t-pw@127.0.0.1:9/erp")
    separate = SqlDatabase(
        url="postgresql+psycopg2://erp_user@127.0.0.1:9/erp", password="an0ther-pw"
    )

    for connector in (database, separate):
        with pytest.raises(SqlUnavailable) as caught:
            list(connector.read("erp.orders"))
        assert "postgresql+psycopg2://erp_user:***@127.0.0.1:9/erp" in str(caught.value)
        assert "pw" not in str(caught.value)
        assert "pw" not in repr(connector)


def test_a_duckdb_file_held_by_another_process_is_reported_as_unavailable(tmp_path):
    path = tmp_path / "erp.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DUCKDB_FILE, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        database = SqlDatabase(url=f"duckdb:///{path}")

        with pytest.raises(SqlUnavailable, match="one process write a file at a time"):
            database.ensure_table("t", {"id": "INTEGER"}, ["id"])
    finally:
        holder.communicate(input="", timeout=30)


@pytest.mark.parametrize(
    "url",
    ["sqlite:////tmp/x.sqlite", "duckdb:///:memory:", "postgresql+psycopg://u@h/d", "not a url"],
)
def test_unsupported_urls_are_refused_with_a_clear_message(url):
    with pytest.raises(SqlConfigError):
        SqlDatabase(url=url).ensure_table("t", {"id": "INTEGER"}, ["id"])
