"""Helpers of the PostgreSQL instance test: the deploy file as a Dagster home, the processes of a
deployment (code server, daemon), run submission through the CLI, and reading the instance back.

Every process is started on loopback by the test and stopped by it, by its own handle.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

import dagster as dg
import psycopg2
import yaml

from centra_pipelines.config.sync import DEFAULT_PATH as SYNC_CONFIG
from sandbox_systems.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_INSTANCE = ROOT / "deploy" / "dagster-postgres.yaml"
POOL_LIMITS = ROOT / "deploy" / "pool-limits.sh"

LOCATION = "centra_pipelines"
BIN = Path(sys.executable).parent

# Starting a code server imports the whole project; a slow CI machine needs more than a laptop.
CODE_SERVER_START_SECONDS = 90
STOP_SECONDS = 30

# The one sensor left running in the daemon: it ticks without work, so its state lands in the
# instance's schedule storage without requesting runs that would disturb the test.
TICKING_SENSOR = "centra_webhooks"
TICK_SECONDS = 5


def instance_environment(server: PostgresServer, database: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables the deploy file reads, for a database on the test's server."""
    return {
        "DAGSTER_PG_HOST": server.host,
        "DAGSTER_PG_PORT": str(server.port),
        "DAGSTER_PG_USER": server.user,
        # The test server trusts loopback connections; the deploy file still asks for a password.
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": database,
    }


def dagster_home(folder: Path) -> Path:
    """A Dagster home whose dagster.yaml is the deploy file, unchanged."""
    home = folder / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DEPLOY_INSTANCE.read_text())
    return home


def quiet_sync_config(folder: Path) -> Path:
    """The project's sync.yaml with every schedule and sensor stopped but one idle sensor.

    The daemon runs whatever is running by default; only the test's own runs may touch the
    sandbox and the warehouse while it measures them.
    """
    config = yaml.safe_load(SYNC_CONFIG.read_text())
    for section in (config["schedules"], config.get("outbound", {}), config["sensors"]):
        for settings in section.values():
            settings["enabled"] = False
    config["sensors"]["webhooks"].update(enabled=True, interval_seconds=TICK_SECONDS)

    path = folder / "sync.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workspace_file(folder: Path, port: int) -> Path:
    """A workspace that loads the project from the code server, as the Helm chart's does."""
    path = folder / "workspace.yaml"
    server = {"host": "127.0.0.1", "port": port, "location_name": LOCATION}
    path.write_text(yaml.safe_dump({"load_from": [{"grpc_server": server}]}))
    return path


@contextmanager
def code_server(port: int, log: Path) -> Iterator[subprocess.Popen]:
    """`dagster api grpc` serving the project on a loopback port; run workers start from it.

    It is yielded while it still imports the project, so that the caller can work meanwhile;
    `wait_for_port` says when it serves.
    """
    command = [
        str(BIN / "dagster"),
        *("api", "grpc", "-m", "centra_pipelines.definitions", "--location-name", LOCATION),
        *("-h", "127.0.0.1", "-p", str(port)),
    ]
    with started(command, log) as process:
        yield process


@contextmanager
def daemon(workspace: Path, log: Path) -> Iterator[subprocess.Popen]:
    """The real `dagster-daemon`: run queue, sensors, schedules and run monitoring."""
    with started([str(BIN / "dagster-daemon"), "run", "-w", str(workspace)], log) as process:
        yield process


@contextmanager
def started(command: Sequence[str], log: Path) -> Iterator[subprocess.Popen]:
    """A child process with the test's environment, stopped by its own handle at the end."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_SECONDS)


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + CODE_SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the code server exited:\n{log.read_text()[-3000:]}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"the code server did not listen in time:\n{log.read_text()[-3000:]}")


def set_pool_limits(log: Path) -> None:
    """Run deploy/pool-limits.sh against the instance of DAGSTER_HOME, as an operator would."""
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        ["sh", str(POOL_LIMITS)], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stderr


def submit_backfill(
    workspace: Path, job_name: str, partition_keys: Sequence[str], log: Path
) -> str:
    """Queue one run per partition with `dagster job backfill`, as an operator would.

    The CLI submits the runs through the instance's run coordinator, so they wait in the queue
    for the daemon. Returns the backfill's id, which tags its runs.
    """
    command = [
        str(BIN / "dagster"),
        *("job", "backfill", "-w", str(workspace), "-j", job_name, "--noprompt"),
        *("--partitions", ",".join(partition_keys)),
    ]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=CODE_SERVER_START_SECONDS
    )
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr

    found = re.search(r"Launched backfill job `(?P<id>[^`]+)`", result.stdout)
    assert found, result.stdout
    return found["id"]


def wait_for_runs(
    instance: dg.DagsterInstance, run_ids: Sequence[str], timeout: float
) -> list[dg.DagsterRun]:
    """The runs once none is queued or in progress any more."""
    deadline = time.monotonic() + timeout
    while True:
        runs = instance.get_runs(filters=dg.RunsFilter(run_ids=list(run_ids)))
        if len(runs) == len(run_ids) and all(run.is_finished for run in runs):
            return runs
        if time.monotonic() > deadline:
            states = {run.run_id: run.status.value for run in runs}
            raise AssertionError(f"runs still unfinished after {timeout} s: {states}")
        time.sleep(0.5)


def most_at_once(intervals: Sequence[tuple[float, float]]) -> int:
    """The largest number of (start, end) intervals that were open at the same moment."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most


def run_intervals(instance: dg.DagsterInstance, run_ids: Sequence[str]) -> list[tuple]:
    """When each run started and ended, as the instance recorded it."""
    records = instance.get_run_records(filters=dg.RunsFilter(run_ids=list(run_ids)))
    return [(record.start_time, record.end_time) for record in records]


def table_counts(database_url: str, tables: Sequence[str]) -> Mapping[str, int]:
    """Rows of some tables, read straight from PostgreSQL (the names are the test's own)."""
    return {table: _query(database_url, f"SELECT count(*) FROM {table}")[0][0] for table in tables}


def sensor_ticks(database_url: str, sensor_name: str) -> int:
    """Ticks of a sensor in the schedule storage's table."""
    rows = _query(
        database_url, "SELECT count(*) FROM job_ticks WHERE tick_body LIKE %s", f'%"{sensor_name}"%'
    )
    return rows[0][0]


def stored_run_ids(database_url: str) -> set[str]:
    return {run_id for (run_id,) in _query(database_url, "SELECT run_id FROM runs")}


def _query(database_url: str, sql: str, *parameters: object) -> list[tuple]:
    url = database_url.replace("postgresql+psycopg2://", "postgresql://")
    with closing(psycopg2.connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()
