"""What the client cannot absorb: Dagster retries the step when the failure is transient, stops at
once when it is not, and a run killed at any point and rerun leaves no gap and no duplicate.

Every test starts from a copy of one state, made once: a Dagster home and a warehouse after the
main job's first phase (reference data, catalogue, stock, customers), before any order. The jobs
are the project's own, with the retry policy's delay cut to hundredths of a second
(fault_support.QUICK_RETRY_POLICY).
"""

import os
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from centra_pipelines.centra.assets.orders import ORDER_TABLES, RETURN_TABLES
from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.client.errors import (
    CentraAuthenticationError,
    CentraMutationOutcomeUnknown,
    CentraRateLimited,
    CentraUnavailable,
)
from centra_pipelines.centra.client.shared_budget import RateBudgetUnavailable
from centra_pipelines.centra.full_sync import window_partition_keys
from centra_pipelines.centra.queries import WAREHOUSE_STOCK
from centra_pipelines.connectors.files import FileExchange
from centra_pipelines.connectors.rest import RestConnectionError, RestHttpError
from centra_pipelines.connectors.sql import SqlStatementError, SqlUnavailable
from centra_pipelines.erp import planning
from centra_pipelines.erp.planning import SendResult
from centra_pipelines.failures import NOT_RETRIED, TransientFailure, retry_only_transient
from centra_pipelines.outbound.outbox import Change, Outcome, Planned
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.warehouse.engines import WarehouseUnreachableError
from centra_pipelines_tests.production.fault_support import (
    AFTER_COMMIT,
    ORDERS_JOB,
    PAUSED,
    WINDOW_DAYS,
    WINDOW_START,
    duplicated_keys,
    quick_definitions,
    range_tags,
    run_events,
    sandbox_config,
    start_worker,
    use_sandbox,
)
from centra_sandbox import start_sandbox
from centra_sandbox.graphql.permissions import ALL_PERMISSIONS
from demo.verify import compare_order_totals, quarantined, stored
from demo.wms_files import drop_stock_file

ORDER_SIDE = [*ORDER_TABLES, *RETURN_TABLES]
# A token that may do everything except read orders.
NO_ORDER_READ = "no-order-read"
TOKENS = {NO_ORDER_READ: [p for p in ALL_PERMISSIONS if p != "Order:read"]}
MID_WRITE = "mid-write"
SECOND_DAY = (WINDOW_START + timedelta(days=1)).isoformat()


@dataclass
class World:
    sandbox: object
    instance: dg.DagsterInstance
    folder: Path

    @property
    def home(self) -> Path:
        return self.folder / "home"

    def warehouse(self) -> DuckDBWarehouse:
        return DuckDBWarehouse(path=str(self.folder / "warehouse.duckdb"))

    def run(
        self, job: str, client: dict | None = None, tags: dict | None = None
    ) -> dg.ExecuteInProcessResult:
        definitions = quick_definitions(client)
        return definitions.resolve_job_def(job).execute_in_process(
            instance=self.instance, tags=tags, raise_on_error=False
        )

    def sync_orders(self, client: dict | None = None) -> dg.ExecuteInProcessResult:
        return self.run(ORDERS_JOB, client, range_tags(self.window()))

    def window(self) -> list[str]:
        return window_partition_keys(self.instance, start=WINDOW_START, days=WINDOW_DAYS)


@pytest.fixture(scope="module")
def base_state(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("before-orders")
    (folder / "home").mkdir()
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        start_sandbox(sandbox_config(tokens=TOKENS)) as sandbox,
        dg.instance_for_test(temp_dir=str(folder / "home")) as instance,
    ):
        use_sandbox(monkeypatch, sandbox, folder)
        first_phase = quick_definitions().resolve_job_def("centra_unpartitioned_sync")
        assert first_phase.execute_in_process(instance=instance).success
    return folder


@pytest.fixture
def world(base_state, tmp_path, monkeypatch) -> Iterator[World]:
    """The base state copied, and a fresh sandbox with the same seeded data."""
    shutil.copytree(base_state, tmp_path, dirs_exist_ok=True)
    with (
        start_sandbox(sandbox_config(tokens=TOKENS)) as sandbox,
        dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance,
    ):
        use_sandbox(monkeypatch, sandbox, tmp_path)
        yield World(sandbox, instance, tmp_path)


def assert_orders_complete(world: World) -> None:
    """Every order-side record of the window once: counts and totals as Centra's, no repeats."""
    stats = world.sandbox.stats()
    warehouse = world.warehouse()
    try:
        counts = {
            table.name: stored(warehouse, table.name) + quarantined(warehouse, table.name)
            for table in ORDER_SIDE
        }
        assert counts == {table.name: stats["counts"][table.name] for table in ORDER_SIDE}
        totals = compare_order_totals(warehouse, stats["order_totals"])
        assert [c for c in totals if not c.matches] == []
        assert duplicated_keys(warehouse, ORDER_SIDE) == {}
    finally:
        warehouse.close()


def step_keys(world: World, run_id: str, kind: dg.DagsterEventType) -> list[str]:
    return [entry.step_key for entry in run_events(world.instance, run_id, kind)]


def once(action):
    """A request hook that runs `action` at the first request `action` accepts, then never."""
    done = threading.Event()

    def hook(operation, variables):
        if not done.is_set() and action(operation, variables):
            done.set()

    return hook


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (CentraRateLimited(operation="Orders", attempts=8, reason="HTTP 429"), True),
        (CentraUnavailable(operation="Orders", attempts=8, last_failure="HTTP 503", url=""), True),
        (RestConnectionError("the help desk refused the connection"), True),
        (RestHttpError(method="GET", url="", status=503, message="down", attempts=5), True),
        (SqlUnavailable("could not connect to the ERP"), True),
        (TransientFailure("Centra was unavailable for every change"), True),
        (RestHttpError(method="GET", url="", status=404, message="gone", attempts=1), False),
        (
            CentraRateLimited(
                operation="Orders", attempts=1, reason="Retry-After 7200 s", retry_after=7200
            ),
            False,
        ),
        (RateBudgetUnavailable("the budget's database did not answer"), True),
        (WarehouseUnreachableError("the PostgreSQL warehouse did not answer"), True),
        (CentraAuthenticationError(status_code=401, operation="Orders"), False),
        (CentraMutationOutcomeUnknown(operation="SetStock", reason="HTTP 502"), False),
        (dg.Failure("materialize centra/markets first"), False),
        (KeyError("order_number"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_only_transient_failures_reach_the_retry_policy(error, retried):
    """The one place that decides: what passes unchanged is retried, the rest is final."""

    @retry_only_transient
    def compute():
        raise error

    with pytest.raises(dg.Failure if not retried else type(error)) as raised:
        compute()

    assert (raised.value is error) == retried
    if not retried:
        assert not raised.value.allow_retries and NOT_RETRIED in raised.value.description


def test_a_fault_outliving_the_client_fails_the_step_and_dagster_retries_it(world):
    """Two 503s in a row on the second day's orders, against a client that tries twice: the
    step fails after writing the first day, and its retry writes both days once."""

    def burst(operation, variables):
        if operation == "Orders" and variables["from"].startswith(SECOND_DAY):
            world.sandbox.faults.fail_next(503, count=2)
            return True
        return False

    world.sandbox.add_request_hook(once(burst))

    result = world.sync_orders({"max_attempts": 2, "page_size": 5})

    assert result.success
    assert step_keys(world, result.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY) == [
        "centra_orders"
    ]
    assert world.sandbox.faults.injected_by_name() == {"error": 2}
    assert orders_writes(world, result.run_id) == 3  # the first day twice, the second once
    assert_orders_complete(world)


def orders_writes(world: World, run_id: str) -> int:
    """Day writes of centra_raw.orders the run committed, as the audit ledger counts them."""
    warehouse = world.warehouse()
    try:
        return warehouse.fetch(
            "SELECT count(*) FROM audit.writes WHERE run_id = ? AND table_name = ?",
            [run_id, ORDER_TABLES[0].spec.qualified_name],
        )[0][0]
    finally:
        warehouse.close()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"token": "revoked-token"}, "the API token was not accepted"),
        ({"token": NO_ORDER_READ}, "lacks permission Order:read"),
        ({"client": {"page_size": 500}}, "outside Centra's range 1-200"),
    ],
    ids=["revoked token", "missing permission", "bad config"],
)
def test_a_permanent_error_fails_at_once_saying_what_to_fix(world, monkeypatch, setting, message):
    if "token" in setting:
        monkeypatch.setenv("CENTRA_API_TOKEN", setting["token"])

    result = world.sync_orders(setting.get("client"))

    assert not result.success
    assert step_keys(world, result.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    steps = errors_of(world, result.run_id, dg.DagsterEventType.STEP_FAILURE)
    # A bad setting stops the run while its resources start, before any step.
    setup = errors_of(world, result.run_id, dg.DagsterEventType.RESOURCE_INIT_FAILURE)
    assert steps + setup and all(message in error for error in steps + setup), steps + setup
    assert all(NOT_RETRIED in error for error in steps)


def errors_of(world: World, run_id: str, kind: dg.DagsterEventType) -> list[str]:
    entries = run_events(world.instance, run_id, kind)
    return [entry.dagster_event.event_specific_data.error.to_string() for entry in entries]


def test_a_retried_send_sends_only_what_failed(world, monkeypatch):
    """Stock for two warehouses, one setStock each: a 429 burst longer than the client's
    attempts hits the second; the step's retry sends that one only, and both levels land."""
    assert world.sync_orders().success  # the WMS flows read orders
    folder_url = f"file://{world.folder / 'wms'}"
    monkeypatch.setenv("CENTRA_WMS_FOLDER_URL", folder_url)
    levels = {key: physical + 7 for key, physical in first_sizes(world, (1, 2)).items()}
    wms = FileExchange(url=folder_url, create_missing_folders=True)
    drop_stock_file(wms, "stock.csv", levels)

    def throttle_the_next(operation, variables):
        if operation == "SetStockFromWms":
            world.sandbox.faults.throttle_next(count=2, retry_after_seconds=0)
            return True
        return False

    world.sandbox.add_request_hook(once(throttle_the_next))

    result = world.run("wms_sync", {"max_attempts": 2})

    assert result.success
    assert step_keys(world, result.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY) == [
        "wms__stock_sent_to_centra"
    ]
    assert world.sandbox.metrics()["operations"]["SetStockFromWms"] == 2
    sent = result.asset_materializations_for_node("wms__stock_sent_to_centra")
    assert [m.metadata["sent"].value for m in sent] == [1]
    assert {key: physical_in_centra(world, *key) for key in levels} == levels


def physical_in_centra(world: World, warehouse_id: int, sku: str) -> int:
    client = CentraClient(api_url=world.sandbox.url, api_token=world.sandbox.token)
    pages = client.iter_pages(
        WAREHOUSE_STOCK,
        items_path="warehouses.0.stock",
        variables={"warehouseId": warehouse_id},
        page_size=200,
        key=lambda item: item["productSize"]["id"],
    )
    levels = {
        item["productSize"]["SKU"]: item["physicalQuantity"] for page in pages for item in page
    }
    return levels[sku]


def first_sizes(world: World, warehouse_ids: tuple[int, ...]) -> dict[tuple[int, str], int]:
    """The physical level of the first size (by SKU) of each warehouse."""
    levels: dict[tuple[int, str], int] = {}
    for (warehouse_id, sku), physical in sorted(stock(world).items()):
        if warehouse_id in warehouse_ids and warehouse_id not in {key[0] for key in levels}:
            levels[warehouse_id, sku] = physical
    return levels


@pytest.mark.parametrize("point", [MID_WRITE, AFTER_COMMIT])
def test_a_run_killed_at_any_point_and_rerun_leaves_no_gap_and_no_duplicate(world, point):
    """Killed (SIGKILL) while it waits for a page with the day's write open and rows inserted,
    or right after the first day committed; the rerun of the same partitions completes it."""
    tags = range_tags(world.window())

    killed = kill_orders_run(world, point, tags)

    assert world.instance.get_run_by_id(killed).status == dg.DagsterRunStatus.STARTED
    assert order_days(world) == ([] if point == MID_WRITE else [WINDOW_START.isoformat()])
    # Run monitoring fails a run whose worker died; do what it does.
    world.instance.report_run_failed(world.instance.get_run_by_id(killed))
    rerun = world.run(ORDERS_JOB, tags=tags)
    assert rerun.success
    assert_orders_complete(world)


def kill_orders_run(world: World, point: str, tags: dict[str, str]) -> str:
    """Start the orders sync in a worker process, SIGKILL it at `point`; returns its run id."""
    reached, release = threading.Event(), threading.Event()

    def hold_second_page(operation, variables):
        if operation == "Orders" and variables.get("after") and not reached.is_set():
            reached.set()
            release.wait(60)

    if point == MID_WRITE:
        world.sandbox.add_request_hook(hold_second_page)
    worker = start_worker(point, tags, world.home, log=world.folder / "worker.log")
    try:
        if point == MID_WRITE:
            assert reached.wait(120), "the worker never asked for a second page"
        else:
            assert worker.stdout.readline().strip() == PAUSED, "the worker never paused"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        release.set()
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
        worker.stdout.close()

    [run] = world.instance.get_runs(filters=dg.RunsFilter(job_name=ORDERS_JOB))
    return run.run_id


def order_days(world: World) -> list[str]:
    warehouse = world.warehouse()
    try:
        rows = warehouse.fetch(
            "SELECT DISTINCT partition_date FROM centra_raw.orders ORDER BY 1"
            if warehouse.table_exists(ORDER_TABLES[0].spec)
            else "SELECT 1 WHERE FALSE"
        )
        return [day.isoformat() for (day,) in rows]
    finally:
        warehouse.close()


def stock(world: World) -> dict[tuple[int, str], int]:
    warehouse = world.warehouse()
    try:
        rows = warehouse.fetch("SELECT warehouse_id, sku, physical FROM centra_raw.stock")
        return {(warehouse_id, sku): physical for warehouse_id, sku, physical in rows}
    finally:
        warehouse.close()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (SqlUnavailable("could not connect to the ERP"), TransientFailure),
        (SqlStatementError("the ERP refused the row"), dg.Failure),
    ],
    ids=["erp_unreachable", "erp_refused"],
)
def test_an_erp_send_is_retried_only_when_the_erp_was_unreachable(error, expected):
    """The ERP flows keep the error with each failed change, so an outage reaches the policy."""
    batch = [Planned("c-1", Change("erp", "orders", "order:1", {}, "Centra order 1"), "pending")]

    def upsert(items):
        raise error

    result = SendResult(Outcome())
    outcome = planning._upsert_batch(dg.build_asset_context(), upsert, batch, result)

    with pytest.raises(dg.Failure) as raised:
        planning.raise_if_failed(SendResult(outcome), "orders")
    assert type(raised.value) is expected
    assert raised.value.allow_retries == (expected is TransientFailure)
