"""Run the receiver: in a background thread (tests, tools) or as the `centra-webhooks` command."""

import argparse
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from centra_pipelines.webhooks.app import create_app
from centra_pipelines.webhooks.inbox import InboxConfigError, InboxUnavailable, WebhookInbox
from centra_pipelines.webhooks.settings import (
    ENV_INBOX_URL,
    ENV_MAX_BODY_BYTES,
    ENV_SECRET,
    ENV_TOLERANCE_SECONDS,
    HEALTH_PATH,
    ReceiverSettings,
    SettingsError,
)

logger = logging.getLogger(__name__)

# How long start_receiver waits for the server thread to accept connections.
STARTUP_TIMEOUT_SECONDS = 10.0

# In-flight deliveries get this long to finish when the receiver stops; they are either committed
# and answered, or unanswered and retried by Centra.
SHUTDOWN_GRACE_SECONDS = 5


@dataclass(frozen=True)
class RunningReceiver:
    """A receiver accepting deliveries at `url`, storing them in `inbox`."""

    url: str
    health_url: str
    host: str
    port: int
    inbox: WebhookInbox
    settings: ReceiverSettings


@contextmanager
def start_receiver(
    settings: ReceiverSettings, *, inbox: WebhookInbox | None = None
) -> Iterator[RunningReceiver]:
    """Serve the receiver in a background thread until the block exits.

    Args:
        settings: port 0 picks a free port; the yielded `url` carries the bound one.
        inbox: an inbox to store into; one opened on `settings.inbox_url` when omitted.

    Raises:
        InboxUnavailable: the inbox tables cannot be created.
        RuntimeError: the server did not start.
    """
    owned = inbox is None
    inbox = inbox or WebhookInbox(settings.inbox_url)
    sock = None
    try:
        inbox.prepare()
        sock = _bind(settings.host, settings.port)
        server = uvicorn.Server(_uvicorn_config(settings, inbox, access_log=False))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="centra-webhooks", daemon=True
        )
        thread.start()
        _wait_until_started(server, thread)
        try:
            yield _running(settings, inbox, sock)
        finally:
            server.should_exit = True
            thread.join(timeout=SHUTDOWN_GRACE_SECONDS + 5)
    finally:
        if sock is not None:
            sock.close()
        if owned:
            inbox.close()


def main(argv: Sequence[str] | None = None) -> int:
    """The `centra-webhooks` command: serve until SIGINT or SIGTERM, then exit with status 0."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    try:
        settings = ReceiverSettings.from_env(
            secret=args.secret,
            inbox_url=args.inbox_url,
            tolerance_seconds=args.tolerance_seconds,
            max_body_bytes=args.max_body_bytes,
            host=args.host,
            port=args.port,
        )
        inbox = WebhookInbox(settings.inbox_url)
        inbox.prepare()
        sock = _bind(settings.host, settings.port)
    except (SettingsError, InboxConfigError, InboxUnavailable, OSError) as error:
        print(f"centra-webhooks: {error}", file=sys.stderr)
        return 2

    server = uvicorn.Server(_uvicorn_config(settings, inbox, access_log=True))
    # uvicorn installs its own SIGINT/SIGTERM handlers while it serves. These cover the moments
    # before and after, and are what uvicorn re-raises a caught signal into when it stops, so the
    # command always ends with a clean shutdown and status 0.
    for handled in (signal.SIGINT, signal.SIGTERM):
        signal.signal(handled, lambda *_: setattr(server, "should_exit", True))

    running = _running(settings, inbox, sock)
    print(f"centra-webhooks listening on {running.url} (health: {running.health_url})", flush=True)
    print(f"centra-webhooks inbox: {inbox.display_url}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        inbox.close()
    print("centra-webhooks stopped", flush=True)
    return 0


def _uvicorn_config(
    settings: ReceiverSettings, inbox: WebhookInbox, *, access_log: bool
) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, inbox),
        # Logging stays as the host process configured it.
        log_config=None,
        access_log=access_log,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )


def _bind(host: str, port: int) -> socket.socket:
    # Binding here, not in uvicorn, tells us the port before serving starts (port 0 = free port).
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # Listening at once lets connections queue until uvicorn serves, instead of being refused.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _running(settings: ReceiverSettings, inbox: WebhookInbox, sock: socket.socket):
    host, port = sock.getsockname()[:2]
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return RunningReceiver(
        url=base + settings.path,
        health_url=base + HEALTH_PATH,
        host=host,
        port=port,
        inbox=inbox,
        settings=settings,
    )


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the webhook receiver stopped while starting; see the log above")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the webhook receiver did not start in {STARTUP_TIMEOUT_SECONDS} s")
        time.sleep(0.01)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="centra-webhooks",
        description="Receive Centra Webhook plugin deliveries and store them in the webhook inbox.",
    )
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on, 0 = any free (default 8070)")
    parser.add_argument(
        "--secret", help=f"endpoint secret; prefer {ENV_SECRET}, which other users cannot see"
    )
    parser.add_argument("--inbox-url", help=f"inbox database URL (env {ENV_INBOX_URL})")
    parser.add_argument(
        "--tolerance-seconds",
        type=int,
        help=f"accepted signature age either way (env {ENV_TOLERANCE_SECONDS}, default 300)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        help=f"largest accepted body (env {ENV_MAX_BODY_BYTES}, default 1048576)",
    )
    return parser
