"""Settings of the webhook receiver: environment variables, overridable by command-line flags.

Nothing is read at import time; `ReceiverSettings.from_env()` reads the environment when the
receiver starts.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from centra_pipelines.webhooks.signature import DEFAULT_TOLERANCE_SECONDS

ENV_SECRET = "CENTRA_WEBHOOK_SECRET"
ENV_INBOX_URL = "CENTRA_WEBHOOK_INBOX_URL"
ENV_TOLERANCE_SECONDS = "CENTRA_WEBHOOK_TOLERANCE_SECONDS"
ENV_MAX_BODY_BYTES = "CENTRA_WEBHOOK_MAX_BODY_BYTES"

# Inbox file used when no URL is configured, relative to the directory the receiver starts in.
DEFAULT_INBOX_PATH = Path(".centra") / "webhook-inbox.sqlite"

# Centra sends at most a few hundred short events per call (100 by default); 1 MiB leaves ample
# room and stops a sender from filling memory.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8070
DEFAULT_PATH = "/centra/webhooks"
HEALTH_PATH = "/health"


class SettingsError(ValueError):
    """The receiver is configured so that it cannot run; the message says what to set."""


def default_inbox_url() -> str:
    """`sqlite:///` + the absolute path of `.centra/webhook-inbox.sqlite` under the current dir."""
    return f"sqlite:///{(Path.cwd() / DEFAULT_INBOX_PATH).resolve()}"


@dataclass(frozen=True)
class ReceiverSettings:
    """Everything the webhook receiver needs to run.

    Args:
        secret: the "Endpoint secret" of Centra's Webhook plugin; required.
        inbox_url: SQLAlchemy URL of the inbox database.
        tolerance_seconds: how far a signature's timestamp may lie from our clock, either way.
        max_body_bytes: larger bodies are refused with 413 before they are read in full.
        host: interface to listen on.
        port: port to listen on; 0 picks a free one.
        path: URL path Centra posts to.
    """

    secret: str = field(repr=False)
    inbox_url: str = field(default_factory=default_inbox_url)
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    path: str = DEFAULT_PATH

    def __post_init__(self) -> None:
        if not self.secret or not self.secret.strip():
            raise SettingsError(
                f"no webhook secret: set {ENV_SECRET} (or --secret) to the Endpoint secret of "
                "Centra's Webhook plugin; the receiver refuses unsigned deliveries"
            )
        if self.tolerance_seconds < 1:
            raise SettingsError(
                f"tolerance_seconds must be at least 1, got {self.tolerance_seconds}"
            )
        if self.max_body_bytes < 1:
            raise SettingsError(f"max_body_bytes must be at least 1, got {self.max_body_bytes}")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port must be between 0 and 65535, got {self.port}")
        if not self.path.startswith("/") or self.path == HEALTH_PATH:
            raise SettingsError(f"path must start with '/' and not be {HEALTH_PATH}: {self.path!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "ReceiverSettings":
        """Settings from environment variables; overrides that are not None win (CLI flags).

        Raises:
            SettingsError: the secret is missing or a value is not a number.
        """
        environ = os.environ if environ is None else environ
        values: dict = {
            "secret": environ.get(ENV_SECRET, ""),
            "inbox_url": environ.get(ENV_INBOX_URL) or default_inbox_url(),
        }
        for name, variable in (
            ("tolerance_seconds", ENV_TOLERANCE_SECONDS),
            ("max_body_bytes", ENV_MAX_BODY_BYTES),
        ):
            if environ.get(variable):
                values[name] = _integer(environ[variable], variable)

        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)


def _integer(value: str, variable: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{variable} must be a whole number, got {value!r}") from None
