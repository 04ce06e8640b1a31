"""A bad mapping file stops the definitions from loading, naming its file, line and reason."""

import os
import shutil
import subprocess
import sys

from centra_pipelines.mapping import MAPPINGS_FOLDER


def load_definitions(mappings) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CENTRA_MAPPINGS_DIR": str(mappings)}
    return subprocess.run(
        [sys.executable, "-c", "import centra_pipelines.definitions"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_definitions_load_with_a_copy_of_the_mappings(tmp_path):
    shutil.copytree(MAPPINGS_FOLDER, tmp_path / "mappings")

    assert load_definitions(tmp_path / "mappings").returncode == 0


def test_a_broken_mapping_file_stops_the_definitions(tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_FOLDER, folder)
    orders = folder / "erp" / "orders.yaml"
    text = orders.read_text().replace("    type: decimal\n", "    type: money\n", 1)
    orders.write_text(text)
    line = text.splitlines().index("    type: money") + 1

    loaded = load_definitions(folder)

    assert loaded.returncode != 0
    assert f"{orders}:{line}: fields.7.type" in loaded.stderr  # grand_total
