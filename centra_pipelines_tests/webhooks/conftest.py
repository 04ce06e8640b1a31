"""Fixtures of the webhook receiver tests; PostgreSQL comes from the shared server module."""

from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401
