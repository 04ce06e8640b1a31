"""Configuration of one sandbox instance: data, plan, tokens, Retry-After, webhook, faults."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from centra_sandbox.errors import SandboxConfigError
from centra_sandbox.graphql.permissions import ALL_PERMISSIONS
from centra_sandbox.server.faults import FaultRates
from centra_sandbox.webhooks.settings import WebhookSettings

RETRY_AFTER_FORMATS = ("seconds", "http-date", "epoch")
BUCKET_TYPES = ("REQUEST_COUNT", "QUERY_COMPLEXITY", "MUTATION_COUNT")
INTERVALS = {"TEN_SECONDS": 10, "ONE_HOUR": 3600}

# Quotas per (type, interval); digest §2.2. `standard` and `fresh_instance` are the older figures.
PLANS: dict[str, dict[str, dict[str, int]]] = {
    "growth": {
        "REQUEST_COUNT": {"TEN_SECONDS": 60, "ONE_HOUR": 5_000},
        "MUTATION_COUNT": {"TEN_SECONDS": 20, "ONE_HOUR": 1_800},
        "QUERY_COMPLEXITY": {"TEN_SECONDS": 250_000, "ONE_HOUR": 30_000_000},
    },
    "enhanced": {
        "REQUEST_COUNT": {"TEN_SECONDS": 150, "ONE_HOUR": 20_000},
        "MUTATION_COUNT": {"TEN_SECONDS": 50, "ONE_HOUR": 4_500},
        "QUERY_COMPLEXITY": {"TEN_SECONDS": 900_000, "ONE_HOUR": 90_000_000},
    },
    "high_volume": {
        "REQUEST_COUNT": {"TEN_SECONDS": 450, "ONE_HOUR": 40_000},
        "MUTATION_COUNT": {"TEN_SECONDS": 150, "ONE_HOUR": 7_000},
        "QUERY_COMPLEXITY": {"TEN_SECONDS": 1_800_000, "ONE_HOUR": 180_000_000},
    },
    "enterprise": {
        "REQUEST_COUNT": {"TEN_SECONDS": 1_500, "ONE_HOUR": 85_000},
        "MUTATION_COUNT": {"TEN_SECONDS": 500, "ONE_HOUR": 25_000},
        "QUERY_COMPLEXITY": {"TEN_SECONDS": 4_000_000, "ONE_HOUR": 400_000_000},
    },
    "standard": {
        "REQUEST_COUNT": {"TEN_SECONDS": 40, "ONE_HOUR": 3_600},
        "MUTATION_COUNT": {"TEN_SECONDS": 20, "ONE_HOUR": 1_800},
        "QUERY_COMPLEXITY": {"TEN_SECONDS": 150_000, "ONE_HOUR": 20_000_000},
    },
    "fresh_instance": {
        "REQUEST_COUNT": {"TEN_SECONDS": 20, "ONE_HOUR": 10_000},
        "MUTATION_COUNT": {"TEN_SECONDS": 100, "ONE_HOUR": 1_000},
        "QUERY_COMPLEXITY": {"TEN_SECONDS": 150_000, "ONE_HOUR": 20_000_000},
    },
}


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes one sandbox; the defaults give the small demo data set.

    `plan` is a plan name from PLANS or a mapping of custom quotas in the same shape (missing
    entries fall back to Growth). `tokens` adds tokens with their own permission lists.
    `integration_name` owns the main token; `token_integrations` maps tokens of `tokens` to
    other integration names (unlisted ones belong to `integration_name`), since the event queue
    is per integration name (digest §8). `webhook` switches the Webhook plugin on (digest §9).
    `faults` injects seeded random faults into requests from the start (FaultRates).
    """

    seed: int = 42
    orders: int = 1500
    window_start: date = date(2026, 11, 1)
    window_days: int = 14
    plan: str | Mapping[str, Mapping[str, int]] = "growth"
    retry_after_format: str = "seconds"
    token: str = "sandbox-token"
    tokens: Mapping[str, Iterable[str]] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    database_path: str | None = None
    timezone: str = "Europe/Stockholm"
    app_version: str = "v1.1.1-sandbox"
    integration_name: str = "centra-pipelines"
    token_integrations: Mapping[str, str] = field(default_factory=dict)
    webhook: WebhookSettings | None = None
    faults: FaultRates | None = None

    def __post_init__(self) -> None:
        if self.retry_after_format not in RETRY_AFTER_FORMATS:
            raise SandboxConfigError(
                f"retry_after_format must be one of {', '.join(RETRY_AFTER_FORMATS)}; "
                f"got {self.retry_after_format!r}."
            )
        if self.orders < 1:
            raise SandboxConfigError(f"orders must be at least 1; got {self.orders}.")
        if self.window_days < 1:
            raise SandboxConfigError(f"window_days must be at least 1; got {self.window_days}.")
        if isinstance(self.plan, str) and self.plan not in PLANS:
            raise SandboxConfigError(
                f"plan must be one of {', '.join(PLANS)} or a dict of quotas; got {self.plan!r}."
            )
        if self.faults is not None and not isinstance(self.faults, FaultRates):
            raise SandboxConfigError(
                f"faults must be a FaultRates (centra_sandbox.FaultRates); got {self.faults!r}."
            )
        self.zone()
        self.quotas()
        self._check_database_path()
        self._check_integrations()

    def _check_database_path(self) -> None:
        # The store is generated afresh at every start; reusing a file would mix two data sets.
        if self.database_path is None:
            return
        path = Path(self.database_path)
        if path.exists():
            raise SandboxConfigError(
                f"database file {path} already exists; the sandbox generates its data anew on "
                "every start, so remove the file or give a new path."
            )
        if not path.parent.is_dir():
            raise SandboxConfigError(f"the folder of database file {path} does not exist.")

    def _check_integrations(self) -> None:
        if not self.integration_name.strip():
            raise SandboxConfigError("integration_name must not be empty.")
        unknown = sorted(set(self.token_integrations) - (set(self.tokens) - {self.token}))
        if unknown:
            raise SandboxConfigError(
                f"token_integrations names tokens {unknown} that are not extra tokens of "
                "`tokens`; add them there. The main token always belongs to integration_name."
            )

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except ZoneInfoNotFoundError as error:
            raise SandboxConfigError(
                f"Unknown timezone {self.timezone!r}; use an IANA name such as 'Europe/Stockholm'."
            ) from error

    def quotas(self) -> dict[str, dict[str, int]]:
        """Quota per bucket type and interval, custom plans merged over Growth."""
        if isinstance(self.plan, str):
            return {kind: dict(values) for kind, values in PLANS[self.plan].items()}
        merged = {kind: dict(values) for kind, values in PLANS["growth"].items()}
        for kind, values in self.plan.items():
            if kind not in BUCKET_TYPES or any(interval not in INTERVALS for interval in values):
                raise SandboxConfigError(
                    f"Custom plan keys are {BUCKET_TYPES} with intervals {tuple(INTERVALS)}; "
                    f"got {kind!r}: {dict(values)!r}."
                )
            merged[kind].update(values)
        return merged

    def token_permissions(self) -> dict[str, frozenset[str]]:
        """The configured token map; the main token holds every read and write permission."""
        table = {self.token: frozenset(ALL_PERMISSIONS)}
        table.update({token: frozenset(perms) for token, perms in self.tokens.items()})
        return table

    def token_integration(self, token: str) -> str:
        """The integration name a token acts for; its event queue is that integration's."""
        return self.token_integrations.get(token, self.integration_name)
