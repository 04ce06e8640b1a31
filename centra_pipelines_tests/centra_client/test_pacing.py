"""Proactive pacing: a client that knows the buckets never meets a 429 on a normal sync."""

import pytest

from centra_pipelines.centra.client.resource import RATE_LIMITS_QUERY
from centra_pipelines_tests.centra_client.conftest import Reply, envelope

QUERY = "query Markets { markets { id } }"


class EnforcedBucket:
    """A Centra-like token bucket on the stub side, driven by the test's fake clock."""

    def __init__(self, clock, *, quota: float, interval: float, cost) -> None:
        self.clock = clock
        self.quota = quota
        self.rate = quota / interval
        self.level = quota
        self.updated = clock.monotonic()
        self.cost = cost
        self.rejected = 0

    def respond(self, request, index) -> Reply:
        now = self.clock.monotonic()
        self.level = min(self.quota, self.level + (now - self.updated) * self.rate)
        self.updated = now
        cost, complexity = self.cost(request)
        if self.level < cost:
            self.rejected += 1
            return Reply({}, status=429, headers={"Retry-After": "1"})
        self.level -= cost
        return Reply(envelope({"markets": []}, complexity=complexity))


def test_a_tiny_request_bucket_sees_no_429_over_twenty_requests(stub, clock, make_client):
    bucket = EnforcedBucket(clock, quota=5, interval=10, cost=lambda request: (1, 10))
    stub.respond = bucket.respond
    client = make_client(quota_overrides={"REQUEST_COUNT/TEN_SECONDS": 5})

    for _ in range(20):
        client.execute(QUERY)

    assert bucket.rejected == 0
    assert client.usage.throttled == 0
    # 15 requests beyond the burst at 0.5 per second need 30 s; the margin adds a little.
    assert 30 <= clock.monotonic() <= 36
    assert client.usage.waited_seconds == pytest.approx(clock.monotonic())


def test_without_the_right_quota_the_same_bucket_throttles(stub, clock, make_client):
    """Proves the test above can fail: the default Growth plan would burst past 5 requests."""
    bucket = EnforcedBucket(clock, quota=5, interval=10, cost=lambda request: (1, 10))
    stub.respond = bucket.respond
    client = make_client()

    for _ in range(20):
        client.execute(QUERY)

    assert bucket.rejected > 0
    assert client.usage.throttled == bucket.rejected


def test_complexity_is_estimated_from_the_last_response_and_reconciled(stub, clock, make_client):
    bucket = EnforcedBucket(clock, quota=1000, interval=10, cost=lambda request: (400, 400))
    stub.respond = bucket.respond
    client = make_client(quota_overrides={"QUERY_COMPLEXITY/TEN_SECONDS": 1000})

    for _ in range(10):
        client.execute(QUERY)

    assert bucket.rejected == 0
    assert client.usage.complexity == 4000
    assert clock.monotonic() >= (4000 - 1000) / 100


def test_aliased_mutations_each_take_a_mutation_token(stub, clock, make_client):
    three = (
        "mutation { a: setStock(input: {}) { userErrors { message } } "
        "b: setStock(input: {}) { userErrors { message } } "
        "c: setStock(input: {}) { userErrors { message } } }"
    )

    def cost(request):
        return (3, 10) if request.body["query"] == three else (0, 10)

    bucket = EnforcedBucket(clock, quota=6, interval=10, cost=cost)
    stub.respond = bucket.respond
    client = make_client(quota_overrides={"MUTATION_COUNT/TEN_SECONDS": 6})

    for _ in range(5):
        client.execute(three)

    assert bucket.rejected == 0
    assert client.usage.mutations == 15


def rate_limits(**overrides) -> list[dict]:
    quotas = {
        ("REQUEST_COUNT", "TEN_SECONDS"): 20,
        ("REQUEST_COUNT", "ONE_HOUR"): 10_000,
        ("QUERY_COMPLEXITY", "TEN_SECONDS"): 150_000,
        ("QUERY_COMPLEXITY", "ONE_HOUR"): 20_000_000,
        ("MUTATION_COUNT", "TEN_SECONDS"): 100,
        ("MUTATION_COUNT", "ONE_HOUR"): 1_000,
    }
    return [
        {
            "type": kind,
            "intervalSeconds": interval,
            "quota": quota,
            "usedQuota": 0,
            "remainingQuota": overrides.get(f"{kind}/{interval}", quota),
        }
        for (kind, interval), quota in quotas.items()
    ]


def test_refresh_rate_limits_adopts_the_environments_quotas_times_the_share(stub, make_client):
    stub.script(Reply(envelope({"rateLimits": rate_limits()})))
    client = make_client(rate_share=0.5)

    adopted = client.refresh_rate_limits()

    assert stub.requests[0].body["query"] == RATE_LIMITS_QUERY
    assert adopted["REQUEST_COUNT/TEN_SECONDS"] == 20
    assert adopted["MUTATION_COUNT/ONE_HOUR"] == 1_000
    capacities = client._ready().budget.capacities()
    assert capacities["REQUEST_COUNT/TEN_SECONDS"] == pytest.approx(20 * 0.5 * 0.9)
    assert capacities["QUERY_COMPLEXITY/ONE_HOUR"] == pytest.approx(20_000_000 * 0.5 * 0.9)


def test_refresh_rate_limits_starts_from_what_the_environment_has_left(stub, clock, make_client):
    drained = rate_limits(**{"REQUEST_COUNT/TEN_SECONDS": 0})
    stub.script(Reply(envelope({"rateLimits": drained})), Reply(envelope({"markets": []})))
    client = make_client()

    client.refresh_rate_limits()
    client.execute(QUERY)

    # The first request waits for one token to refill at 20 × 0.9 per 10 s.
    assert clock.sleeps[-1] == pytest.approx(1 / 1.8)


def test_the_first_request_reads_the_environments_rate_limits_once(stub, make_client):
    """Centra may lower limits temporarily; pacing by the published plan would then get 429s."""
    drained = rate_limits(**{"REQUEST_COUNT/TEN_SECONDS": 0})
    stub.script(
        Reply(envelope({"rateLimits": drained})),
        Reply(envelope({"markets": []})),
        Reply(envelope({"markets": []})),
    )
    client = make_client(read_rate_limits=True)

    client.execute(QUERY)
    client.execute(QUERY)

    queries = [request.body["query"] for request in stub.requests]
    assert queries == [RATE_LIMITS_QUERY, QUERY, QUERY]
    assert client.usage.requests == 3


def test_a_429_holds_every_following_request_until_retry_after(stub, clock, make_client):
    stub.script(Reply({}, status=429, headers={"Retry-After": "4"}), Reply(envelope({})))
    client = make_client()

    client.execute(QUERY)
    client.execute(QUERY)

    assert clock.sleeps == [4.0]
    assert len(stub.requests) == 3


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"plan": "platinum"}, "one of enhanced, enterprise, growth, high_volume, standard"),
        ({"quota_overrides": {"REQUESTS/TEN": 1}}, "valid keys are"),
        ({"rate_share": 0}, "rate_share must be in"),
        ({"page_size": 0}, "outside Centra's range"),
    ],
)
def test_bad_configuration_is_refused_with_the_valid_choices(make_client, config, message):
    with pytest.raises(ValueError, match=message):
        make_client(**config).execute(QUERY)
