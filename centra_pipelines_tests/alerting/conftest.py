"""Local alert channels started by the tests, and a driver that ticks the alerting sensors.

The Slack-style endpoint and the SMTP server listen on 127.0.0.1 and record what they are sent;
the endpoint can be told to answer the next requests with an error.
"""

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from centra_pipelines.alerting.definitions import alerting_sensors
from centra_pipelines.config.alerting import AlertingConfig
from demo.alert_endpoint import AlertEndpoint, serve_alert_endpoint

# The path of a real incoming-webhook URL is its secret; tests check it never reaches a log.
WEBHOOK_PATH = "/services/T0000/B0000/secret-webhook-token"


@pytest.fixture
def slack() -> Iterator[AlertEndpoint]:
    """The Slack-style endpoint of the operations demo, at a path shaped like a real secret."""
    with serve_alert_endpoint(WEBHOOK_PATH) as endpoint:
        yield endpoint


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: _Mailbox

    @property
    def messages(self) -> list[Message]:
        return self.mailbox.messages


def free_port() -> int:
    """A loopback port nothing listens on (a connection to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, mailbox)
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def no_channels_from_outside(monkeypatch):
    """Channels come only from what each test sets, never from the machine's environment."""
    for name in (
        "CENTRA_ALERT_DAGSTER_URL",
        "CENTRA_ALERT_SLACK_WEBHOOK_URL",
        "CENTRA_ALERT_SMTP_HOST",
        "CENTRA_ALERT_SMTP_PORT",
        "CENTRA_ALERT_SMTP_SECURITY",
        "CENTRA_ALERT_SMTP_USERNAME",
        "CENTRA_ALERT_SMTP_PASSWORD",
        "CENTRA_ALERT_SMTP_FROM",
        "CENTRA_ALERT_SMTP_TO",
        "CENTRA_ALERTING_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)


def use_slack(monkeypatch, endpoint: AlertEndpoint) -> None:
    monkeypatch.setenv("CENTRA_ALERT_SLACK_WEBHOOK_URL", endpoint.url)


def use_email(monkeypatch, server: SmtpServer) -> None:
    monkeypatch.setenv("CENTRA_ALERT_SMTP_HOST", server.host)
    monkeypatch.setenv("CENTRA_ALERT_SMTP_PORT", str(server.port))
    monkeypatch.setenv("CENTRA_ALERT_SMTP_SECURITY", "none")
    monkeypatch.setenv("CENTRA_ALERT_SMTP_FROM", "dagster@shop.example")
    monkeypatch.setenv("CENTRA_ALERT_SMTP_TO", "oncall@shop.example, data@shop.example")


@pytest.fixture
def instance(tmp_path) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        yield instance


class Ticker:
    """Ticks alerting sensors against one instance, keeping each sensor's cursor as Dagster would.

    `tick` runs the sensor definition exactly as loaded; `tick_at` evaluates the same sensor at
    a chosen moment, for episodes that take hours to happen.
    """

    def __init__(
        self,
        instance: dg.DagsterInstance,
        definitions: dg.Definitions,
        config: AlertingConfig | None = None,
    ) -> None:
        self.instance = instance
        self.definitions = definitions
        self.sensors = (
            {sensor.name: sensor for sensor in alerting_sensors(config)} if config else {}
        )
        self.cursors: dict[str, str | None] = {}

    def tick(self, name: str) -> dg.SensorResult:
        sensor = self.definitions.resolve_sensor_def(name)
        with self._context(name) as context:
            return self._keep(name, sensor(context))

    def tick_at(self, name: str, now: datetime | float) -> dg.SensorResult:
        if not isinstance(now, datetime):
            now = datetime.fromtimestamp(now, UTC)
        with self._context(name) as context:
            return self._keep(name, self.sensors[name].evaluate(context, now=now))

    def _context(self, name: str):
        return dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(name),
            definitions=self.definitions,
            sensor_name=name,
        )

    def _keep(self, name: str, result: dg.SensorResult) -> dg.SensorResult:
        self.cursors[name] = result.cursor
        return result
