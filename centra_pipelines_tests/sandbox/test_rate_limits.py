"""Token buckets, 429 with Retry-After in each form, and the rateLimits invariant."""

import time
from email.utils import parsedate_to_datetime

import pytest

from centra_pipelines_tests.sandbox.conftest import gql, post

RATE_LIMITS = "{ rateLimits { type intervalSeconds quota usedQuota remainingQuota } }"
TINY_PLAN = {"REQUEST_COUNT": {"TEN_SECONDS": 3}}


def _drain(sandbox, requests_allowed: int):
    for _ in range(requests_allowed):
        assert post(sandbox, "{ stores { id } }").status_code == 200
    return post(sandbox, "{ stores { id } }")


@pytest.mark.parametrize("form", ["seconds", "http-date", "epoch"])
def test_drained_bucket_answers_429_with_retry_after(make_sandbox, form):
    sandbox = make_sandbox(plan=TINY_PLAN, retry_after_format=form, orders=20)

    response = _drain(sandbox, 3)

    assert response.status_code == 429
    value = response.headers["Retry-After"]
    if form == "seconds":
        assert 1 <= int(value) <= 10
    elif form == "http-date":
        delay = parsedate_to_datetime(value).timestamp() - time.time()
        assert -1 <= delay <= 11
    else:
        assert time.time() - 1 <= int(value) <= time.time() + 11
    assert "REQUEST_COUNT TEN_SECONDS" in response.json()["errors"][0]["message"]
    assert sandbox.metrics()["throttled"] == 1


def test_rejected_request_consumes_nothing(make_sandbox):
    sandbox = make_sandbox(plan={"REQUEST_COUNT": {"TEN_SECONDS": 2}}, orders=20)
    _drain(sandbox, 2)
    for _ in range(3):
        assert post(sandbox, "{ stores { id } }").status_code == 429

    hour = sandbox.app.limiter.snapshot()[1]

    assert hour["intervalSeconds"] == "ONE_HOUR"
    assert hour["usedQuota"] == 2


def test_rate_limits_invariant_and_request_accounting(make_sandbox):
    sandbox = make_sandbox(orders=20)
    gql(sandbox, "{ stores { id } }")

    rows = gql(sandbox, RATE_LIMITS)["rateLimits"]

    assert len(rows) == 6
    for row in rows:
        assert row["quota"] == row["usedQuota"] + row["remainingQuota"]
    by_key = {(row["type"], row["intervalSeconds"]): row for row in rows}
    assert by_key[("REQUEST_COUNT", "ONE_HOUR")]["usedQuota"] == 2
    assert sandbox.metrics()["complexity"] >= 12
    assert by_key[("REQUEST_COUNT", "TEN_SECONDS")]["quota"] == 60


def test_each_aliased_mutation_costs_a_mutation_token(make_sandbox):
    sandbox = make_sandbox(orders=20)
    setter = (
        '{alias}: setStock(input: {{warehouse: {{id: 1}}, description: "t", '
        "stockQuantityType: PHYSICAL, productVariants: [{{productVariant: {{id: 10}}, "
        'sizeStockLevels: [{{size: {{name: "M"}}, quantity: 5}}]}}]}}) '
        "{{ userErrors {{ message }} }}"
    )
    mutation = "mutation { " + " ".join(setter.format(alias=f"m{i}") for i in range(3)) + " }"

    assert post(sandbox, mutation).status_code == 200
    rows = gql(sandbox, RATE_LIMITS)["rateLimits"]

    used = {(r["type"], r["intervalSeconds"]): r["usedQuota"] for r in rows}
    assert used[("MUTATION_COUNT", "TEN_SECONDS")] == 3
    assert sandbox.metrics()["mutations"] == 3


def test_complexity_over_remaining_drains_bucket_to_zero(make_sandbox):
    sandbox = make_sandbox(plan={"QUERY_COMPLEXITY": {"TEN_SECONDS": 15}}, orders=20)

    first = post(sandbox, "{ orders(limit: 100) { id lines { id } } }")
    second = post(sandbox, "{ stores { id } }")

    assert first.status_code == 200
    assert second.status_code == 429
    assert "QUERY_COMPLEXITY TEN_SECONDS" in second.json()["errors"][0]["message"]


def test_named_plans_have_digest_quotas(make_sandbox):
    sandbox = make_sandbox(plan="fresh_instance", orders=20)

    rows = gql(sandbox, RATE_LIMITS)["rateLimits"]

    quotas = {(r["type"], r["intervalSeconds"]): r["quota"] for r in rows}
    assert quotas[("REQUEST_COUNT", "TEN_SECONDS")] == 20
    assert quotas[("MUTATION_COUNT", "TEN_SECONDS")] == 100
    assert quotas[("QUERY_COMPLEXITY", "ONE_HOUR")] == 20_000_000
