"""A webhook receiver on a free loopback port that records calls and answers as scripted."""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A sender that timed out has hung up; the late answer failing to send is expected.
        return


@dataclass(frozen=True)
class Call:
    """One POST as it arrived: headers, the raw form body and when it came."""

    headers: dict[str, str]
    body: str
    received_at: float

    @property
    def payload(self) -> dict:
        return json.loads(parse_qs(self.body, strict_parsing=True)["payload"][0])


class Receiver:
    """Answers 200 unless `statuses` holds scripted codes; `delay` stalls every answer."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.statuses: deque[int] = deque()
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/centra/webhook"

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode("ascii")
                with receiver.lock:
                    receiver.calls.append(Call(dict(self.headers), body, time.monotonic()))
                    status = receiver.statuses.popleft() if receiver.statuses else 200
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
