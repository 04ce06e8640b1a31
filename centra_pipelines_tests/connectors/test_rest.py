"""The REST connector against a local HTTP server: paging, auth, retries, errors, secrets."""

import base64
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from centra_pipelines.connectors.rest import (
    MAX_ERROR_MESSAGE_CHARS,
    RestApiClient,
    RestConfigError,
    RestConnectionError,
    RestHttpError,
    RestResponseError,
    RestTimeout,
)

# What a route answers: status, headers, and a JSON body (None sends no body).
Answer = tuple[int, dict[str, str], object]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: object


@dataclass
class FakeApi:
    """A JSON API on 127.0.0.1 whose routes each test sets; it records every request."""

    base_url: str = ""
    routes: dict[tuple[str, str], Callable[[Request], Answer]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def route(self, method: str, path: str, answer: Callable[[Request], Answer]) -> None:
        self.routes[(method, path)] = answer

    def answer_in_turn(self, method: str, path: str, answers: list[Answer]) -> None:
        """Answer successive requests with successive answers, repeating the last one."""
        remaining = list(answers)
        self.route(method, path, lambda _: remaining.pop(0) if len(remaining) > 1 else remaining[0])


def _handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=url.path,
                query={key: values[-1] for key, values in parse_qs(url.query).items()},
                headers=dict(self.headers.items()),
                body=json.loads(raw) if raw else None,
            )
            api.requests.append(request)
            answer = api.routes.get((self.command, url.path))
            status, headers, body = answer(request) if answer else (404, {}, {"message": "none"})

            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            # A client that timed out has gone; that is what the timeout test wants.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    # A short poll interval keeps shutdown() from adding half a second to every test.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_port}/api"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(api, sleeps):
    made = []

    def make(**config) -> RestApiClient:
        client = RestApiClient(base_url=api.base_url, **config)
        client._sleep = sleeps.append
        client._random = lambda: 1.0
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def ok(body: object, headers: dict[str, str] | None = None) -> Answer:
    return 200, headers or {}, body


def orders(count: int) -> list[dict]:
    return [{"id": n} for n in range(count)]


def test_page_paging_asks_for_pages_until_a_short_one(api, make_client):
    catalogue = orders(25)

    def page(request: Request) -> Answer:
        number, size = int(request.query["page"]), int(request.query["per_page"])
        return ok({"data": {"items": catalogue[(number - 1) * size : number * size]}})

    api.route("GET", "/api/orders", page)
    client = make_client(
        paging="page", page_size=10, limit_param="per_page", items_path="data.items"
    )

    items = list(client.get_items("/orders", {"status": "open"}))

    assert items == catalogue
    assert [(r.query["page"], r.query["status"]) for r in api.requests] == [
        ("1", "open"),
        ("2", "open"),
        ("3", "open"),
    ]


def test_page_paging_stops_at_an_empty_page_after_full_ones(api, make_client):
    api.answer_in_turn("GET", "/api/orders", [ok(orders(10)), ok(orders(10)), ok([])])

    items = list(make_client(paging="page", page_size=10).get_items("orders"))

    assert len(items) == 20
    assert len(api.requests) == 3


def test_cursor_paging_sends_the_cursor_found_in_each_response(api, make_client):
    pages = {
        None: ok({"results": [{"id": 1}, {"id": 2}], "meta": {"next": "c2"}}),
        "c2": ok({"results": [{"id": 3}], "meta": {"next": "c3"}}),
        "c3": ok({"results": [], "meta": {"next": None}}),
    }
    api.route("GET", "/api/orders", lambda request: pages[request.query.get("after")])
    client = make_client(
        paging="cursor", items_path="results", cursor_path="meta.next", cursor_param="after"
    )

    items = list(client.get_items("/orders", {"since": "2026-12-01"}))

    assert [item["id"] for item in items] == [1, 2, 3]
    assert [r.query.get("after") for r in api.requests] == [None, "c2", "c3"]
    assert all(r.query["since"] == "2026-12-01" for r in api.requests)


def test_a_cursor_that_does_not_advance_is_an_error_not_a_loop(api, make_client):
    api.route("GET", "/api/orders", lambda _: ok({"results": [{"id": 1}], "next": "same"}))
    client = make_client(paging="cursor", items_path="results", cursor_path="next")

    with pytest.raises(RestResponseError, match="cursor 'same' it was sent"):
        list(client.get_items("/orders"))
    assert len(api.requests) == 2


def test_link_paging_follows_rel_next_until_there_is_none(api, make_client):
    api.route(
        "GET",
        "/api/orders",
        lambda request: {
            None: ok(orders(2), {"Link": '</api/orders?page_token=b&x=1>; rel="next"'}),
            "b": ok([{"id": 7}], {"Link": f'<{api.base_url}/orders?page_token=c>; rel="next"'}),
            "c": ok([], {"Link": f'<{api.base_url}/orders>; rel="first"'}),
        }[request.query.get("page_token")],
    )

    items = list(make_client(paging="link").get_items("/orders", {"status": "open"}))

    assert items == [{"id": 0}, {"id": 1}, {"id": 7}]
    assert [r.query for r in api.requests] == [
        {"status": "open"},
        {"page_token": "b", "x": "1"},
        {"page_token": "c"},
    ]


def test_a_next_link_to_another_host_gets_no_request(api, make_client):
    # localhost is another origin than 127.0.0.1 for a browser and for us; nothing listens here.
    elsewhere = f"http://localhost:{_closed_port()}/steal"
    api.route(
        "GET", "/api/orders", lambda _: ok([{"id": 1}], {"Link": f'<{elsewhere}>; rel="next"'})
    )

    with pytest.raises(RestResponseError, match="refusing to send credentials"):
        list(make_client(paging="link", auth="bearer", token="t0k3n").get_items("/orders"))


def test_items_are_fetched_page_by_page_as_they_are_consumed(api, make_client):
    api.route("GET", "/api/orders", lambda request: ok(orders(10)))
    items = make_client(paging="page", page_size=10, max_pages=50).get_items("/orders")

    first = next(items)
    requested_after_first = len(api.requests)
    items.close()

    assert first == {"id": 0}
    assert requested_after_first == 1


def test_without_paging_one_request_returns_all_items(api, make_client):
    api.route("GET", "/api/stock", lambda _: ok({"stock": [{"sku": "A"}, {"sku": "B"}]}))

    items = list(make_client(items_path="stock").get_items("/stock"))

    assert items == [{"sku": "A"}, {"sku": "B"}]
    assert len(api.requests) == 1


def test_a_wrong_items_path_says_what_was_found(api, make_client):
    api.route("GET", "/api/stock", lambda _: ok({"stock": {"sku": "A"}}))

    with pytest.raises(
        RestResponseError, match="expected a list at items_path 'stock', found dict"
    ):
        list(make_client(items_path="stock").get_items("/stock"))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("config", "header", "expected"),
    [
        ({"auth": "bearer", "token": "t0k3n"}, "Authorization", "Bearer t0k3n"),
        (
            {"auth": "basic", "username": "wms", "password": "pa55"},
            "Authorization",
            _basic("wms", "pa55"),
        ),
        (
            {"auth": "api_key", "api_key": "k3y", "api_key_header": "X-Shop-Key"},
            "X-Shop-Key",
            "k3y",
        ),
        ({"auth": "none", "headers": {"X-Tenant": "eu"}}, "X-Tenant", "eu"),
    ],
)
def test_each_auth_style_sends_the_header_the_server_checks(
    api, make_client, config, header, expected
):
    def guarded(request: Request) -> Answer:
        if request.headers.get(header) != expected:
            return 401, {}, {"message": "who are you?"}
        return ok({"ok": True})

    api.route("GET", "/api/me", guarded)

    assert make_client(**config).send("GET", "/me") == {"ok": True}
    wrong = {
        **config,
        **{key: "wrong" for key in ("token", "password", "api_key") if key in config},
    }
    if wrong != config:
        with pytest.raises(RestHttpError) as caught:
            make_client(**wrong).send("GET", "/me")
        assert caught.value.status == 401


def test_no_auth_sends_no_authorization_header(api, make_client):
    api.route("GET", "/api/me", lambda _: ok({}))

    make_client().send("GET", "/me")

    assert "Authorization" not in api.requests[0].headers


def test_a_429_is_retried_after_the_seconds_in_retry_after(api, make_client, sleeps):
    api.answer_in_turn(
        "GET", "/api/orders", [(429, {"Retry-After": "7"}, {"message": "slow down"}), ok([])]
    )

    assert list(make_client().get_items("/orders")) == []
    assert sleeps == [7.0]
    assert len(api.requests) == 2


def test_a_retry_after_date_is_waited_until(api, make_client, sleeps):
    date = "Wed, 21 Oct 2026 07:28:00 GMT"
    api.answer_in_turn("POST", "/api/orders", [(429, {"Retry-After": date}, None), ok({"id": 9})])
    client = make_client()
    client._wall_time = lambda: parsedate_to_datetime(date).timestamp() - 12

    assert client.send("POST", "/orders", {"sku": "A"}) == {"id": 9}
    assert sleeps == [12.0]
    assert [r.body for r in api.requests] == [{"sku": "A"}, {"sku": "A"}]


def test_a_503_is_retried_with_backoff_when_no_retry_after_is_given(api, make_client, sleeps):
    api.answer_in_turn("GET", "/api/stock", [(503, {}, None), (503, {}, None), ok({"n": 1})])

    assert make_client().send("GET", "/stock") == {"n": 1}
    assert sleeps == [0.5, 1.0]


def test_a_failing_server_gives_up_after_max_attempts(api, make_client, sleeps):
    api.route("GET", "/api/stock", lambda _: (503, {"Retry-After": "1"}, {"message": "down"}))

    with pytest.raises(RestHttpError) as caught:
        make_client(max_attempts=3).send("GET", "/stock")

    assert (caught.value.status, caught.value.attempts, caught.value.message) == (503, 3, "down")
    assert len(api.requests) == 3
    assert sleeps == [1.0, 1.0]


def test_a_post_answered_with_503_is_not_resent_unless_configured(api, make_client):
    """An order POSTed twice could be created twice in the other system."""
    api.answer_in_turn("POST", "/api/orders", [(503, {}, None), ok({"id": 1})])

    with pytest.raises(RestHttpError, match="HTTP 503 after 1 attempt"):
        make_client().send("POST", "/orders", {"sku": "A"})
    api.answer_in_turn("POST", "/api/orders", [(503, {}, None), ok({"id": 1})])
    assert make_client(retry_unsafe_methods=True).send("POST", "/orders", {"sku": "A"}) == {"id": 1}
    assert len(api.requests) == 3


def test_a_400_is_not_retried_and_carries_status_and_message(api, make_client, sleeps):
    api.route("POST", "/api/orders", lambda _: (400, {}, {"message": "sku is required"}))

    with pytest.raises(RestHttpError) as caught:
        make_client().send("POST", "/orders", {})

    assert caught.value.status == 400
    assert caught.value.message == "sku is required"
    assert "POST /api/orders answered HTTP 400" in str(caught.value)
    assert len(api.requests) == 1
    assert sleeps == []


def test_a_long_error_body_is_truncated(api, make_client):
    api.route("GET", "/api/orders", lambda _: (422, {}, {"detail": "x" * 5000}))

    with pytest.raises(RestHttpError) as caught:
        make_client().send("GET", "/orders")

    assert len(caught.value.message) == MAX_ERROR_MESSAGE_CHARS + 1
    assert caught.value.message.endswith("…")


def test_a_retry_after_beyond_the_limit_fails_instead_of_sleeping(api, make_client, sleeps):
    api.route("GET", "/api/orders", lambda _: (429, {"Retry-After": "3600"}, None))

    with pytest.raises(RestHttpError) as caught:
        make_client(max_retry_after_seconds=300).send("GET", "/orders")

    assert caught.value.status == 429
    assert sleeps == []


def test_a_slow_server_raises_a_timeout_after_the_allowed_attempts(api, make_client, sleeps):
    def slow(_: Request) -> Answer:
        time.sleep(0.5)
        return ok({})

    api.route("GET", "/api/slow", slow)

    with pytest.raises(RestTimeout, match="no answer within 0.1 s"):
        make_client(timeout_seconds=0.1, max_attempts=2).send("GET", "/slow")
    assert len(sleeps) == 1


def test_an_unreachable_server_raises_a_connection_error(sleeps):
    client = RestApiClient(base_url=f"http://127.0.0.1:{_closed_port()}/api", max_attempts=2)
    client._sleep = sleeps.append

    with pytest.raises(RestConnectionError, match="check base_url"):
        client.send("POST", "/orders", {"sku": "A"})
    # Nothing reached a server, so even a POST was tried again.
    assert len(sleeps) == 1


def test_an_empty_answer_is_none(api, make_client):
    api.route("POST", "/api/orders", lambda _: (204, {}, None))

    assert make_client().send("POST", "/orders", {"sku": "A"}) is None


def test_secrets_stay_out_of_repr_errors_and_logs(api, make_client, caplog):
    secrets = {"token": "t0k3n-SECRET", "password": "pa55-SECRET", "api_key": "k3y-SECRET"}
    api.answer_in_turn(
        "GET", "/api/orders", [(503, {}, None), (401, {}, {"message": "bad credentials"})]
    )
    clients = [
        make_client(auth="bearer", token=secrets["token"]),
        make_client(auth="basic", username="wms", password=secrets["password"]),
        make_client(auth="api_key", api_key=secrets["api_key"], headers={"X-Extra": "h-SECRET"}),
    ]

    errors = []
    with caplog.at_level(logging.DEBUG):
        for client in clients:
            with pytest.raises(RestHttpError) as caught:
                list(client.get_items("/orders", {"q": 1}))
            errors.append(str(caught.value))
    texts = [record.getMessage() for record in caplog.records] + errors
    texts += [repr(client) for client in clients] + [str(client) for client in clients]

    assert any("retrying" in record.getMessage() for record in caplog.records)
    assert not [text for text in texts if "SECRET" in text]


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"auth": "bearer"}, "auth bearer needs token"),
        ({"auth": "basic", "username": "wms"}, "auth basic needs password"),
        ({"paging": "cursor"}, "cursor paging needs cursor_path"),
        ({"base_url": "ftp://127.0.0.1/"}, "base_url must be an http"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_before_any_request(api, config, problem):
    client = RestApiClient(**{"base_url": api.base_url, **config})

    with pytest.raises(RestConfigError, match=problem):
        client.send("GET", "/me")
    assert api.requests == []


def test_retry_after_parsing_accepts_seconds_and_dates_only():
    from centra_pipelines.connectors.rest import retry_after_seconds

    now = time.time()
    later = format_datetime(parsedate_to_datetime("Wed, 21 Oct 2026 07:28:00 GMT"), usegmt=True)

    assert retry_after_seconds("7", now=now) == 7.0
    assert retry_after_seconds(later, now=parsedate_to_datetime(later).timestamp() - 3) == 3.0
    assert retry_after_seconds(later, now=parsedate_to_datetime(later).timestamp() + 3) == 0.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None, now=now) is None


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
