"""Stdlib HTTP front end: POST /graphql and GET /sandbox/stats on a loopback port."""

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from centra_sandbox.server.app import Response, SandboxApp, retry_after_value
from centra_sandbox.server.faults import Fault

log = logging.getLogger(__name__)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Benchmarks open many keep-alive connections; the default backlog of 5 drops some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SandboxApp, stats: Callable[[], dict]):
        self.app = app
        self.stats = stats
        super().__init__(address, SandboxHandler)

    def handle_error(self, request, client_address) -> None:
        # A client that gave up on a slow answer has closed its end; that is the fault working,
        # not a sandbox error worth a traceback on stderr.
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            log.debug("client %s left before its answer was written", client_address[0])
            return
        super().handle_error(request, client_address)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer

    def log_message(self, format: str, *args) -> None:
        # Access lines go to debug logging instead of stderr, which the stdlib uses.
        log.debug("%s " + format, self.client_address[0], *args)

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/sandbox/stats":
            self._send(
                Response(
                    404,
                    {"errors": [{"message": "Not found; POST /graphql or GET /sandbox/stats."}]},
                )
            )
            return
        if not self.client_address[0].startswith("127."):
            self._send(
                Response(
                    403, {"errors": [{"message": "Stats are served to loopback clients only."}]}
                )
            )
            return
        self._send(Response(200, self.server.stats()))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.split("?")[0] != "/graphql":
            self._send(
                Response(
                    404, {"errors": [{"message": "Not found; the endpoint is POST /graphql."}]}
                )
            )
            return
        app = self.server.app
        app.metrics.add("requests")
        fault = app.faults.next_fault()
        if fault is not None and fault.kind != "slow":
            app.metrics.add("faults")
            self._inject(fault, raw)
            return
        if fault is not None:
            app.metrics.add("faults")
            time.sleep(fault.delay)
        self._send(self._answer(raw))

    def _answer(self, raw: bytes) -> Response:
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            return Response(
                400, {"errors": [{"message": "The body is not JSON; send application/json."}]}
            )
        return self.server.app.handle(payload, self._token())

    def _token(self) -> str | None:
        header = self.headers.get("Authorization") or ""
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        morsel = cookie.get("graphql-access")
        return morsel.value if morsel else None

    def _inject(self, fault: Fault, raw: bytes) -> None:
        app = self.server.app
        if fault.kind == "drop":
            self.close_connection = True
            return
        if fault.kind == "truncate":
            response = self._answer(raw)
            body = response.encoded()
            self._send(response, body[: len(body) // 2], declared_length=len(body))
            self.close_connection = True
            return
        if fault.status == 429:
            app.metrics.add("throttled")
            form = fault.retry_after_format or app.config.retry_after_format
            value = fault.retry_after or retry_after_value(
                fault.retry_after_seconds, form, minimum=0
            )
            body = {
                "errors": [
                    {
                        "message": "Too many requests (injected).",
                        "extensions": {"category": "rate_limit"},
                    }
                ]
            }
            self._send(Response(429, body, {"Retry-After": value}))
            return
        message = f"Injected server error {fault.status}; retry later."
        self._send(
            Response(
                fault.status,
                {"errors": [{"message": message, "extensions": {"category": "internal"}}]},
            )
        )

    def _send(
        self, response: Response, body: bytes | None = None, declared_length: int | None = None
    ) -> None:
        body = response.encoded() if body is None else body
        self.server.app.metrics.status(response.status)
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(declared_length or len(body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# How often serve_forever looks for shutdown(); the default 0.5 s made each stop take that long.
SHUTDOWN_POLL_SECONDS = 0.05


def serve_in_thread(server: SandboxHTTPServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
        name="centra-sandbox",
        daemon=True,
    )
    thread.start()
    return thread
