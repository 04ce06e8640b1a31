"""Loopback stub servers and a fake clock for the Centra client tests.

Each test scripts what the stub answers; nothing here knows the sandbox, so the client is held
to the HTTP contract alone.
"""

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from centra_pipelines.centra.client import CentraClient

TOKEN = "test-token-6f1d"


@dataclasses.dataclass
class Reply:
    """One scripted answer of the stub."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    delay_seconds: float = 0.0
    truncate: bool = False


@dataclasses.dataclass
class SeenRequest:
    """One request as the stub received it."""

    body: dict[str, Any]
    headers: dict[str, str]
    client_port: int

    @property
    def variables(self) -> dict[str, Any]:
        return self.body.get("variables") or {}


def envelope(data: Any, *, complexity: int = 10, permissions: tuple[str, ...] = ()) -> dict:
    """Return a Centra response envelope around `data`."""
    extensions = {"complexity": complexity, "permissionsUsed": list(permissions)}
    return {"data": data, "extensions": extensions}


class StubServer:
    """An HTTP server on 127.0.0.1 that answers each POST with `respond(request, index)`."""

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self.respond: Callable[[SeenRequest, int], Reply] = lambda request, index: Reply(
            envelope({})
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/graphql"

    def script(self, *replies: Reply) -> None:
        """Answer the n-th request with the n-th reply (the last one repeats)."""
        self.respond = lambda request, index: replies[min(index, len(replies) - 1)]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every request on loopback.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            request = SeenRequest(
                body=json.loads(raw), headers=dict(self.headers), client_port=self.client_address[1]
            )
            index = len(stub.requests)
            stub.requests.append(request)
            reply = stub.respond(request, index)
            time.sleep(reply.delay_seconds)
            self._write(reply)

        def _write(self, reply: Reply) -> None:
            payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body)
            payload = payload.encode() if isinstance(payload, str) else payload
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            declared = len(payload) + (50 if reply.truncate else 0)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            self.wfile.write(payload)
            if reply.truncate:
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output clean."""

    return Handler


class FakeClock:
    """Monotonic clock, wall clock and sleeper in one; sleeping only moves time forward."""

    def __init__(self, *, wall_start: float = 1_794_999_993.0) -> None:
        self.elapsed = 0.0
        self.wall_start = wall_start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.elapsed

    def time(self) -> float:
        with self._lock:
            return self.wall_start + self.elapsed

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"the client asked to sleep a negative time: {seconds}"
        with self._lock:
            self.sleeps.append(seconds)
            self.elapsed += seconds


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(stub: StubServer, clock: FakeClock) -> Callable[..., CentraClient]:
    """Build a client aimed at the stub, with the fake clock and a jitter that always draws 1.

    Reading the rate limits before the first request is off unless a test asks for it, so that
    each test scripts exactly the responses it is about. The budget is the process's own unless a
    test asks for a shared one, so that a DAGSTER_HOME in the shell cannot leak levels between
    tests.
    """

    def build(**config: Any) -> CentraClient:
        config.setdefault("read_rate_limits", False)
        config.setdefault("rate_budget_url", "process")
        client = CentraClient(api_url=stub.url, api_token=TOKEN, **config)
        client._sleep = clock.sleep
        client._monotonic = clock.monotonic
        client._wall_time = clock.time
        client._random = lambda: 1.0
        return client

    return build
