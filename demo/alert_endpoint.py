"""A Slack-compatible incoming webhook on 127.0.0.1 that keeps every alert posted to it.

`make demo-operations` points CENTRA_ALERT_SLACK_WEBHOOK_URL at it, so the alerting sensors send
to it exactly as they would to Slack, and the demo can show and count what arrived. The alerting
tests use it too, and can have it answer the next posts with an error, as Slack does when down.
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


@dataclass(frozen=True)
class Post:
    """One POST as it arrived: the status it was answered with, and its JSON body if any."""

    status: int
    body: dict | None


@dataclass
class AlertEndpoint:
    """The running endpoint: its URL and every POST it was sent, in order."""

    url: str
    received: list[Post] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def delivered(self) -> list[dict]:
        """The bodies of the posts it accepted (answered 200): the alerts that arrived."""
        with self.lock:
            return [post.body for post in self.received if post.status == 200]

    def answer_next_with(self, *statuses: int) -> None:
        """Answer the next posts to the right path with these statuses instead of 200."""
        with self.lock:
            self.answers.extend(statuses)

    def take(self, path: str, raw: bytes, expected_path: str) -> int:
        """Record one post and return the status to answer it with."""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self.lock:
            if path != expected_path:
                status = 404
            elif body is None:
                status = 400
            else:
                status = self.answers.pop(0) if self.answers else 200
            self.received.append(Post(status, body))
        return status


def _handler(endpoint: AlertEndpoint, path: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server dispatches to
            length = int(self.headers.get("Content-Length") or 0)
            status = endpoint.take(self.path, self.rfile.read(length), path)
            text = {200: b"ok", 400: b"invalid_payload", 404: b"no_service"}.get(
                status, b"server_error"
            )
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            """Print nothing: the demo and the tests report what arrived themselves."""

    return Handler


@contextmanager
def serve_alert_endpoint(path: str = PATH) -> Iterator[AlertEndpoint]:
    """Serve the endpoint on a free loopback port, accepting posts to `path`, until the block
    ends."""
    endpoint = AlertEndpoint(url="")
    server = ThreadingHTTPServer((HOST, 0), _handler(endpoint, path))
    endpoint.url = f"http://{HOST}:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, name="alert-endpoint", daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
