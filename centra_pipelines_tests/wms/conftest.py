"""The synced sandbox of the automation tests, reused for the WMS flows, and a WMS folder."""

import pytest

from centra_pipelines.connectors.files import FileExchange
from centra_pipelines_tests.automation.conftest import synced, synced_state  # noqa: F401


@pytest.fixture
def wms(synced, tmp_path):  # noqa: F811 (the fixture imported above)
    folder = FileExchange(url=f"file://{tmp_path / 'wms'}", create_missing_folders=True)
    resources = {
        "wms_files": folder,
        "centra": synced.client(),
        "warehouse": synced.warehouse,
    }
    return synced, folder, resources
