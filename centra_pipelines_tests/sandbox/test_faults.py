"""Fault injection: scripted statuses, Retry-After values, drops, truncation, slowness."""

import time

import pytest
import requests

from centra_pipelines_tests.sandbox.conftest import post
from centra_sandbox import Fault


def test_scripted_faults_apply_in_order_then_stop(make_sandbox):
    sandbox = make_sandbox(orders=20)
    sandbox.faults.throttle_next(retry_after="Wed, 02 Dec 2026 10:00:00 GMT")
    sandbox.faults.throttle_next(retry_after_seconds=7, retry_after_format="epoch")
    sandbox.faults.fail_next(503)

    first, second, third, fourth = (post(sandbox, "{ stores { id } }") for _ in range(4))

    assert (first.status_code, first.headers["Retry-After"]) == (
        429,
        "Wed, 02 Dec 2026 10:00:00 GMT",
    )
    assert second.status_code == 429 and int(second.headers["Retry-After"]) >= time.time() + 6
    assert third.status_code == 503
    assert fourth.status_code == 200
    metrics = sandbox.metrics()
    assert metrics["faults"] == 3 and metrics["requests"] == 4 and metrics["throttled"] == 2


def test_dropped_and_truncated_responses_fail_on_the_client(make_sandbox):
    sandbox = make_sandbox(orders=20)
    sandbox.faults.script(Fault("drop"), Fault("truncate"))

    with pytest.raises(requests.exceptions.ConnectionError):
        post(sandbox, "{ stores { id } }")
    with pytest.raises(requests.exceptions.RequestException):
        post(sandbox, "{ products(limit: 50) { id name } }").json()
    assert post(sandbox, "{ stores { id } }").status_code == 200


def test_slow_response_still_answers(make_sandbox):
    sandbox = make_sandbox(orders=20)
    sandbox.faults.slow_next(0.3)
    started = time.perf_counter()

    response = post(sandbox, "{ stores { id } }")

    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_seeded_fault_rates_are_reproducible(make_sandbox):
    outcomes = []
    for _ in range(2):
        sandbox = make_sandbox(orders=20)
        sandbox.faults.set_rates(seed=3, error=0.3, throttle=0.2)
        outcomes.append([post(sandbox, "{ stores { id } }").status_code for _ in range(20)])

    assert outcomes[0] == outcomes[1]
    assert {200, 429} <= set(outcomes[0]) and set(outcomes[0]) - {200, 429}
