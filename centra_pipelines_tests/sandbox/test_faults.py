"""Fault injection: scripted statuses, Retry-After values, drops, truncation, slowness, storms,
and random rates set when the sandbox starts."""

import contextlib
import time

import pytest
import requests

from centra_pipelines_tests.sandbox.conftest import post
from centra_sandbox import Fault, FaultRates, SandboxConfigError
from centra_sandbox.__main__ import fault_rates, parse_args


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


def test_a_storm_answers_429_to_that_many_requests_in_a_row(make_sandbox):
    """A 429 storm is consecutive 429s (an exhausted shared quota), not scattered ones."""
    rates = FaultRates(seed=1, storm=0.2, storm_length=4, retry_after_seconds=0)
    sandbox = make_sandbox(orders=20, faults=rates)

    statuses = [post(sandbox, "{ stores { id } }") for _ in range(30)]

    codes = "".join("T" if r.status_code == 429 else "." for r in statuses)
    runs = [len(run) for run in codes.split(".") if run]
    assert runs and all(length % 4 == 0 for length in runs), codes
    assert {r.headers["Retry-After"] for r in statuses if r.status_code == 429} == {"0"}
    assert sandbox.faults.injected_by_name() == {"storm": codes.count("T")}


def test_faults_set_at_start_are_counted_by_name(make_sandbox):
    rates = FaultRates(seed=5, error=0.2, drop=0.1, truncate=0.1, slow=0.1, slow_seconds=0.01)
    sandbox = make_sandbox(orders=20, faults=rates)
    sandbox.faults.throttle_next()

    for _ in range(40):
        with contextlib.suppress(requests.RequestException, ValueError):
            post(sandbox, "{ stores { id } }").json()

    counted = sandbox.faults.injected_by_name()
    assert counted["throttle"] == 1
    assert all(counted.get(name, 0) > 0 for name in ("error", "drop", "truncate", "slow"))
    assert sum(counted.values()) == sandbox.faults.injected == sandbox.metrics()["faults"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"error": 0.7, "drop": 0.4}, "sum to at most 1"),
        ({"slow": -0.1}, "probabilities from 0 to 1"),
        ({"storm": 0.1, "storm_length": 1}, "storm_length must be at least 2"),
        ({"slow": 0.1, "slow_seconds": 0}, "slow_seconds must be above 0"),
        ({"throttle": 0.1, "retry_after_seconds": -1}, "retry_after_seconds must be from 0"),
    ],
)
def test_invalid_fault_rates_say_what_to_fix(settings, message):
    with pytest.raises(SandboxConfigError, match=message):
        FaultRates(**settings)


def test_the_command_line_sets_fault_rates():
    args = parse_args(["--error-rate", "0.05", "--storm-rate=0.01", "--storm-length=6"])

    rates = fault_rates(args)

    assert (rates.error, rates.storm, rates.storm_length) == (0.05, 0.01, 6)
    assert fault_rates(parse_args([])) is None
    with pytest.raises(SandboxConfigError, match="sum to at most 1"):
        fault_rates(parse_args(["--drop-rate=0.6", "--truncate-rate=0.6"]))


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error_not_a_traceback(port, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--port", port])

    assert exit_.value.code == 2 and "--port" in capsys.readouterr().err
