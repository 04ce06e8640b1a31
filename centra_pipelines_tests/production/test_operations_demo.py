"""The pieces of `make demo-operations` (demo/operations.py); the whole demo takes over a minute.

The alert endpoint keeps what is posted to its path; the warehouse comparison ignores the columns
that record the sync and nothing else; the demo's production configuration gives a Dagster
instance on PostgreSQL built from the deploy file, on which the alert step sees a run with a
revoked token fail without a retry and raise exactly one alert; and any other number of alerts
fails the demo.
"""

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from unittest import mock

import dagster as dg
import psycopg2
import pytest

from centra_pipelines.definitions import defs
from centra_pipelines_tests.pipelines.conftest import sandbox_config
from centra_pipelines_tests.postgres_server import postgres_server  # noqa: F401
from centra_sandbox import start_sandbox
from demo import operations
from demo.alert_endpoint import AlertEndpoint, Post, serve_alert_endpoint
from sandbox_systems.postgres import PostgresServer

ORDERS_TABLE = """
CREATE SCHEMA centra_raw;
CREATE TABLE centra_raw.orders (
    order_number BIGINT, grand_total NUMERIC(18, 4), _run_id VARCHAR, _synced_at TIMESTAMPTZ
);
INSERT INTO centra_raw.orders VALUES (1001, %(total)s, %(run)s, now()), (1002, 5, %(run)s, now());
"""
LEDGER_TABLE = """
CREATE SCHEMA audit;
CREATE TABLE audit.written_records (
    record_key VARCHAR, field_hashes JSON, content_hash VARCHAR, run_id VARCHAR,
    written_at TIMESTAMPTZ
);
INSERT INTO audit.written_records VALUES ('1001', %(hashes)s, %(run)s, %(run)s, now());
"""


def post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_endpoint_keeps_what_is_posted_to_its_path_alone():
    with serve_alert_endpoint() as endpoint:
        delivered = post(endpoint.url, {"text": "Run failed: centra_stock_sync"})
        elsewhere = post(endpoint.url.rsplit("/", 1)[0] + "/other", {"text": "elsewhere"})

    assert (delivered, elsewhere) == (200, 404)
    assert endpoint.delivered == [{"text": "Run failed: centra_stock_sync"}]


def warehouse(
    server: PostgresServer, *, run: str, total: str = "10.5", data_hash: str = "a1", ledger=True
) -> str:
    """A small warehouse: two orders and a ledger record, written by the run named `run`."""
    url = server.create_database()
    hashes = json.dumps({"grand_total": data_hash, "_run_id": f"hash of {run}"})
    connection = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    with closing(connection), connection, connection.cursor() as cursor:
        cursor.execute(ORDERS_TABLE, {"total": total, "run": run})
        if ledger:
            cursor.execute(LEDGER_TABLE, {"hashes": hashes, "run": run})
    return url


@pytest.mark.parametrize(
    ("other", "differing"),
    [
        pytest.param({}, [], id="the same data written by another run"),
        pytest.param({"total": "10.51"}, ["centra_raw.orders"], id="a total differs"),
        pytest.param({"data_hash": "b2"}, ["audit.written_records"], id="a field hash differs"),
        pytest.param({"ledger": False}, ["audit.written_records"], id="a table is missing"),
    ],
)
def test_warehouses_differ_only_in_their_data(postgres_server, other, differing):  # noqa: F811
    clean = operations.warehouse_rows(warehouse(postgres_server, run="clean-run"))
    faulty = operations.warehouse_rows(warehouse(postgres_server, run="faulty-run", **other))

    assert set(clean) == {"centra_raw.orders", "audit.written_records"}
    assert operations.differing_tables(clean, faulty) == differing


def test_slow_answers_are_timeouts_for_the_faulty_runs_client():
    changed = operations.with_centra_client(defs, **operations.FAULT_CLIENT)

    assert changed.resources["centra"].timeout_seconds < operations.FAULTS.slow_seconds
    others = {key for key in defs.resources if key != "centra"}
    assert all(changed.resources[key] is defs.resources[key] for key in others)
    assert [job.name for job in changed.jobs] == [job.name for job in defs.jobs]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    with start_sandbox(sandbox_config(orders=10, window_days=1)) as sandbox:
        yield sandbox


def test_a_failed_run_on_the_production_instance_raises_one_alert(
    postgres_server,  # noqa: F811
    sandbox,
    tmp_path,
    capsys,
):
    with mock.patch.dict(os.environ), serve_alert_endpoint() as endpoint:
        operations.configure_production(tmp_path, postgres_server, sandbox, endpoint)
        try:
            with dg.DagsterInstance.get() as instance:
                storage = type(instance.run_storage).__name__
                problems = operations.one_alert_per_failed_run(defs, instance, sandbox, endpoint)
        finally:
            for database in operations.DATABASES:
                postgres_server.drop_database(database)

    printed = capsys.readouterr().out
    assert storage == "PostgresRunStorage"
    assert problems == []
    assert len(endpoint.delivered) == 1
    assert "failed at step centra_warehouses, retried 0 times" in printed
    assert "Dagster does not retry this step" in printed
    assert "the Slack endpoint received 1 alert(s)" in printed
    assert "Error: CentraAuthenticationError: Centra answered HTTP 401" in printed


@pytest.mark.parametrize(
    ("texts", "problem"),
    [
        pytest.param([], "received 0 alerts for one failed run", id="none"),
        pytest.param(["Run: r-1", "Run: r-1"], "received 2 alerts", id="twice"),
        pytest.param(["Run: r-2"], "does not name the failed run r-1", id="another run"),
    ],
)
def test_any_other_alert_than_one_for_the_run_fails_the_demo(texts, problem, capsys):
    endpoint = AlertEndpoint(url="unused", received=[Post(200, {"text": text}) for text in texts])

    status = operations.verdict(operations.exactly_one_alert(endpoint, "r-1"))

    assert status == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and problem in failed[0]
