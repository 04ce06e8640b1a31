"""PostgreSQL fixtures for tests, on a server started from the machine's PostgreSQL binaries.

Register the fixtures in a conftest.py with
`from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401`.

`postgres_server` (session) runs one server in a temporary directory on a free loopback port;
`postgres_url` (per test) creates a fresh database on it and yields its `postgresql+psycopg2://`
URL. A machine without PostgreSQL fails these tests instead of skipping them: a skipped test
proves nothing in CI.
"""

import uuid
from collections.abc import Iterator

import pytest

from sandbox_systems.postgres import PostgresServer, run_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session."""
    with run_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """`postgresql+psycopg2://` URL of a database created for this test and dropped after it."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)
