"""A throwaway PostgreSQL server, started from the machine's PostgreSQL binaries.

The demo keeps the example ERP in it and the tests run their PostgreSQL cases on it.
`run_postgres()` initializes a cluster in a temporary directory, serves it on a free loopback port
and deletes it afterwards. PostgreSQL refuses to run as root, so under root the server runs as the
`postgres` user (`runuser -u postgres --`) in a directory that user owns.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

# The account PostgreSQL runs as when the tests run as root (Debian and Ubuntu packages create it).
SERVICE_USER = "postgres"

# Superuser created by initdb; trust authentication, so no password.
SUPERUSER = "postgres"

HOST = "127.0.0.1"

# A free port is picked just before the server binds it; another process may take it meanwhile.
START_ATTEMPTS = 3

COMMAND_TIMEOUT_SECONDS = 60

INITDB_OPTIONS = ("-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")

# Durability is pointless for a server deleted after the tests, and fsync makes them slower.
SERVER_SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
"""


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be started; the message says what is missing or what failed."""


@dataclass(frozen=True)
class PostgresServer:
    """A running server with trust authentication, reachable only on 127.0.0.1."""

    host: str
    port: int
    user: str
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing connections a test left open."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        connection = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres"
        )
        with closing(connection):
            # CREATE and DROP DATABASE cannot run inside a transaction.
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement)


@contextmanager
def run_postgres() -> Iterator[PostgresServer]:
    """Initialize a cluster in a temporary directory, serve it, then stop it and delete it."""
    bindir = postgres_bindir()
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="centra-test-postgres-"))
    data_dir = base / "data"
    started = False
    try:
        if as_root:
            _hand_over(base)
        _run(as_root, bindir / "initdb", "-D", data_dir, *INITDB_OPTIONS, cwd=base)
        with (data_dir / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_SETTINGS)

        port = _start(bindir, data_dir, base / "server.log", as_root)
        started = True
        yield PostgresServer(HOST, port, SUPERUSER, data_dir)
    finally:
        if started:
            _run(as_root, bindir / "pg_ctl", "-D", data_dir, "-m", "fast", "-w", "stop", cwd=base)
        shutil.rmtree(base, ignore_errors=True)


def postgres_bindir() -> Path:
    """Folder of initdb and pg_ctl: `pg_config --bindir`, else wherever PATH finds initdb."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        bindir = Path(found.stdout.strip())
        if found.returncode == 0 and (bindir / "initdb").exists():
            return bindir
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries: install PostgreSQL 15 (initdb, pg_ctl) or put its bin "
        "folder on PATH"
    )


def _hand_over(base: Path) -> None:
    try:
        shutil.chown(base, user=SERVICE_USER, group=None)
    except LookupError:
        raise PostgresUnavailable(
            f"running as root, and PostgreSQL refuses root: create a '{SERVICE_USER}' user for it"
        ) from None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root, but runuser is missing to drop privileges")


def _start(bindir: Path, data_dir: Path, log: Path, as_root: bool) -> int:
    pg_ctl = (bindir / "pg_ctl", "-D", data_dir, "-l", log, "-w", "-t", "30")
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        try:
            _run(as_root, *pg_ctl, "-o", f"-p {port}", "start", cwd=log.parent)
            return port
        except PostgresUnavailable:
            continue
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise PostgresUnavailable(f"PostgreSQL did not start in {START_ATTEMPTS} attempts:\n{tail}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _run(as_root: bool, *command, cwd: Path) -> None:
    argv = [str(part) for part in command]
    if as_root:
        argv = ["runuser", "-u", SERVICE_USER, "--", *argv]
    result = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"{Path(str(command[0])).name} exited with {result.returncode}: "
            f"{result.stderr.strip() or result.stdout.strip()}"
        )
