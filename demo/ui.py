"""`make ui`: the sandbox and the Dagster UI on the demo's Dagster home and warehouse.

The sandbox runs as its own process on 127.0.0.1:8090 with the demo's seed, so the data matches what
`make demo` synced. Both processes stop on Ctrl-C.
"""

import contextlib
import os
import subprocess
import sys
import time

import requests

from demo.environment import (
    REPOSITORY,
    SANDBOX_PORT,
    SANDBOX_TOKEN,
    DemoData,
    export_environment,
    prepare_dagster_home,
)

UI_PORT = 3000


def main() -> int:
    data = DemoData()
    prepare_dagster_home()
    api_url = f"http://127.0.0.1:{SANDBOX_PORT}/graphql"
    export_environment(api_url=api_url, token=SANDBOX_TOKEN)

    bin_dir = os.path.dirname(sys.executable)
    sandbox = subprocess.Popen(
        [
            os.path.join(bin_dir, "centra-sandbox"),
            "--port",
            str(SANDBOX_PORT),
            "--seed",
            str(data.seed),
            "--orders",
            str(data.orders),
            "--token",
            SANDBOX_TOKEN,
        ]
    )
    try:
        _wait_for_sandbox(api_url)
        print(f"Sandbox on {api_url}; Dagster UI on http://127.0.0.1:{UI_PORT}")
        dagster = os.path.join(bin_dir, "dagster")
        command = [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(UI_PORT)]
        return subprocess.call(command, cwd=REPOSITORY)
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def _wait_for_sandbox(api_url: str, timeout_seconds: float = 120) -> None:
    """Generation takes a few seconds; the UI is useless until the sandbox answers."""
    deadline = time.monotonic() + timeout_seconds
    stats_url = api_url.replace("/graphql", "/sandbox/stats")
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(stats_url, timeout=2).ok:
                return
        time.sleep(0.5)

    raise SystemExit(f"the sandbox did not answer on {stats_url} within {timeout_seconds} s")


if __name__ == "__main__":
    sys.exit(main())
