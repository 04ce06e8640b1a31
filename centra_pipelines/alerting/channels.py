"""Where alerts go: a Slack-compatible incoming webhook and email over SMTP.

Settings come from the `channels` section of alerting.yaml and from CENTRA_ALERT_* environment
variables, which win. They are read when definitions load (to say once where alerts go, and to
refuse a bad setting early) and again at every sensor tick, never at import. The webhook URL is a
secret: it is never logged, and errors about it name only its host.
"""

import logging
import os
import smtplib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import urlsplit

import requests

from centra_pipelines.alerting.alerts import Alert, first_line
from centra_pipelines.config.alerting import ChannelSettings, EmailSettings, SlackSettings

logger = logging.getLogger(__name__)

ENV_DAGSTER_URL = "CENTRA_ALERT_DAGSTER_URL"
ENV_SLACK_URL = "CENTRA_ALERT_SLACK_WEBHOOK_URL"
ENV_SMTP_HOST = "CENTRA_ALERT_SMTP_HOST"
ENV_SMTP_PORT = "CENTRA_ALERT_SMTP_PORT"
ENV_SMTP_SECURITY = "CENTRA_ALERT_SMTP_SECURITY"
ENV_SMTP_USERNAME = "CENTRA_ALERT_SMTP_USERNAME"
ENV_SMTP_PASSWORD = "CENTRA_ALERT_SMTP_PASSWORD"
ENV_SMTP_FROM = "CENTRA_ALERT_SMTP_FROM"
ENV_SMTP_TO = "CENTRA_ALERT_SMTP_TO"
_EMAIL_VARIABLES = (
    ENV_SMTP_PORT,
    ENV_SMTP_SECURITY,
    ENV_SMTP_USERNAME,
    ENV_SMTP_PASSWORD,
    ENV_SMTP_FROM,
    ENV_SMTP_TO,
)

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}

# Slack refuses a section text above 3000 characters and a header above 150.
_SLACK_TEXT_LIMIT = 3_000
_SLACK_HEADER_LIMIT = 150


class AlertSettingsError(ValueError):
    """Channel settings that cannot work; the message names the setting to fix."""


class DeliveryError(Exception):
    """A channel did not take an alert. The message is safe to log: it carries no secret."""


class SlackWebhook:
    """A Slack-compatible incoming webhook: POST of `{"text": ..., "blocks": [...]}`."""

    name = "slack"

    def __init__(self, url: str, settings: SlackSettings) -> None:
        self._url = url
        self.host = urlsplit(url).hostname or "the webhook host"
        self.settings = settings

    def __repr__(self) -> str:
        return f"SlackWebhook(host={self.host!r})"

    def describe(self) -> str:
        return f"a Slack webhook at {self.host}"

    def send(self, alert: Alert) -> None:
        payload = slack_payload(alert)
        attempts = self.settings.attempts
        for attempt in range(1, attempts + 1):
            problem, retry = self._post_once(payload)
            if problem is None:
                return
            if not retry or attempt == attempts:
                raise DeliveryError(f"{problem} (attempt {attempt} of {attempts})")

            logger.info("%s; trying again (attempt %d of %d)", problem, attempt, attempts)
            time.sleep(self.settings.backoff_seconds * attempt)

    def _post_once(self, payload: dict) -> tuple[str | None, bool]:
        """None when delivered, otherwise what went wrong and whether trying again may help."""
        try:
            response = requests.post(self._url, json=payload, timeout=self.settings.timeout_seconds)
        except requests.RequestException as error:
            # The exception's text holds the URL, whose path is the secret; name its type only.
            return f"could not reach {self.host} ({type(error).__name__})", True

        status = response.status_code
        if status < 300:
            return None, False
        answer = first_line(response.text)[:80]
        problem = f"{self.host} answered HTTP {status}" + (f" ({answer})" if answer else "")
        if status == 429 or status >= 500:
            return problem, True
        # 403, 404 and 410 are how Slack says a webhook was revoked or its channel archived.
        return f"{problem}; check {ENV_SLACK_URL}", False


def slack_payload(alert: Alert) -> dict:
    facts = "\n".join(f"*{_escape(label)}:* {_escape(value)}" for label, value in alert.facts)
    blocks = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(alert.title, _SLACK_HEADER_LIMIT)},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(facts, _SLACK_TEXT_LIMIT)}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(f"*What to do first:* {_escape(alert.action)}", _SLACK_TEXT_LIMIT),
            },
        },
    ]
    if alert.link:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{alert.link}|Open>"}]}
        )
    return {"text": _clip(_escape(alert.text()), _SLACK_TEXT_LIMIT), "blocks": blocks}


def _escape(text: str) -> str:
    # Slack reads <...> as links and mentions; an error message must show as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class EmailServer:
    """An SMTP server and the message envelope, with every setting resolved."""

    host: str
    port: int
    security: str
    sender: str
    recipients: tuple[str, ...]
    username: str | None
    password: str | None = field(repr=False)
    timeout_seconds: float
    subject_prefix: str


class Email:
    """Email over SMTP: STARTTLS, SSL or plain, with a login when a username is set."""

    name = "email"

    def __init__(self, server: EmailServer) -> None:
        self.server = server

    def describe(self) -> str:
        server = self.server
        return f"email to {', '.join(server.recipients)} via {server.host}:{server.port}"

    def send(self, alert: Alert) -> None:
        server = self.server
        message = EmailMessage()
        message["Subject"] = f"{server.subject_prefix} {alert.title}".strip()
        message["From"] = server.sender
        message["To"] = ", ".join(server.recipients)
        message.set_content(alert.text())
        try:
            self._deliver(message)
        except (smtplib.SMTPException, OSError) as error:
            reason = first_line(str(error))[:120] or type(error).__name__
            raise DeliveryError(
                f"{server.host}:{server.port} did not take the message ({reason})"
            ) from error

    def _deliver(self, message: EmailMessage) -> None:
        server = self.server
        if server.security == "ssl":
            connection = smtplib.SMTP_SSL(
                server.host,
                server.port,
                timeout=server.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=server.timeout_seconds)

        with connection as smtp:
            if server.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if server.username:
                smtp.login(server.username, server.password or "")
            smtp.send_message(message)


Channel = SlackWebhook | Email


@dataclass(frozen=True)
class Channels:
    """The channels configured here; empty means alerts go to the sensors' logs only."""

    channels: tuple[Channel, ...]
    dagster_url: str | None

    @property
    def names(self) -> list[str]:
        return [channel.name for channel in self.channels]

    def get(self, name: str) -> Channel | None:
        return next((channel for channel in self.channels if channel.name == name), None)

    def describe(self) -> str:
        if not self.channels:
            return "the sensors' logs only (no channel configured)"
        return " and ".join(channel.describe() for channel in self.channels)


def configured_channels(
    settings: ChannelSettings, environ: Mapping[str, str] | None = None
) -> Channels:
    """The channels the settings file and the environment configure.

    Raises:
        AlertSettingsError: a setting is missing or malformed; the message names it.
    """
    environ = _present(environ)
    channels: list[Channel] = []
    slack_url = environ.get(ENV_SLACK_URL)
    if slack_url:
        channels.append(
            SlackWebhook(_http_url(slack_url, ENV_SLACK_URL, echo=False), settings.slack)
        )
    email = _email_server(settings.email, environ)
    if email is not None:
        channels.append(Email(email))

    dagster_url = environ.get(ENV_DAGSTER_URL) or settings.dagster_url
    if dagster_url:
        dagster_url = _http_url(dagster_url, f"{ENV_DAGSTER_URL} (or channels.dagster_url)")
    return Channels(tuple(channels), dagster_url)


def _present(environ: Mapping[str, str] | None) -> dict[str, str]:
    # Read here, at load or at a tick, never when this module is imported.
    source = os.environ if environ is None else environ
    return {name: value.strip() for name, value in source.items() if value and value.strip()}


def _http_url(value: str, setting: str, *, echo: bool = True) -> str:
    if _is_http_url(value):
        return value
    shown = f", got {value!r}" if echo else ""
    raise AlertSettingsError(f"{setting} must be an http:// or https:// URL{shown}")


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _email_server(settings: EmailSettings, environ: Mapping[str, str]) -> EmailServer | None:
    host = environ.get(ENV_SMTP_HOST) or settings.host
    if not host:
        stray = [name for name in _EMAIL_VARIABLES if name in environ]
        if stray:
            raise AlertSettingsError(
                f"{', '.join(stray)} set but no SMTP host: set {ENV_SMTP_HOST} (or "
                "channels.email.host in alerting.yaml) to send email alerts"
            )
        return None

    security = _security(environ.get(ENV_SMTP_SECURITY) or settings.security)
    username = environ.get(ENV_SMTP_USERNAME) or settings.username
    password = environ.get(ENV_SMTP_PASSWORD)
    if bool(username) != bool(password):
        raise AlertSettingsError(
            f"an SMTP login needs both {ENV_SMTP_USERNAME} (or channels.email.username) and "
            f"{ENV_SMTP_PASSWORD}; set both, or neither for a server that takes mail unlogged"
        )
    return EmailServer(
        host=host,
        port=_port(environ.get(ENV_SMTP_PORT), settings.port, security),
        security=security,
        sender=_sender(environ.get(ENV_SMTP_FROM) or settings.sender),
        recipients=_recipients(environ.get(ENV_SMTP_TO), settings.recipients),
        username=username,
        password=password,
        timeout_seconds=settings.timeout_seconds,
        subject_prefix=settings.subject_prefix,
    )


def _security(value: str) -> str:
    value = value.lower()
    if value not in DEFAULT_PORTS:
        raise AlertSettingsError(
            f"{ENV_SMTP_SECURITY} (or channels.email.security) must be one of "
            f"{', '.join(DEFAULT_PORTS)}, got {value!r}"
        )
    return value


def _port(variable: str | None, configured: int | None, security: str) -> int:
    if variable is None:
        return configured or DEFAULT_PORTS[security]
    if not variable.isdigit() or not 1 <= int(variable) <= 65_535:
        raise AlertSettingsError(
            f"{ENV_SMTP_PORT} must be a port number from 1 to 65535, got {variable!r}"
        )
    return int(variable)


def _sender(value: str | None) -> str:
    if not value or "@" not in value:
        raise AlertSettingsError(
            f"email alerts need a sender address: set {ENV_SMTP_FROM} (or channels.email.from "
            f"in alerting.yaml){f', got {value!r}' if value else ''}"
        )
    return value


def _recipients(variable: str | None, configured: tuple[str, ...]) -> tuple[str, ...]:
    addresses = [part.strip() for part in variable.split(",")] if variable else list(configured)
    addresses = [address for address in addresses if address]
    wrong = [address for address in addresses if "@" not in address]
    if not addresses or wrong:
        raise AlertSettingsError(
            f"email alerts need recipient addresses: set {ENV_SMTP_TO} (separated by commas) "
            "or channels.email.to in alerting.yaml"
            + (f"; not addresses: {', '.join(wrong)}" if wrong else "")
        )
    return tuple(addresses)
