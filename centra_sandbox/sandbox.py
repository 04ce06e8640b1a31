"""Public entry: start a generated sandbox on a loopback port, in-process."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from centra_sandbox.config import SandboxConfig
from centra_sandbox.events.feed import ChangeFeed
from centra_sandbox.server.app import RequestHook, SandboxApp
from centra_sandbox.server.faults import FaultInjector
from centra_sandbox.server.http import SandboxHTTPServer, serve_in_thread
from centra_sandbox.store.control import SandboxControl
from centra_sandbox.store.database import Database
from centra_sandbox.store.generator import generate
from centra_sandbox.store.stats import collect_stats
from centra_sandbox.webhooks.dispatcher import WebhookDispatcher

log = logging.getLogger(__name__)


@dataclass
class Sandbox:
    """A running sandbox: its URL and token, ground truth, controls and fault injection.

    `webhooks` is the Webhook plugin's dispatcher when `config.webhook` is set, else None.
    """

    config: SandboxConfig
    url: str
    token: str
    control: SandboxControl
    faults: FaultInjector
    app: SandboxApp
    webhooks: WebhookDispatcher | None = None

    def metrics(self) -> dict:
        return self.app.metrics.snapshot()

    def stats(self, *, day: date | None = None, market_id: int | None = None) -> dict:
        """Ground truth of the seeded window, or of one day and/or one market of it."""
        start, days = (day, 1) if day else (self.config.window_start, self.config.window_days)
        return collect_stats(self.app.db, start, days, market_id)

    def add_request_hook(self, hook: RequestHook) -> None:
        """`hook(operation_name, variables)` runs before each admitted request executes."""
        self.app.hooks.append(hook)

    def remove_request_hook(self, hook: RequestHook) -> None:
        self.app.hooks.remove(hook)


@contextmanager
def start_sandbox(config: SandboxConfig | None = None) -> Iterator[Sandbox]:
    """Generate the data, serve it on config.host:config.port (0 = free port), stop on exit."""
    config = config or SandboxConfig()
    db = Database(config.database_path)
    catalog = generate(db, config.seed, config.orders, config.window_start, config.window_days)
    changes = ChangeFeed(db)
    app = SandboxApp(config, db, changes)
    server = SandboxHTTPServer(
        (config.host, config.port),
        app,
        lambda: collect_stats(db, config.window_start, config.window_days),
    )
    thread = serve_in_thread(server)
    host, port = server.server_address[:2]
    control = SandboxControl(
        db,
        catalog,
        config.seed,
        config.orders,
        (config.window_start, config.window_days),
        changes=changes,
    )
    webhooks = _start_webhooks(config, db, changes, app)
    sandbox = Sandbox(
        config, f"http://{host}:{port}/graphql", config.token, control, app.faults, app, webhooks
    )
    log.info("Centra sandbox serving %s", sandbox.url)
    try:
        yield sandbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        if webhooks is not None:
            webhooks.close()
        db.close()


def _start_webhooks(
    config: SandboxConfig, db: Database, changes: ChangeFeed, app: SandboxApp
) -> WebhookDispatcher | None:
    if config.webhook is None:
        return None
    dispatcher = WebhookDispatcher(config.webhook, db, config.zone(), app.metrics)
    changes.subscribers.append(dispatcher.submit)
    log.info("webhook plugin posts %s changes to %s", config.webhook.mode, config.webhook.url)
    return dispatcher
