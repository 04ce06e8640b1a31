"""Serve the PIM on a free loopback port in a background thread, for the demo and the tests."""

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from sandbox_systems.pim.app import create_app
from sandbox_systems.pim.seed import seed_products
from sandbox_systems.pim.store import PimStore

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_GRACE_SECONDS = 2


@dataclass(frozen=True)
class RunningPim:
    """A PIM serving `url` (the API root, e.g. http://127.0.0.1:5123/api/v1) to `token`.

    `store` is the PIM's data: tests and the demo edit products and inject faults through it
    (or over HTTP, see sandbox_systems/pim/app.py).
    """

    url: str
    token: str
    store: PimStore

    def edit(self, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a product as an editor would; it gets a new updated_at."""
        return self.store.edit(identifier, changes)

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        """Create a product (for example one Centra does not have)."""
        return self.store.add(record)

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next listing requests with an error status."""
        self.store.fail_next(status, times=times, retry_after=retry_after)


@contextmanager
def start_pim(
    products: list[dict[str, Any]],
    *,
    mapped_attributes: dict[str, list[str]] | None = None,
    token: str | None = None,
    seed: int = 7,
) -> Iterator[RunningPim]:
    """Seed a PIM with enriched content for `products` and serve it until the block exits.

    Args:
        products: the catalogue, as `centra_products()` reads it from Centra (product number,
            name, language codes, and optionally status, hs_code and weight_kg).
        mapped_attributes: Centra's mapped attribute names by type, as
            `centra_mapped_attributes()` reads them; without it no mapped attribute is seeded.
        token: the bearer token callers must present; a random one when omitted.
        seed: varies the generated texts; the same seed gives the same content.
    """
    store = PimStore(seed_products(products, mapped_attributes=mapped_attributes, seed=seed))
    token = token or secrets.token_urlsafe(24)
    sock = _bind()
    config = uvicorn.Config(
        create_app(store, token),
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sandbox-pim", daemon=True
    )
    thread.start()
    try:
        _wait_until_started(server, thread)
        port = sock.getsockname()[1]
        yield RunningPim(url=f"http://{HOST}:{port}/api/v1", token=token, store=store)
    finally:
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_GRACE_SECONDS + 5)
        sock.close()


def _bind() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(128)
    return sock


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the PIM stopped while starting; see the log above")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the PIM did not start within {STARTUP_TIMEOUT_SECONDS} s")
        time.sleep(0.01)
