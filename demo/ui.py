"""`make ui`: the sandbox and the Dagster UI on the demo's Dagster home and warehouse.

The sandbox runs as its own process on 127.0.0.1 (port 8090, or SANDBOX_PORT) with the demo's seed,
so the data matches what `make demo` synced; the UI listens on port 3000, or UI_PORT. Both
processes stop on Ctrl-C.
"""

import contextlib
import os
import socket
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

DEFAULT_UI_PORT = 3000


def main() -> int:
    data = DemoData()
    sandbox_port = int(os.environ.get("SANDBOX_PORT", SANDBOX_PORT))
    ui_port = int(os.environ.get("UI_PORT", DEFAULT_UI_PORT))
    for name, port in (("SANDBOX_PORT", sandbox_port), ("UI_PORT", ui_port)):
        _require_free_port(name, port)

    prepare_dagster_home()
    api_url = f"http://127.0.0.1:{sandbox_port}/graphql"
    export_environment(api_url=api_url, token=SANDBOX_TOKEN)

    bin_dir = os.path.dirname(sys.executable)
    sandbox = subprocess.Popen(
        [
            os.path.join(bin_dir, "centra-sandbox"),
            "--port",
            str(sandbox_port),
            "--seed",
            str(data.seed),
            "--orders",
            str(data.orders),
            "--token",
            SANDBOX_TOKEN,
        ]
    )
    try:
        _wait_for_sandbox(sandbox, api_url)
        print(f"Sandbox on {api_url}; Dagster UI on http://127.0.0.1:{ui_port}")
        dagster = os.path.join(bin_dir, "dagster")
        command = [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(ui_port)]
        return subprocess.call(command, cwd=REPOSITORY)
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def _require_free_port(name: str, port: int) -> None:
    """A leftover sandbox on the port would answer in place of ours, with other data or token."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(
                f"port {port} on 127.0.0.1 is already in use (a sandbox or UI still running?); "
                f"stop it, or choose another port with {name}=<port> make ui"
            )


def _wait_for_sandbox(
    sandbox: subprocess.Popen, api_url: str, timeout_seconds: float = 120
) -> None:
    """Generation takes a few seconds; the UI is useless until the sandbox answers."""
    deadline = time.monotonic() + timeout_seconds
    stats_url = api_url.replace("/graphql", "/sandbox/stats")
    while time.monotonic() < deadline:
        if sandbox.poll() is not None:
            raise SystemExit(
                f"the sandbox exited with code {sandbox.returncode} (see its error above); if "
                "the port is taken, choose another with SANDBOX_PORT=<port> make ui"
            )
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(stats_url, timeout=2).ok:
                return
        time.sleep(0.5)

    raise SystemExit(f"the sandbox did not answer on {stats_url} within {timeout_seconds} s")


if __name__ == "__main__":
    sys.exit(main())
