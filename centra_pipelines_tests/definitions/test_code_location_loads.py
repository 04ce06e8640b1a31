"""Dagster's own loader must accept the code location the README and workspace.yaml point at.

Importing `defs` in a test is not enough: `dagster dev` and the CLI load the module and refuse it
when, for example, it holds more than one Definitions object at module scope.
"""

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_workspace_loads_with_dagsters_own_validation(tmp_path):
    dagster = Path(sys.executable).with_name("dagster")
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text((REPOSITORY / "dagster.yaml").read_text())

    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
