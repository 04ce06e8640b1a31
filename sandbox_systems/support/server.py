"""Serve the help desk on a free loopback port in a background thread."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sandbox_systems.serving import HOST, serve
from sandbox_systems.support.app import TICKETS_PATH, create_app
from sandbox_systems.support.desk import HelpDesk

DEFAULT_TOKEN = "support-token"


@dataclass(frozen=True)
class RunningSupport:
    """A help desk serving at `url`; `desk` adds and changes tickets between runs."""

    url: str
    token: str
    username: str | None
    password: str | None
    desk: HelpDesk
    tickets_path: str = TICKETS_PATH

    def environment(self) -> dict[str, str]:
        """The variables the pipeline's support resource reads."""
        return {"CENTRA_SUPPORT_URL": self.url, "CENTRA_SUPPORT_TOKEN": self.token}


@contextmanager
def start_support(
    orders: list[dict],
    customers: list[dict],
    *,
    seed: int = 7,
    token: str = DEFAULT_TOKEN,
    username: str | None = None,
    password: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[RunningSupport]:
    """Seed a help desk from Centra's orders and customers and serve it until the block exits.

    Args:
        orders: dicts with `number` and, when known, the customer's `email` (or
            `customer_email`); about a third get a ticket about the order.
        customers: dicts with `email`; about a fifth get a ticket about their account.
        seed: the same seed, orders, customers and clock give the same tickets.
        token: the bearer token the desk accepts.
        username: with `password`, basic credentials the desk also accepts.
        clock: the desk's time (UTC-aware); the wall clock when omitted.
    """
    desk = HelpDesk(clock)
    desk.seed(orders, customers, seed=seed)
    app = create_app(desk, token=token, username=username, password=password)
    with serve(app, "the help desk") as port:
        yield RunningSupport(f"http://{HOST}:{port}", token, username, password, desk)
