"""A Slack-compatible incoming webhook on 127.0.0.1 that keeps every alert posted to it.

`make demo-operations` points CENTRA_ALERT_SLACK_WEBHOOK_URL at it, so the alerting sensors send
to it exactly as they would to Slack, and the demo can show and count what arrived.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
# A real incoming-webhook URL carries its secret in the path; anything else is answered 404.
PATH = "/services/demo/operations/alerts"


@dataclass
class AlertEndpoint:
    """The running endpoint: its URL, and the JSON body of every POST it accepted, in order."""

    url: str
    received: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def alerts(self) -> list[dict]:
        with self.lock:
            return list(self.received)


def _handler(endpoint: AlertEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server dispatches to
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path != PATH:
                self._answer(404, b"no_service")
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._answer(400, b"invalid_payload")
                return
            with endpoint.lock:
                endpoint.received.append(body)
            self._answer(200, b"ok")

        def _answer(self, status: int, text: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            # The demo prints what arrived itself; one access-log line per POST would be noise.
            pass

    return Handler


@contextmanager
def serve_alert_endpoint() -> Iterator[AlertEndpoint]:
    """Serve the endpoint on a free loopback port until the block ends."""
    endpoint = AlertEndpoint(url="")
    server = ThreadingHTTPServer((HOST, 0), _handler(endpoint))
    endpoint.url = f"http://{HOST}:{server.server_address[1]}{PATH}"
    thread = threading.Thread(target=server.serve_forever, name="alert-endpoint", daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
