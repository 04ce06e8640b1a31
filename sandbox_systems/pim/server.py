"""Serve the PIM on a free loopback port in a background thread, for the demo and the tests."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sandbox_systems.pim.app import create_app
from sandbox_systems.pim.seed import seed_products
from sandbox_systems.pim.store import PimStore
from sandbox_systems.serving import HOST, serve


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
    with serve(create_app(store, token), "the PIM") as port:
        yield RunningPim(url=f"http://{HOST}:{port}/api/v1", token=token, store=store)
