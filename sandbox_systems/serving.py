"""Serve a sandbox system's ASGI app on a free loopback port in a background thread."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_GRACE_SECONDS = 2


@contextmanager
def serve(app: Any, what: str) -> Iterator[int]:
    """Serve `app` until the block exits; yields the port. `what` names it in errors ("the PIM")."""
    sock = _bind()
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox {what}", daemon=True
    )
    thread.start()
    try:
        _wait_until_started(server, thread, what)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_GRACE_SECONDS + 5)
        sock.close()


def _bind() -> socket.socket:
    # Bound here, so the port is known before uvicorn serves (port 0 = any free port).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(128)
    return sock


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"{what} stopped while starting; see the log above")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"{what} did not start within {STARTUP_TIMEOUT_SECONDS} s")
        time.sleep(0.01)
