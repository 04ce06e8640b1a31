"""Settings of the emulated Webhook plugin (digest §9.1)."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from centra_sandbox.errors import SandboxConfigError

WEBHOOK_MODES = ("integration", "checkout")
MAX_RETRIES = 3


@dataclass(frozen=True)
class WebhookSettings:
    """One plugin instance: where changes are POSTed, how they are signed, batched and retried.

    `mode` is "integration" (Integration API payloads: orders, shipments, returns, customers) or
    "checkout" (Checkout API payloads: display items and warehouses). `retries` (0-3) are extra
    attempts after a failed call; retry n waits `retry_delay_seconds * 2 ** (n - 1)`, so the
    delays grow 1 s, 2 s, 4 s by default and tests make them tiny. `store_id` is the plugin's
    store: checkout payloads name display items of that store only, and changes of other stores
    are not sent. Centra allows only ports 80 and 443; the sandbox accepts any port, because
    test receivers run on free loopback ports.
    """

    url: str
    secret: str | None = None
    mode: str = "integration"
    max_events_per_call: int = 100
    timeout_seconds: float = 5.0
    retries: int = 0
    retry_delay_seconds: float = 1.0
    enabled: bool = True
    store_id: int = 1

    def __post_init__(self) -> None:
        self._check_url()
        if self.mode not in WEBHOOK_MODES:
            raise SandboxConfigError(
                f"webhook mode must be one of {', '.join(WEBHOOK_MODES)}; got {self.mode!r}."
            )
        if self.max_events_per_call < 1:
            raise SandboxConfigError(
                f"webhook max_events_per_call must be at least 1; got {self.max_events_per_call}."
            )
        if self.timeout_seconds <= 0:
            raise SandboxConfigError(
                f"webhook timeout_seconds must be positive; got {self.timeout_seconds}."
            )
        if not 0 <= self.retries <= MAX_RETRIES:
            raise SandboxConfigError(
                f"webhook retries must be 0 to {MAX_RETRIES}, as in Centra; got {self.retries}."
            )
        if self.retry_delay_seconds < 0:
            raise SandboxConfigError(
                f"webhook retry_delay_seconds must be 0 or more; got {self.retry_delay_seconds}."
            )

    def retry_delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1-based); each wait doubles the last."""
        return self.retry_delay_seconds * 2 ** (retry - 1)

    def _check_url(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SandboxConfigError(
                f"webhook url must be an http(s) URL with a host, like "
                f"'http://127.0.0.1:8099/centra'; got {self.url!r}."
            )
