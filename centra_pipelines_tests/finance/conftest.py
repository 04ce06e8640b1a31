"""The synced sandbox of the automation tests, reused for the finance tables."""

from centra_pipelines_tests.automation.conftest import synced, synced_state  # noqa: F401
