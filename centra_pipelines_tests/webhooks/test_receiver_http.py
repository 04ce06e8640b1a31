"""The receiver over real HTTP on 127.0.0.1: what it accepts, what it refuses, what it stores."""

import logging
import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from centra_pipelines.webhooks import ReceiverSettings, WebhookInbox, start_receiver
from centra_pipelines.webhooks.signature import SIGNATURE_HEADER, sign
from centra_pipelines_tests.webhooks.helpers import (
    FORM,
    SECRET,
    TIMEOUT,
    deliver,
    form,
    integration_events,
    post,
    signed_headers,
)

MAX_BODY = 4096


def settings_for(inbox_url: str, **overrides) -> ReceiverSettings:
    values = {"secret": SECRET, "inbox_url": inbox_url, "port": 0, "max_body_bytes": MAX_BODY}
    return ReceiverSettings(**{**values, **overrides})


@pytest.fixture
def inbox_path(tmp_path) -> Path:
    return tmp_path / "inbox.sqlite"


@pytest.fixture
def receiver(inbox_path):
    with start_receiver(settings_for(f"sqlite:///{inbox_path}")) as running:
        yield running


@pytest.fixture(scope="module")
def refusing_receiver(tmp_path_factory):
    """One receiver shared by the tests of refusals, which must all leave its inbox empty."""
    inbox_url = f"sqlite:///{tmp_path_factory.mktemp('refusals')}/inbox.sqlite"
    with start_receiver(settings_for(inbox_url)) as running:
        yield running


def assert_nothing_stored(receiver) -> None:
    assert receiver.inbox.count() == 0
    assert receiver.inbox.delivery_count() == 0


def test_accepted_integration_delivery_is_in_the_inbox(receiver):
    response = deliver(receiver.url, integration_events(2735, 1902))

    assert response.status_code == 200
    assert response.json()["stored"] == 2
    assert response.json()["duplicates"] == 0
    stored = receiver.inbox.events_after(0, 10)
    assert [(e.kind, e.type, e.action, e.object_id) for e in stored] == [
        ("integration", "order", "update", "2735"),
        ("integration", "order", "update", "1902"),
    ]
    assert stored[0].delivery_id == response.json()["delivery_id"]


def test_accepted_checkout_delivery_is_in_the_inbox(receiver):
    response = deliver(receiver.url, {"products": ["1", "6"], "markets": ["3"]})

    assert response.status_code == 200
    assert response.json()["stored"] == 3
    assert [(e.type, e.object_id) for e in receiver.inbox.events_after(0, 10)] == [
        ("products", "1"),
        ("products", "6"),
        ("markets", "3"),
    ]


def test_signature_over_the_raw_body_as_received(receiver):
    """Centra's plus-encoded spaces must be verified as sent, not after re-encoding."""
    body = "payload=%7B%22warehouses%22%3A+%5B%22a+b%22%5D%7D"
    response = post(receiver.url, body, signed_headers(body))
    assert response.status_code == 200
    assert receiver.inbox.events_after(0, 1)[0].object_id == "a b"


def _now() -> int:
    return int(time.time())


BODY = form(integration_events(1))
REJECTIONS = {
    "forged with another secret": (
        lambda: signed_headers(BODY, secret="not-the-secret"),
        BODY,
        401,
        "bad_signature",
    ),
    "replayed after the tolerance": (
        lambda: signed_headers(BODY, timestamp=_now() - 301),
        BODY,
        401,
        "stale_timestamp",
    ),
    "signed in the future": (
        lambda: signed_headers(BODY, timestamp=_now() + 400),
        BODY,
        401,
        "future_timestamp",
    ),
    "unsigned": (lambda: {"Content-Type": FORM}, BODY, 401, "missing_signature"),
    "malformed signature": (
        lambda: {"Content-Type": FORM, SIGNATURE_HEADER: "sha256=abc"},
        BODY,
        401,
        "malformed_signature",
    ),
    "body altered after signing": (
        lambda: signed_headers(BODY),
        BODY.replace("order", "ordeR"),
        401,
        "bad_signature",
    ),
    "signed payload that is not JSON": (
        lambda: signed_headers("payload=%7Bnope"),
        "payload=%7Bnope",
        400,
        "malformed_payload",
    ),
    "signed payload of the wrong shape": (
        lambda: signed_headers(form({"events": [{"type": "order"}]})),
        form({"events": [{"type": "order"}]}),
        400,
        "malformed_payload",
    ),
    "JSON content type": (
        lambda: {**signed_headers(BODY), "Content-Type": "application/json"},
        BODY,
        415,
        "unsupported_content_type",
    ),
    "oversized with honest Content-Length": (
        lambda: signed_headers("payload=" + "x" * MAX_BODY),
        "payload=" + "x" * MAX_BODY,
        413,
        "body_too_large",
    ),
    "oversized and chunked, without Content-Length": (
        lambda: signed_headers(b"payload=" + b"x" * 5 * MAX_BODY),
        lambda: iter([b"payload="] + [b"x" * MAX_BODY] * 5),
        413,
        "body_too_large",
    ),
}


@pytest.mark.parametrize("case", REJECTIONS, ids=list(REJECTIONS))
def test_rejected_deliveries_store_nothing(refusing_receiver, case):
    make_headers, body, status, reason = REJECTIONS[case]

    response = post(refusing_receiver.url, body() if callable(body) else body, make_headers())

    assert response.status_code == status
    assert response.json()["error"] == reason
    assert SECRET not in response.text
    assert_nothing_stored(refusing_receiver)


def test_wrong_method_is_405(refusing_receiver):
    url = refusing_receiver.url
    assert requests.get(url, timeout=TIMEOUT).status_code == 405
    assert (
        requests.put(url, data=BODY, headers=signed_headers(BODY), timeout=TIMEOUT).status_code
        == 405
    )
    assert_nothing_stored(refusing_receiver)


def raw_request(receiver, head: str, body: bytes = b"") -> bytes:
    """Send bytes as they are (requests would correct the headers) and return the status."""
    with socket.create_connection((receiver.host, receiver.port), timeout=TIMEOUT) as conn:
        conn.sendall(head.encode() + body)
        return conn.recv(4096).split(b"\r\n", 1)[0].split()[1]


def test_declared_size_over_the_limit_is_refused_before_the_body_arrives(refusing_receiver):
    head = (
        f"POST {refusing_receiver.settings.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {FORM}\r\n{SIGNATURE_HEADER}: {sign(b'', SECRET)}\r\n"
        f"Content-Length: {MAX_BODY + 1}\r\n\r\n"
    )
    # No body follows: without the Content-Length check the receiver would wait for it.
    assert raw_request(refusing_receiver, head) == b"413"
    assert_nothing_stored(refusing_receiver)


def test_lying_content_length_cannot_smuggle_a_larger_body(refusing_receiver):
    """Only the declared bytes are read as the body; the rest is never taken for a delivery."""
    body = form(integration_events(*range(400))).encode()
    assert len(body) > MAX_BODY
    head = (
        f"POST {refusing_receiver.settings.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {FORM}\r\n{SIGNATURE_HEADER}: {sign(body, SECRET)}\r\n"
        "Content-Length: 64\r\n\r\n"
    )
    assert raw_request(refusing_receiver, head, body) in (b"400", b"401", b"413")
    assert_nothing_stored(refusing_receiver)


def test_duplicate_delivery_stores_nothing_new(receiver):
    body = form(integration_events(1, 2, 3))
    headers = signed_headers(body)

    first = post(receiver.url, body, headers)
    redelivered = post(receiver.url, body, headers)
    resigned = deliver(receiver.url, integration_events(1, 2, 3), timestamp=_now() + 5)

    assert first.json()["stored"] == 3
    assert (redelivered.json()["stored"], redelivered.json()["duplicates"]) == (0, 3)
    assert (resigned.json()["stored"], resigned.json()["duplicates"]) == (0, 3)
    assert receiver.inbox.count() == 3
    assert receiver.inbox.delivery_count() == 3


def test_checkout_change_signed_later_is_stored_again(receiver):
    deliver(receiver.url, {"products": ["1"]}, timestamp=_now() - 10)
    later = deliver(receiver.url, {"products": ["1"]})
    assert later.json()["stored"] == 1
    assert receiver.inbox.count() == 2


def test_burst_of_concurrent_deliveries_loses_nothing(receiver):
    threads, deliveries_each, events_each = 40, 2, 5
    barrier = threading.Barrier(threads)

    def sender(worker: int) -> list[int]:
        with requests.Session() as session:
            barrier.wait()
            statuses = []
            for delivery in range(deliveries_each):
                first = (worker * deliveries_each + delivery) * events_each
                ids = range(first, first + events_each)
                statuses.append(deliver(receiver.url, integration_events(*ids), session))
            return statuses

    with ThreadPoolExecutor(threads) as pool:
        responses = [r for batch in pool.map(sender, range(threads)) for r in batch]

    total = threads * deliveries_each * events_each
    assert {r.status_code for r in responses} == {200}
    assert sum(r.json()["stored"] for r in responses) == total
    assert receiver.inbox.count() == total
    stored = receiver.inbox.events_after(0, total)
    assert sorted(int(e.object_id) for e in stored) == list(range(total))


def test_health_reports_count_and_last_id(receiver):
    assert requests.get(receiver.health_url, timeout=TIMEOUT).json() == {
        "status": "ok",
        "events": 0,
        "last_event_id": 0,
    }
    deliver(receiver.url, integration_events(1, 2))

    health = requests.get(receiver.health_url, timeout=TIMEOUT)

    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "events": 2,
        "last_event_id": receiver.inbox.last_event_id(),
    }


def test_logs_carry_ids_and_counts_never_bodies_or_secrets(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    personal = "jane.doe@example.com"

    accepted = deliver(receiver.url, {"customers": [personal]})
    refused = deliver(receiver.url, {"customers": [personal, 4.5]})

    assert accepted.status_code == 200 and refused.status_code == 400
    text = caplog.text
    assert accepted.json()["delivery_id"] in text
    assert refused.json()["delivery_id"] in text
    assert "1 events, 1 new, 0 duplicates" in text
    assert "400 malformed_payload" in text
    for secret_or_personal in (personal, "jane.doe%40example.com", SECRET, "payload="):
        assert secret_or_personal not in text


def test_inbox_locked_by_another_writer_answers_503_then_recovers(inbox_path, tmp_path):
    inbox = WebhookInbox(f"sqlite:///{inbox_path}", busy_timeout_seconds=0.3)
    with start_receiver(settings_for(f"sqlite:///{inbox_path}"), inbox=inbox) as receiver:
        blocker = sqlite3.connect(inbox_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            refused = deliver(receiver.url, integration_events(1))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        retried = deliver(receiver.url, integration_events(1))

    assert refused.status_code == 503
    assert refused.json()["error"] == "inbox_unavailable"
    assert str(inbox_path) not in refused.text
    assert retried.status_code == 200
    assert retried.json()["stored"] == 1
    assert inbox.delivery_count() == 1
    inbox.close()


def test_a_slow_inbox_write_does_not_block_other_requests(inbox_path):
    """The write runs in a worker thread, so the event loop keeps answering meanwhile."""
    inbox = WebhookInbox(f"sqlite:///{inbox_path}", busy_timeout_seconds=10)
    with start_receiver(settings_for(f"sqlite:///{inbox_path}"), inbox=inbox) as receiver:
        blocker = sqlite3.connect(inbox_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(deliver, receiver.url, integration_events(1))
            time.sleep(0.2)
            started = time.monotonic()
            health = requests.get(receiver.health_url, timeout=TIMEOUT)
            answered_in = time.monotonic() - started
            still_waiting = not pending.done()
            blocker.execute("ROLLBACK")
            blocker.close()
            delivered = pending.result(timeout=TIMEOUT)

    assert still_waiting
    assert health.status_code == 200 and answered_in < 1.0
    assert delivered.status_code == 200
    inbox.close()


def test_receiver_on_postgresql(postgres_url):
    with start_receiver(settings_for(postgres_url)) as receiver:
        first = deliver(receiver.url, integration_events(1, 2))
        again = deliver(receiver.url, integration_events(1, 2), timestamp=_now() + 1)
        health = requests.get(receiver.health_url, timeout=TIMEOUT).json()

        assert (first.status_code, first.json()["stored"]) == (200, 2)
        assert (again.json()["stored"], again.json()["duplicates"]) == (0, 2)
        assert health["events"] == 2
        assert [e.object_id for e in receiver.inbox.events_after(0, 10)] == ["1", "2"]
