"""`make ui`: a live demo of webhooks reaching the warehouse, watched in the Dagster UI.

Three processes on 127.0.0.1, started in this order, each once the one before answers:
1. the webhook receiver (`centra-webhooks`, port 8070 or RECEIVER_PORT), storing into the demo's
   inbox;
2. the Centra sandbox (port 8090 or SANDBOX_PORT) with the demo's seed, so the data matches what
   `make demo` synced, and its Webhook plugin posting every change to the receiver;
3. the systems beside Centra, in this process: a PostgreSQL server with the example ERP, the WMS
   folder .demo/wms, the PIM and the help desk, seeded from the sandbox as at go-live (the
   warehouse's record of what was sent to them starts empty, as they do);
4. `dagster dev` (port 3000 or UI_PORT) on the demo's Dagster home and warehouse; its daemon ticks
   the sensors and schedules, so the `centra_webhooks` sensor turns stored webhooks into runs and
   each exchange schedule runs its system's job.

Ctrl-C (or SIGTERM) stops all three in reverse order; if one of them dies, the others are stopped
and the exit status is 1.
"""

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass

import requests

from demo.environment import (
    DEMO_DIR,
    INBOX_URL,
    RECEIVER_PORT,
    REPOSITORY,
    SANDBOX_PORT,
    SANDBOX_TOKEN,
    WAREHOUSE_PATH,
    WEBHOOK_SECRET,
    DemoData,
    export_environment,
    prepare_dagster_home,
    reset_exchange_state,
)
from sandbox_systems.go_live import start_neighbours
from sandbox_systems.postgres import run_postgres

DEFAULT_UI_PORT = 3000
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# The example order of the seeded sandbox (its first order number); it lies in the synced window.
HINT_ORDER_NUMBER = 39790

# How long a child may take to stop after SIGINT before it is killed.
STOP_TIMEOUT_SECONDS = 20.0
# dagster dev gives its webserver and daemon up to 60 s each; beyond that it is stuck.
DAGSTER_STOP_TIMEOUT_SECONDS = 150.0


@dataclass(frozen=True)
class Ports:
    receiver: int
    sandbox: int
    ui: int


@dataclass(frozen=True)
class Child:
    name: str
    process: subprocess.Popen
    stop_timeout: float


def main() -> int:
    ports = _ports()
    for variable, port in (
        ("RECEIVER_PORT", ports.receiver),
        ("SANDBOX_PORT", ports.sandbox),
        ("UI_PORT", ports.ui),
    ):
        _require_free_port(variable, port)

    prepare_dagster_home()
    export_environment(api_url=f"http://127.0.0.1:{ports.sandbox}/graphql", token=SANDBOX_TOKEN)
    _interrupt_on_termination()

    children: list[Child] = []
    with ExitStack() as neighbours:
        try:
            _start_all(children, ports, neighbours)
            _print_guide(ports)
            return _watch(children)
        except KeyboardInterrupt:
            return 0
        finally:
            _stop_all(children)


def _ports() -> Ports:
    return Ports(
        receiver=int(os.environ.get("RECEIVER_PORT", RECEIVER_PORT)),
        sandbox=int(os.environ.get("SANDBOX_PORT", SANDBOX_PORT)),
        ui=int(os.environ.get("UI_PORT", DEFAULT_UI_PORT)),
    )


def _require_free_port(variable: str, port: int) -> None:
    """A leftover process on the port would answer in place of ours, with other data or secrets."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(
                f"port {port} on 127.0.0.1 is already in use (a previous `make ui` still "
                f"running?); stop it, or choose another port with {variable}=<port> make ui"
            )


def _interrupt_on_termination() -> None:
    """SIGTERM and SIGHUP stop the demo as Ctrl-C does, so no child outlives it.

    Setting SIGINT explicitly matters when the demo is started in the background of a script:
    SIGINT is then inherited as ignored, and dagster dev, which maps SIGTERM onto its SIGINT
    handler, would ignore both. Python handlers are reset to the default in the children.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    # A second Ctrl-C must not cut the shutdown short and leave children running.
    _ignore_stop_signals()
    raise KeyboardInterrupt


def _ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _start_all(children: list[Child], ports: Ports, neighbours: ExitStack) -> None:
    """Start each process once the one it posts to or reads from answers."""
    receiver = f"http://127.0.0.1:{ports.receiver}"
    children.append(_spawn("webhook receiver", _receiver_command(ports)))
    _wait_until_ready(children[-1], f"{receiver}/health", "RECEIVER_PORT")

    sandbox = f"http://127.0.0.1:{ports.sandbox}"
    children.append(_spawn("sandbox", _sandbox_command(ports, f"{receiver}/centra/webhooks")))
    _wait_until_ready(children[-1], f"{sandbox}/sandbox/stats", "SANDBOX_PORT")
    _start_neighbours(f"{sandbox}/graphql", neighbours)

    children.append(
        _spawn("dagster dev", _dagster_command(ports), stop_timeout=DAGSTER_STOP_TIMEOUT_SECONDS)
    )
    _wait_until_ready(children[-1], f"http://127.0.0.1:{ports.ui}/server_info", "UI_PORT")


def _start_neighbours(centra_url: str, stack: ExitStack) -> None:
    """The ERP, WMS, PIM and help desk; dagster dev inherits the settings that reach them."""
    reset_exchange_state()
    postgres = stack.enter_context(run_postgres())
    started = stack.enter_context(
        start_neighbours(
            centra_url,
            SANDBOX_TOKEN,
            erp_url=postgres.create_database("erp"),
            wms_folder=DEMO_DIR / "wms",
        )
    )
    os.environ.update(started.environment)
    print(f"Systems beside Centra started; ERP on PostgreSQL port {postgres.port}", flush=True)


def _receiver_command(ports: Ports) -> list[str]:
    return [
        _tool("centra-webhooks"),
        "--port",
        str(ports.receiver),
        "--secret",
        WEBHOOK_SECRET,
        "--inbox-url",
        INBOX_URL,
    ]


def _sandbox_command(ports: Ports, webhook_url: str) -> list[str]:
    data = DemoData()
    return [
        _tool("centra-sandbox"),
        "--port",
        str(ports.sandbox),
        "--seed",
        str(data.seed),
        "--orders",
        str(data.orders),
        "--window-start",
        data.window_start.isoformat(),
        "--window-days",
        str(data.window_days),
        "--token",
        SANDBOX_TOKEN,
        "--webhook-url",
        webhook_url,
        "--webhook-secret",
        WEBHOOK_SECRET,
        # Centra's own maximum; a delivery refused while the receiver is busy is sent again.
        "--webhook-retries",
        "3",
    ]


def _dagster_command(ports: Ports) -> list[str]:
    return [_tool("dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(ports.ui)]


def _tool(name: str) -> str:
    return os.path.join(os.path.dirname(sys.executable), name)


def _spawn(name: str, command: list[str], stop_timeout: float = STOP_TIMEOUT_SECONDS) -> Child:
    # Each child gets its own process group, so a Ctrl-C in the terminal reaches only this
    # process, and every child receives exactly one stop signal, in reverse start order. A second
    # SIGINT in the middle of dagster dev's shutdown would abandon its webserver and daemon.
    process = subprocess.Popen(command, cwd=REPOSITORY, process_group=0)
    return Child(name=name, process=process, stop_timeout=stop_timeout)


def _wait_until_ready(child: Child, url: str, port_variable: str, timeout: float = 180) -> None:
    """Each process needs a few seconds (the sandbox generates its data, Dagster loads code)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise SystemExit(
                f"the {child.name} exited with code {child.process.returncode} while starting "
                f"(see its error above); if its port is taken, choose another with "
                f"{port_variable}=<port> make ui"
            )
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(url, timeout=2).ok:
                return
        time.sleep(0.5)

    raise SystemExit(f"the {child.name} did not answer on {url} within {timeout:.0f} s")


def _print_guide(ports: Ports) -> None:
    lines = [
        "",
        "Live demo on 127.0.0.1; Ctrl-C stops everything.",
        f"  Dagster UI        http://127.0.0.1:{ports.ui}  (sensors and schedules are running)",
        f"  Centra sandbox    http://127.0.0.1:{ports.sandbox}/graphql  (token {SANDBOX_TOKEN})",
        f"  Webhook receiver  http://127.0.0.1:{ports.receiver}/centra/webhooks"
        f"  (stored events: /health)",
        "  Exchanges         jobs wms_sync, erp_sync, pim_sync, support_sync (and *_dry_run)",
        "Change an order from another terminal; the sandbox posts a webhook, the receiver stores",
        "it, and within about 30 s the centra_webhooks sensor requests a run of its partition:",
        f"  {hint_command(ports.sandbox)}",
    ]
    if not WAREHOUSE_PATH.exists():
        lines.append(
            "No warehouse yet: `make demo` syncs the whole window; a webhook run, one day."
        )
    print("\n".join(lines) + "\n", flush=True)


def hint_command(sandbox_port: int) -> str:
    """A curl call that edits the example order's comment through the Integration API."""
    mutation = (
        f"mutation {{ updateDirectToConsumerOrder(order: {{number: {HINT_ORDER_NUMBER}}}, "
        'input: {otherComment: "changed in the sandbox"}) { order { otherComment } '
        "userErrors { message } } }"
    )
    body = json.dumps({"query": mutation})
    return shlex.join(
        [
            "curl",
            "-s",
            "-H",
            f"Authorization: Bearer {SANDBOX_TOKEN}",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
            f"http://127.0.0.1:{sandbox_port}/graphql",
        ]
    )


def _watch(children: list[Child]) -> int:
    """Return 1 as soon as any child exits: the demo is useless without all three."""
    while True:
        for child in children:
            if child.process.poll() is not None:
                print(
                    f"The {child.name} exited with code {child.process.returncode} (see its "
                    "output above); stopping the others.",
                    file=sys.stderr,
                    flush=True,
                )
                return 1
        time.sleep(1)


def _stop_all(children: list[Child]) -> None:
    """Stop in reverse start order: nothing calls the sandbox or posts webhooks once it is gone.

    Signals are ignored meanwhile, so that a half-stopped child is not abandoned; every wait below
    is bounded.
    """
    _ignore_stop_signals()
    if any(child.process.poll() is None for child in children):
        print("Stopping (dagster dev can take up to a minute) ...", flush=True)
    for child in reversed(children):
        _stop(child)


def _stop(child: Child) -> None:
    process = child.process
    if process.poll() is None:
        # SIGINT is dagster dev's Ctrl-C path; the sandbox and the receiver take either signal.
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=child.stop_timeout)
    except subprocess.TimeoutExpired:
        print(
            f"The {child.name} did not stop within {child.stop_timeout:.0f} s; killing it.",
            flush=True,
        )
        process.kill()
        process.wait()
    _end_leftovers(child)


def _end_leftovers(child: Child, grace_seconds: float = 10) -> None:
    """Give what the child left in its process group time to exit, then end it.

    dagster dev returns about a second before its code server has exited, and a run worker may
    still be writing. The group is the child's own, so nothing else is touched. SIGTERM comes
    before SIGKILL: a Dagster run worker then marks its run as failed instead of leaving it
    STARTED.
    """
    pgid = child.process.pid
    for signum in (None, signal.SIGTERM, signal.SIGKILL):
        if signum is not None:
            print(f"Ending processes the {child.name} left behind ({signum.name}).", flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signum)
        if _wait_for_group_exit(pgid, grace_seconds):
            return


def _wait_for_group_exit(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    sys.exit(main())
