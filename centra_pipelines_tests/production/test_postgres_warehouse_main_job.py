"""The main job with its warehouse in PostgreSQL stores what it stores in a DuckDB file.

The same seeded sandbox is synced twice, with the WMS and the ERP configured so that the exchange
phase fills the outbound tables too: once into a DuckDB file, once into a PostgreSQL database.
Every table must then hold the same rows, apart from the columns that record the sync itself,
and every check of the PostgreSQL runs, the finance reconciliation among them, must pass.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pytest

from centra_pipelines.centra.full_sync import run_full_sync
from centra_pipelines.definitions import defs
from centra_pipelines.finance.checks import RECONCILIATION
from centra_pipelines.outbound.systems import SYSTEMS
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.warehouse.engines import PATH_VARIABLE, URL_VARIABLE
from centra_pipelines_tests.pipelines.conftest import WINDOW_START, sandbox_config
from centra_pipelines_tests.postgres_server import postgres_server  # noqa: F401
from centra_sandbox import start_sandbox
from sandbox_systems.erp import create_erp
from sandbox_systems.postgres import PostgresServer

# Small: the job's cost is mostly per run and per step, so a day of 20 orders proves as much.
ORDERS = 40
WINDOW_DAYS = 1
EXCHANGED = ("wms", "erp")

# Columns that record the sync rather than the data: run ids and the moments of writing. Every
# other column must be equal on both engines.
SYNC_COLUMNS = frozenset(
    {
        "_run_id",  # every table: the run that wrote the row
        "_synced_at",  # every table: when that run wrote it
        "synced_at",  # finance.price_comparison: when the compared price was synced
        "write_id",  # audit.writes, audit.written_records
        "run_id",  # audit.writes, audit.written_records
        "written_at",  # audit.writes, audit.written_records, outbound.synced_state
        "planned_run_id",  # outbound.planned
        "planned_at",  # outbound.planned
        "handled_run_id",  # outbound.planned
        "handled_at",  # outbound.planned
        "sent_run_id",  # outbound.last_sent
        "sent_at",  # outbound.last_sent
        "synced_run_id",  # outbound.synced_state
        "detected_run_id",  # outbound.conflicts
        "detected_at",  # outbound.conflicts
        "closed_run_id",  # outbound.conflicts
        "closed_at",  # outbound.conflicts
    }
)
# outbound.planned.change_id is "<number>:<run id>": only the number is compared.
PLANNED = ("outbound", "planned")
# The ledger's per-field hashes cover the sync columns above; those keys are dropped, and the
# record's content hash (a hash of all of them) is left out.
LEDGER_TABLES = {("audit", "written_records"), ("audit", "latest_records")}

TABLES_SQL = (
    "SELECT table_schema, table_name FROM information_schema.tables "
    "WHERE table_catalog = current_database() "
    "AND table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY ALL"
)
COLUMNS_SQL = (
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
    "ORDER BY ordinal_position"
)


@dataclass
class Synced:
    warehouse: DuckDBWarehouse
    checks: list[tuple[str, str, bool, dict]] = field(default_factory=list)


@pytest.fixture(scope="module")
def synced_both(postgres_server, tmp_path_factory) -> Iterator[dict[str, Synced]]:  # noqa: F811
    """The main job run once on a DuckDB file and once on PostgreSQL, each on a fresh sandbox."""
    duckdb_file = tmp_path_factory.mktemp("duckdb-warehouse") / "warehouse.duckdb"
    warehouse_url = postgres_server.create_database()
    synced = {
        "duckdb": sync(postgres_server, tmp_path_factory, {PATH_VARIABLE: str(duckdb_file)}),
        "postgres": sync(postgres_server, tmp_path_factory, {URL_VARIABLE: warehouse_url}),
    }
    try:
        yield synced
    finally:
        for one in synced.values():
            one.warehouse.close()


def sync(server: PostgresServer, tmp_path_factory, warehouse: dict[str, str]) -> Synced:
    """The main job on a fresh sandbox, WMS folder and ERP, into the warehouse named."""
    folder = tmp_path_factory.mktemp("main-job")
    config = sandbox_config(orders=ORDERS, window_days=2, plan="enterprise")

    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        start_sandbox(config) as sandbox,
        dg.instance_for_test(temp_dir=str(folder)) as instance,
    ):
        environment = {
            **warehouse,
            "CENTRA_API_URL": sandbox.url,
            "CENTRA_API_TOKEN": sandbox.token,
            "CENTRA_WMS_FOLDER_URL": f"file://{folder / 'wms'}",
            "CENTRA_ERP_DATABASE_URL": new_erp(server),
        }
        only(monkeypatch, environment)
        (folder / "wms").mkdir()

        result = run_full_sync(defs, instance, start=WINDOW_START, days=WINDOW_DAYS)

        assert [e.system for e in result.exchanges if e.skipped is None] == list(EXCHANGED)
        return Synced(
            warehouse=DuckDBWarehouse(
                path=warehouse.get(PATH_VARIABLE), url=warehouse.get(URL_VARIABLE)
            ),
            checks=check_results(instance, result.run_ids),
        )


def new_erp(server: PostgresServer) -> str:
    url = server.create_database()
    create_erp(url)
    return url


def only(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    """Set these settings, and unset the other systems' and the other warehouse's."""
    for other in SYSTEMS:
        for name in other.settings:
            monkeypatch.delenv(name, raising=False)
    for name in (PATH_VARIABLE, URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)


def check_results(instance: dg.DagsterInstance, run_ids: list[str]) -> list[tuple]:
    """(asset, check, passed, metadata) of every check the runs evaluated."""
    results = []
    for run_id in run_ids:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        for record in records:
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            metadata = {key: value.value for key, value in evaluation.metadata.items()}
            results.append(
                (
                    evaluation.asset_key.to_user_string(),
                    evaluation.check_name,
                    evaluation.passed,
                    metadata,
                )
            )
    return results


def test_every_table_holds_the_same_rows_on_both_engines(synced_both):
    duckdb, postgres = synced_both["duckdb"].warehouse, synced_both["postgres"].warehouse

    tables = duckdb.fetch(TABLES_SQL)
    assert postgres.fetch(TABLES_SQL) == tables
    assert {("outbound", "planned"), ("audit", "writes"), ("finance", "sales_daily")} <= set(tables)

    differing, rows_compared = [], 0
    for schema, table in tables:
        columns = duckdb.fetch(COLUMNS_SQL, [schema, table])
        # A JSON column comes back from PostgreSQL as text (docs/deployment.md).
        assert postgres.fetch(COLUMNS_SQL, [schema, table]) == [
            (name, "VARCHAR" if type_ == "JSON" else type_) for name, type_ in columns
        ], f"{schema}.{table}"

        names = [name for name, _ in columns if name not in SYNC_COLUMNS]
        if (schema, table) in LEDGER_TABLES:
            names.remove("content_hash")
        ours = comparable(duckdb, schema, table, names)
        if comparable(postgres, schema, table, names) != ours:
            differing.append(f"{schema}.{table}")
        rows_compared += len(ours)

    assert differing == []
    assert rows_compared > 10_000


def test_the_checks_pass_on_postgresql_as_on_duckdb(synced_both):
    on_postgres = synced_both["postgres"].checks

    failed = [
        (asset, check, metadata) for asset, check, passed, metadata in on_postgres if not passed
    ]
    reconciled = [metadata for _, check, _, metadata in on_postgres if check == RECONCILIATION]
    assert failed == []
    assert reconciled and all(m["partitions_checked"] > 0 for m in reconciled)
    assert sorted(c[:2] for c in on_postgres) == sorted(c[:2] for c in synced_both["duckdb"].checks)


def comparable(warehouse: DuckDBWarehouse, schema: str, table: str, names: list[str]) -> list:
    """The table's rows in the given columns, normalised where a column embeds the sync, sorted."""
    selected = ", ".join(f'"{name}"' for name in names)
    rows = [
        dict(zip(names, row, strict=True))
        for row in warehouse.fetch(f"SELECT {selected} FROM {schema}.{table}")
    ]
    for row in rows:
        if (schema, table) == PLANNED:
            row["change_id"] = row["change_id"].split(":", 1)[0]
        if (schema, table) in LEDGER_TABLES:
            row["field_hashes"] = without_sync_fields(row["field_hashes"])
    return sorted((tuple(row.values()) for row in rows), key=repr)


def without_sync_fields(field_hashes: str) -> dict[str, Any]:
    return {k: v for k, v in json.loads(field_hashes).items() if k not in SYNC_COLUMNS}
