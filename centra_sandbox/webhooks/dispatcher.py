"""The Webhook plugin's sender (digest §9.1): a thread that POSTs recorded changes, signed.

Changes arrive from the change feed when their transaction commits and become payload entries
right there, under the store's lock, so a payload describes the state its change left (checkout
mode looks up display items then). Sending happens on the dispatcher's own thread, so a slow or
dead receiver never holds up a GraphQL request. A failed call is retried with doubling delays;
after the last failure the batch is dropped and the queue moves on, as in Centra.
"""

import http.client
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from centra_sandbox.errors import WebhookFlushTimeout
from centra_sandbox.events.feed import Change
from centra_sandbox.server.metrics import Metrics
from centra_sandbox.store.database import Database
from centra_sandbox.webhooks import payloads
from centra_sandbox.webhooks.settings import WebhookSettings

log = logging.getLogger(__name__)
USER_AGENT = "centra-sandbox-webhook"


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one batch: `status` is None when no HTTP answer came back."""

    attempt: int
    events: int
    status: int | None
    error: str | None
    delivered: bool
    payload: dict


class WebhookDispatcher:
    """Queues webhook entries of committed changes and sends them in batches on a thread.

    `enabled` (or `enable()` / `disable()`) switches the plugin at runtime: while it is off,
    changes are not queued at all, as with a deactivated plugin; what was queued still goes.
    """

    def __init__(
        self, settings: WebhookSettings, db: Database, zone: ZoneInfo, metrics: Metrics
    ) -> None:
        self.settings = settings
        self._db = db
        self._zone = zone
        self._metrics = metrics
        self._enabled = settings.enabled
        self._condition = threading.Condition()
        self._queue: deque[Any] = deque()
        self._in_flight = 0
        self._deliveries: list[Delivery] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="centra-sandbox-webhooks")
        self._thread.daemon = True
        self._thread.start()

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = bool(value)
        log.info("webhook to %s %s", self.settings.url, "enabled" if value else "disabled")

    def enable(self) -> None:
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False

    def submit(self, changes: list[Change]) -> None:
        """Feed subscriber: turn committed changes into entries and queue them; never blocks."""
        if not self._enabled:
            return
        try:
            entries = [entry for change in changes for entry in self._entries(change)]
        except Exception:
            # The writer's transaction is already committed; failing it now would lie.
            log.exception("webhook could not build entries for %d changes", len(changes))
            return
        if not entries:
            return
        with self._condition:
            self._queue.extend(entries)
            self._condition.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Block until every queued entry is delivered or dropped; raises on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WebhookFlushTimeout(
                        f"{len(self._queue) + self._in_flight} webhook entries to "
                        f"{self.settings.url} were still undelivered after {timeout} s; give "
                        "flush() more time or check that the receiver answers."
                    )
                self._condition.wait(remaining)

    def deliveries(self) -> list[Delivery]:
        """Every attempt so far, oldest first."""
        with self._condition:
            return list(self._deliveries)

    @property
    def running(self) -> bool:
        """True while the sender thread is alive, i.e. until close() has finished."""
        return self._thread.is_alive()

    def pending(self) -> int:
        """Entries queued or in flight."""
        with self._condition:
            return len(self._queue) + self._in_flight

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread; an unfinished call ends at its timeout, queued entries are dropped."""
        with self._condition:
            left = len(self._queue)
            self._stopping.set()
            self._condition.notify_all()
        self._thread.join(timeout)
        if left:
            log.warning(
                "webhook stopped with %d entries for %s never sent; flush() before stopping "
                "the sandbox to deliver them",
                left,
                self.settings.url,
            )
        if self._thread.is_alive():
            log.warning("webhook thread did not stop within %.1f s; it is a daemon", timeout)

    def _entries(self, change: Change) -> list[Any]:
        store_id = self.settings.store_id
        if self.settings.mode == "checkout":
            return payloads.checkout_entries(self._db, change, store_id)
        return payloads.integration_entries(change, self._zone, store_id)

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._deliver(batch)
            except Exception:
                log.exception("webhook lost a batch of %d entries to a sandbox bug", len(batch))
            finally:
                with self._condition:
                    self._in_flight = 0
                    self._condition.notify_all()

    def _next_batch(self) -> list[Any] | None:
        with self._condition:
            while not self._queue and not self._stopping.is_set():
                self._condition.wait()
            if self._stopping.is_set():
                return None
            batch = self._take(self.settings.max_events_per_call)
            self._in_flight = len(batch)
            return batch

    def _take(self, limit: int) -> list[Any]:
        """Up to `limit` entries; checkout ids count once, as the payload lists them once."""
        if self.settings.mode != "checkout":
            count = min(limit, len(self._queue))
            return [self._queue.popleft() for _ in range(count)]
        batch: dict[Any, None] = {}
        while self._queue and (len(batch) < limit or self._queue[0] in batch):
            batch[self._queue.popleft()] = None
        return list(batch)

    def _deliver(self, batch: list[Any]) -> None:
        payload = self._payload(batch)
        body = payloads.form_body(payload)
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            status, error = self._post(body)
            delivered = status is not None and 200 <= status < 300
            self._record(Delivery(attempt, len(batch), status, error, delivered, payload))
            if delivered:
                self._metrics.add("webhook_batches_delivered")
                self._metrics.add("webhook_events_delivered", len(batch))
                return
            if attempt == attempts:
                break
            delay = self.settings.retry_delay(attempt)
            log.info(
                "webhook call %d of %d to %s failed (%s); retrying in %.2f s",
                attempt,
                attempts,
                self.settings.url,
                error or f"HTTP {status}",
                delay,
            )
            if self._stopping.wait(delay):
                break
        self._drop(batch, attempt, error or f"HTTP {status}")

    def _payload(self, batch: list[Any]) -> dict:
        if self.settings.mode == "checkout":
            return payloads.checkout_payload(batch)
        return payloads.integration_payload(batch)

    def _post(self, body: str) -> tuple[int | None, str | None]:
        """One POST; (status, None) when the receiver answered, (None, reason) when not."""
        parts = urlsplit(self.settings.url)
        factory = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = factory(parts.hostname, parts.port, timeout=self.settings.timeout_seconds)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
        if self.settings.secret:
            headers["X-Centra-Signature"] = payloads.signature(
                self.settings.secret, int(time.time()), body
            )
        try:
            connection.request("POST", path, body=body.encode("ascii"), headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, None
        except (OSError, http.client.HTTPException) as error:
            return None, f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    def _record(self, delivery: Delivery) -> None:
        with self._condition:
            self._deliveries.append(delivery)

    def _drop(self, batch: list[Any], attempts: int, reason: str) -> None:
        self._metrics.add("webhook_batches_dropped")
        self._metrics.add("webhook_events_dropped", len(batch))
        log.warning(
            "webhook dropped %d entries after %d failed calls to %s (last: %s); the receiver "
            "missed these changes, so it needs a full resync",
            len(batch),
            attempts,
            self.settings.url,
            reason,
        )
