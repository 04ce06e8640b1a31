"""Local alert channels started by the tests, and a driver that ticks the alerting sensors.

The Slack-style endpoint and the SMTP server listen on 127.0.0.1 and record what they are sent;
the endpoint can be told to answer the next requests with an error.
"""

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from centra_pipelines.alerting.definitions import alerting_sensors
from centra_pipelines.config.alerting import AlertingConfig

# The path of a real incoming-webhook URL is its secret; tests check it never reaches a log.
WEBHOOK_PATH = "/services/T0000/B0000/secret-webhook-token"


@dataclass
class Post:
    status: int
    body: dict


@dataclass
class SlackEndpoint:
    """A Slack-compatible incoming webhook on a loopback port."""

    server: ThreadingHTTPServer
    received: list[Post] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}{WEBHOOK_PATH}"

    @property
    def delivered(self) -> list[dict]:
        return [post.body for post in self.received if post.status == 200]

    def answer_next_with(self, *statuses: int) -> None:
        self.answers.extend(statuses)


def _handler(endpoint_ref: list[SlackEndpoint]):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server dispatches to
            endpoint = endpoint_ref[0]
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = endpoint.answers.pop(0) if endpoint.answers else 200
            if self.path != WEBHOOK_PATH:
                status = 404
            endpoint.received.append(Post(status, body))
            answer = b"ok" if status == 200 else b"server_error"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def slack() -> Iterator[SlackEndpoint]:
    endpoint_ref: list[SlackEndpoint] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(endpoint_ref))
    endpoint_ref.append(SlackEndpoint(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint_ref[0]
    finally:
        server.shutdown()
        server.server_close()


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


def use_slack(monkeypatch, endpoint: SlackEndpoint) -> None:
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
