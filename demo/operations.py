"""`make demo-operations`: the production configuration, faults absorbed, one alert per failure.

1. Starts a PostgreSQL server and uses it as a deployment does: the Dagster instance from
   deploy/dagster-postgres.yaml unchanged, the warehouse, and the Centra rate budget that every
   process shares. Alerts go to a Slack-compatible endpoint on 127.0.0.1.
2. Runs the main job against the Centra sandbox, then again into a second warehouse database
   while the sandbox injects 429 storms, 5xx answers, slow answers, dropped connections and
   truncated bodies. Both warehouses must hold the same rows, and both must equal the sandbox.
3. Runs the stock sync with a token Centra refuses: it fails at once, without a retry, and three
   ticks of the failed-runs sensor post exactly one alert to the endpoint.

Exits 1 with a FAILED line for each mismatch.
"""

import argparse
import json
import os
import shutil
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import dagster as dg
import psycopg2

from centra_pipelines.centra.client import CentraClient
from centra_pipelines.centra.full_sync import (
    RUN_CONFIG,
    FullSyncError,
    FullSyncResult,
    run_full_sync,
)
from centra_pipelines.outbound.systems import SYSTEMS
from centra_pipelines.warehouse import DuckDBWarehouse
from centra_pipelines.warehouse.engines import PATH_VARIABLE, URL_VARIABLE
from centra_sandbox import FaultRates, start_sandbox
from demo.alert_endpoint import AlertEndpoint, serve_alert_endpoint
from demo.environment import DEMO_DIR, REPOSITORY, DemoData
from demo.verify import compare_counts, compare_order_totals
from sandbox_systems.postgres import PostgresServer, run_postgres

DEPLOY_INSTANCE = REPOSITORY / "deploy" / "dagster-postgres.yaml"
INSTANCE_DATABASE = "dagster"
CLEAN_WAREHOUSE = "warehouse"
FAULTS_WAREHOUSE = "warehouse_faults"
DATABASES = (INSTANCE_DATABASE, CLEAN_WAREHOUSE, FAULTS_WAREHOUSE)

DEFAULT_ORDERS = 300
DEFAULT_DAYS = 2

# Every kind at once, at rates that strike dozens of times in a sync of a few hundred requests
# but rarely the same request eight times in a row, which is when the client would give up and
# leave the step to Dagster's slower retry.
FAULTS = FaultRates(
    seed=5,
    storm=0.02,
    storm_length=3,
    error=0.08,
    slow=0.06,
    slow_seconds=1.5,
    drop=0.06,
    truncate=0.06,
    retry_after_seconds=1,
)
FAULT_KINDS = ("storm", "error", "slow", "drop", "truncate")

# The client of the faulty run: a read timeout below the slow answers' delay, so each slow answer
# is a timeout and a retry, and a backoff ceiling of a second, which keeps dozens of retries
# within the demo's minute (production's 60 s ceiling is for real outages).
FAULT_CLIENT = {"timeout_seconds": 1.0, "max_backoff_seconds": 1.0}

# Columns that record the sync itself, not Centra's data: the run that wrote a row and when, in
# every table, the ledger and the outbox. Every other column must be equal in both warehouses.
SYNC_COLUMNS = frozenset(
    {
        "_run_id",
        "_synced_at",
        "synced_at",  # finance.price_comparison: the compared price's _synced_at
        "write_id",
        "run_id",
        "written_at",
        "planned_run_id",
        "planned_at",
        "handled_run_id",
        "handled_at",
        "sent_run_id",
        "sent_at",
        "synced_run_id",
        "detected_run_id",
        "detected_at",
        "closed_run_id",
        "closed_at",
    }
)
TABLES_SQL = (
    "SELECT table_schema, table_name FROM information_schema.tables "
    "WHERE table_catalog = current_database() "
    "AND table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY ALL"
)
COLUMNS_SQL = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
    "ORDER BY ordinal_position"
)

FAILING_JOB = "centra_stock_sync"
REVOKED_TOKEN = "a-token-centra-revoked"
FAILED_RUNS_SENSOR = "alert_on_failed_runs"
TICKS = 3
NOT_RETRIED = "Dagster does not retry this step"


def main(argv: list[str] | None = None) -> int:
    arguments = _parse(argv)
    data = DemoData(seed=arguments.seed, orders=arguments.orders, window_days=arguments.days)
    folder = Path(arguments.folder)
    # Its own Dagster home, so the other demos' history is left as it was.
    shutil.rmtree(folder, ignore_errors=True)

    print(f"Generating the sandbox: {data.orders} orders over {data.window_days} days ...")
    with (
        serve_alert_endpoint() as endpoint,
        run_postgres() as postgres,
        start_sandbox(data.sandbox_config()) as sandbox,
    ):
        configure_production(folder, postgres, sandbox, endpoint)
        # Imported only now: the alert channels are read, and announced, when definitions load.
        from centra_pipelines.definitions import defs

        with dg.DagsterInstance.get() as instance:
            _print_instance(instance)
            try:
                problems = _main_job_under_faults(defs, instance, sandbox, data, postgres)
            except FullSyncError as error:
                problems = [f"the main job failed: {error}"]
            problems += one_alert_per_failed_run(defs, instance, sandbox, endpoint)

    return verdict(problems)


def configure_production(
    folder: Path, postgres: PostgresServer, sandbox, endpoint: AlertEndpoint
) -> None:
    """Environment as a deployment sets it: instance, warehouse, rate budget and alerts."""
    home = folder / "dagster_home"
    home.mkdir(parents=True)
    shutil.copyfile(DEPLOY_INSTANCE, home / "dagster.yaml")
    for database in DATABASES:
        postgres.create_database(database)

    settings = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": postgres.host,
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_USER": postgres.user,
        # The demo's server trusts loopback connections; the deploy file still reads a password.
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": INSTANCE_DATABASE,
        "CENTRA_API_URL": sandbox.url,
        "CENTRA_API_TOKEN": sandbox.token,
        URL_VARIABLE: postgres.url(CLEAN_WAREHOUSE),
        # Beside Dagster's tables, as docs/deployment.md advises: every process reaches them.
        "CENTRA_RATE_BUDGET_URL": postgres.url(INSTANCE_DATABASE),
        "CENTRA_ALERT_SLACK_WEBHOOK_URL": endpoint.url,
    }
    # A warehouse file, or a system beside Centra, set in the shell would change what is shown.
    for name in (PATH_VARIABLE, *(name for system in SYSTEMS for name in system.settings)):
        os.environ.pop(name, None)
    os.environ.update(settings)

    print("\n1. Production configuration")
    print(f"  PostgreSQL on {postgres.host}:{postgres.port}, started for the demo")
    print(f"  DAGSTER_HOME={home} (dagster.yaml is {DEPLOY_INSTANCE.relative_to(REPOSITORY)})")
    for name in ("DAGSTER_PG_DB", URL_VARIABLE, "CENTRA_RATE_BUDGET_URL"):
        print(f"  {name}={settings[name]}")
    print(f"  CENTRA_ALERT_SLACK_WEBHOOK_URL={endpoint.url} (a local Slack stand-in)")
    print(f"  CENTRA_API_URL={sandbox.url} (the Centra sandbox)")


def _print_instance(instance: dg.DagsterInstance) -> None:
    storages = (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
    names = ", ".join(type(storage).__name__ for storage in storages)
    print(f"  Dagster instance: {names} in database {INSTANCE_DATABASE}")
    print(f"  runs queued by the {type(instance.run_coordinator).__name__} for the daemon")


def _main_job_under_faults(defs, instance, sandbox, data: DemoData, postgres) -> list[str]:
    print("\n2. The main job, clean and then under injected faults")
    clean = _sync(defs, instance, data, postgres.url(CLEAN_WAREHOUSE))
    _print_cost("clean", clean, step_retries(instance, clean))

    before = sandbox.metrics()["requests"]
    sandbox.faults.apply(FAULTS)
    try:
        faulty_defs = with_centra_client(defs, **FAULT_CLIENT)
        faulty = _sync(faulty_defs, instance, data, postgres.url(FAULTS_WAREHOUSE))
    finally:
        sandbox.faults.clear()
    injected = sandbox.faults.injected_by_name()
    _print_faults(injected, sandbox.metrics()["requests"] - before)
    _print_cost("under faults", faulty, step_retries(instance, faulty))

    problems = _faults_met(injected, faulty)
    problems += _compare_warehouses(postgres)
    problems += _compare_with_sandbox(sandbox, postgres)
    problems += _rate_budget_shared(postgres)
    return problems


def _sync(defs, instance, data: DemoData, warehouse_url: str) -> FullSyncResult:
    os.environ[URL_VARIABLE] = warehouse_url
    return run_full_sync(defs, instance, start=data.window_start, days=data.window_days)


def with_centra_client(defs: dg.Definitions, **settings) -> dg.Definitions:
    """The same definitions with the Centra client's settings changed (nothing else)."""
    client = CentraClient(
        api_url=dg.EnvVar("CENTRA_API_URL"), api_token=dg.EnvVar("CENTRA_API_TOKEN"), **settings
    )
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources={**(defs.resources or {}), "centra": client},
        executor=defs.executor,
        loggers=defs.loggers,
    )


def step_retries(instance: dg.DagsterInstance, result: FullSyncResult) -> int:
    """Steps Dagster had to run again: faults the client could not absorb."""
    kind = dg.DagsterEventType.STEP_UP_FOR_RETRY
    return sum(len(instance.all_logs(run_id, of_type=kind)) for run_id in result.run_ids)


def _print_cost(label: str, result: FullSyncResult, retried_steps: int) -> None:
    print(f"  main job {label}: {len(result.run_ids)} Dagster runs in {result.seconds:.1f} s")
    print(
        f"    client: {result.api_requests} requests, {result.api_retries} retries, "
        f"{result.api_throttled} HTTP 429; steps retried by Dagster: {retried_steps}"
    )


def _print_faults(injected: dict[str, int], requests: int) -> None:
    counts = ", ".join(f"{kind} {injected.get(kind, 0)}" for kind in FAULT_KINDS)
    print(
        f"  faults injected by the sandbox: {counts} "
        f"({sum(injected.values())} in {requests} requests)"
    )


def _faults_met(injected: dict[str, int], faulty: FullSyncResult) -> list[str]:
    problems = []
    missing = [kind for kind in FAULT_KINDS if not injected.get(kind)]
    if missing:
        problems.append(f"the sandbox injected no {', '.join(missing)} fault; raise their rates")
    if faulty.api_retries == 0 or faulty.api_throttled == 0:
        problems.append("the client reported no retries or no 429 under faults")
    return problems


def _compare_warehouses(postgres: PostgresServer) -> list[str]:
    clean = warehouse_rows(postgres.url(CLEAN_WAREHOUSE))
    faulty = warehouse_rows(postgres.url(FAULTS_WAREHOUSE))
    differing = differing_tables(clean, faulty)
    rows = sum(len(table) for table in clean.values())
    print(
        f"  {len(clean)} tables, {rows} rows in the clean warehouse; tables that differ under "
        f"faults: {len(differing)}"
    )
    if differing:
        return [f"tables differ between the clean and the faulty run: {', '.join(differing)}"]
    return []


def warehouse_rows(url: str) -> dict[str, list[tuple]]:
    """Every table of a warehouse, rows sorted, without the columns that record the sync."""
    warehouse = DuckDBWarehouse(url=url)
    try:
        tables = warehouse.fetch(TABLES_SQL)
        return {f"{schema}.{name}": _rows(warehouse, schema, name) for schema, name in tables}
    finally:
        warehouse.close()


def _rows(warehouse: DuckDBWarehouse, schema: str, name: str) -> list[tuple]:
    columns = [column for (column,) in warehouse.fetch(COLUMNS_SQL, [schema, name])]
    kept = [column for column in columns if column not in SYNC_COLUMNS]
    # The ledger hashes each field of a record it audits, sync columns too, and the record as a
    # whole: compare the per-field hashes of the data, not the whole-record hash.
    if "field_hashes" in kept and "content_hash" in kept:
        kept.remove("content_hash")
    selected = ", ".join(f'"{column}"' for column in kept)
    rows = warehouse.fetch(f'SELECT {selected} FROM "{schema}"."{name}"')
    if "field_hashes" in kept:
        position = kept.index("field_hashes")
        rows = [_without_sync_hashes(row, position) for row in rows]
    return sorted((tuple(row) for row in rows), key=repr)


def _without_sync_hashes(row: tuple, position: int) -> tuple:
    hashes = json.loads(row[position] or "{}")
    kept = {field: digest for field, digest in hashes.items() if field not in SYNC_COLUMNS}
    return (*row[:position], json.dumps(kept, sort_keys=True), *row[position + 1 :])


def differing_tables(first: dict[str, list], second: dict[str, list]) -> list[str]:
    """Tables whose rows differ, or that only one of the two warehouses has."""
    return [
        name for name in sorted(first.keys() | second.keys()) if first.get(name) != second.get(name)
    ]


def _compare_with_sandbox(sandbox, postgres: PostgresServer) -> list[str]:
    stats = sandbox.stats()
    problems = []
    for database in (CLEAN_WAREHOUSE, FAULTS_WAREHOUSE):
        warehouse = DuckDBWarehouse(url=postgres.url(database))
        try:
            counts = compare_counts(warehouse, stats["counts"])
            totals = compare_order_totals(warehouse, stats["order_totals"])
        finally:
            warehouse.close()
        wrong = [comparison.name for comparison in counts + totals if not comparison.matches]
        print(
            f"  {database} vs the sandbox: {len(counts)} tables' records, {len(totals)} order "
            f"totals per market and currency; mismatches: {len(wrong)}"
        )
        if wrong:
            problems.append(f"{database} differs from the sandbox in {', '.join(wrong)}")
    return problems


def _rate_budget_shared(postgres: PostgresServer) -> list[str]:
    """The client paced itself by the budget in PostgreSQL, not by one of its own."""
    connection = psycopg2.connect(
        host=postgres.host, port=postgres.port, user=postgres.user, dbname=INSTANCE_DATABASE
    )
    with closing(connection), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM centra_rate_budget")
        buckets = cursor.fetchone()[0]
    print(f"  rate budget: {buckets} buckets in table centra_rate_budget of {INSTANCE_DATABASE}")
    return [] if buckets else ["the rate budget holds no bucket in PostgreSQL"]


def one_alert_per_failed_run(defs, instance, sandbox, endpoint: AlertEndpoint) -> list[str]:
    print(f"\n3. A failed run raises one alert: {FAILING_JOB} with a revoked token")
    sensor = SensorTicks(instance, defs, FAILED_RUNS_SENSOR)
    sensor.tick()  # a new sensor watches the failures from its first tick on

    os.environ["CENTRA_API_TOKEN"] = REVOKED_TOKEN
    try:
        result = defs.resolve_job_def(FAILING_JOB).execute_in_process(
            run_config=RUN_CONFIG, instance=instance, raise_on_error=False
        )
    finally:
        os.environ["CENTRA_API_TOKEN"] = sandbox.token
    problems = _failed_fast(instance, result)

    for number in range(1, TICKS + 1):
        summary = sensor.tick()
        print(f"  tick {number} of {FAILED_RUNS_SENSOR}: {summary}")
    problems += exactly_one_alert(endpoint, result.run_id)
    return problems


class SensorTicks:
    """Ticks one sensor in this process, keeping its cursor between ticks as the daemon does."""

    def __init__(self, instance: dg.DagsterInstance, defs: dg.Definitions, name: str) -> None:
        self.instance = instance
        self.defs = defs
        self.name = name
        self.cursor: str | None = None

    def tick(self) -> str:
        """One tick; returns the line it leaves in the sensor's tick history."""
        sensor = self.defs.resolve_sensor_def(self.name)
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, definitions=self.defs, sensor_name=self.name
        ) as context:
            result = sensor(context)
        self.cursor = result.cursor
        return result.skip_reason.skip_message if result.skip_reason else ""


def _failed_fast(instance: dg.DagsterInstance, result) -> list[str]:
    """The run failed at its first step, with the error's own advice and no retry."""
    if result.success:
        return [f"{FAILING_JOB} succeeded with a token Centra should refuse"]
    failures = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    retries = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
    if not failures:
        return [f"{FAILING_JOB} failed before any step; read run {result.run_id}'s event log"]
    event = failures[0].dagster_event
    data = event.step_failure_data
    # The project turns every error that is not transient into a dg.Failure with its advice.
    failure = data.user_failure_data
    description = failure.description if failure else data.error.message
    print(f"  run {result.run_id} failed at step {event.step_key}, retried {len(retries)} times:")
    print(textwrap.fill(description, width=96, initial_indent="    ", subsequent_indent="    "))
    if retries or NOT_RETRIED not in description:
        return [f"the refused token was retried ({len(retries)} retries) instead of failing fast"]
    return []


def exactly_one_alert(endpoint: AlertEndpoint, run_id: str) -> list[str]:
    alerts = endpoint.delivered
    print(f"  the Slack endpoint received {len(alerts)} alert(s):")
    for alert in alerts:
        for line in alert["text"].splitlines():
            print(textwrap.fill(line, width=96, initial_indent="    ", subsequent_indent="      "))
    if len(alerts) != 1:
        return [f"the endpoint received {len(alerts)} alerts for one failed run, expected 1"]
    if run_id not in alerts[0]["text"]:
        return [f"the alert does not name the failed run {run_id}"]
    return []


def verdict(problems: list[str]) -> int:
    if problems:
        print()
        for problem in problems:
            print(f"FAILED: {problem}")
        return 1
    print(
        "\nOK: on the production configuration the main job stored under faults the same rows "
        "as a clean run,\nboth equal to the sandbox, and a failed run raised exactly one alert."
    )
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = DemoData()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=defaults.seed, help="sandbox data seed")
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS, help="orders to generate")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of orders to sync")
    parser.add_argument(
        "--folder",
        default=str(DEMO_DIR / "operations"),
        help="where the demo keeps its Dagster home (emptied first)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
