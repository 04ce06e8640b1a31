"""Retries, Retry-After, timeouts and the rule that an uncertain mutation is never resent."""

import email.utils
import logging
import socket

import pytest

from centra_pipelines.centra.client import errors
from centra_pipelines_tests.centra_client.conftest import TOKEN, Reply, envelope

QUERY = "query Markets { markets { id } }"
MUTATION = (
    "mutation SetStock($input: StockInput!) { setStock(input: $input) { userErrors { message } } }"
)
OK = Reply(envelope({"markets": [{"id": 1}]}))
MUTATION_OK = Reply(envelope({"setStock": {"userErrors": [], "userWarnings": []}}))
# The fake wall clock starts 7 s before this moment.
RETRY_MOMENT = 1_795_000_000


@pytest.mark.parametrize(
    ("retry_after", "expected_wait"),
    [
        ("7", 7.0),
        ("1.5", 1.5),
        (email.utils.formatdate(RETRY_MOMENT, usegmt=True), 7.0),
        (str(RETRY_MOMENT), 7.0),
    ],
    ids=["delta-seconds", "delta-fraction", "http-date", "unix-epoch"],
)
def test_a_429_is_retried_once_after_the_wait_retry_after_names(
    stub, clock, make_client, retry_after, expected_wait
) -> None:
    """Guards that every Retry-After form Centra may use leads to exactly the wait it asks for."""
    stub.script(Reply({"errors": []}, status=429, headers={"Retry-After": retry_after}), OK)
    client = make_client()

    assert client.execute(QUERY) == {"markets": [{"id": 1}]}

    assert len(stub.requests) == 2
    assert clock.sleeps == [pytest.approx(expected_wait)]
    usage = client.usage
    assert (usage.throttled, usage.retries) == (1, 1)
    assert usage.waited_seconds == pytest.approx(expected_wait)


def test_a_retry_after_in_the_past_never_becomes_a_negative_sleep(stub, clock, make_client):
    stub.script(Reply({}, status=429, headers={"Retry-After": "Mon, 01 Jan 2001 00:00:00 GMT"}), OK)

    make_client().execute(QUERY)

    assert len(stub.requests) == 2
    assert all(0 <= wait < 1 for wait in clock.sleeps)


def test_an_absurd_retry_after_fails_at_once_with_advice(stub, clock, make_client) -> None:
    stub.script(Reply({}, status=429, headers={"Retry-After": "7200"}))

    with pytest.raises(errors.CentraRateLimited, match="beyond the 1 h cap") as raised:
        make_client().execute(QUERY)

    assert "rate_share" in str(raised.value)
    assert len(stub.requests) == 1
    assert clock.sleeps == []


def test_a_5xx_is_retried_after_a_jittered_backoff(stub, clock, make_client, caplog) -> None:
    stub.script(Reply({"oops": True}, status=503), OK)

    with caplog.at_level(logging.WARNING):
        assert make_client().execute(QUERY) == {"markets": [{"id": 1}]}

    assert len(stub.requests) == 2
    assert clock.sleeps == [0.5]
    assert "HTTP 503" in caplog.text
    assert "retrying in 0.5 s" in caplog.text


def test_429s_until_attempts_run_out_raise_rate_limited(stub, clock, make_client) -> None:
    stub.script(Reply({}, status=429, headers={"Retry-After": "2"}))

    with pytest.raises(errors.CentraRateLimited, match="after 3 attempt") as raised:
        make_client(max_attempts=3).execute(QUERY)

    assert "rate_share" in str(raised.value)
    assert len(stub.requests) == 3
    assert clock.sleeps == [2.0, 2.0]


def test_5xx_until_attempts_run_out_raise_unavailable(stub, clock, make_client) -> None:
    stub.script(Reply({}, status=502))

    with pytest.raises(errors.CentraUnavailable, match="CENTRA_API_URL") as raised:
        make_client(max_attempts=4, max_backoff_seconds=1.0).execute(QUERY)

    assert "HTTP 502" in str(raised.value)
    assert len(stub.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 1.0]


@pytest.mark.parametrize(
    "broken",
    [Reply(envelope({"markets": []}), truncate=True), Reply(b'{"data": {"mark')],
    ids=["body-shorter-than-content-length", "undecodable-json"],
)
def test_a_truncated_query_response_is_retried(stub, make_client, broken) -> None:
    stub.script(broken, OK)

    assert make_client().execute(QUERY) == {"markets": [{"id": 1}]}
    assert len(stub.requests) == 2


def test_a_mutation_that_times_out_is_not_resent(stub, make_client) -> None:
    """Guards against applying a stock change twice: the first one may have been committed."""
    stub.script(Reply(MUTATION_OK.body, delay_seconds=1.0))
    client = make_client(timeout_seconds=0.2)

    with pytest.raises(errors.CentraMutationOutcomeUnknown, match="Check the affected objects"):
        client.mutate(MUTATION, variables={"input": {}}, payload_field="setStock")

    assert len(stub.requests) == 1
    assert client.usage.retries == 0


@pytest.mark.parametrize(
    "broken",
    [Reply({}, status=502), Reply(MUTATION_OK.body, truncate=True)],
    ids=["gateway-error", "truncated-body"],
)
def test_a_mutation_that_may_have_run_is_not_resent(stub, make_client, broken) -> None:
    stub.script(broken, MUTATION_OK)

    with pytest.raises(errors.CentraMutationOutcomeUnknown):
        make_client().mutate(MUTATION, payload_field="setStock")

    assert len(stub.requests) == 1


def test_a_mutation_refused_with_429_is_resent(stub, clock, make_client) -> None:
    """Centra's limiter rejects before executing, so resending cannot apply a mutation twice."""
    stub.script(Reply({}, status=429, headers={"Retry-After": "3"}), MUTATION_OK)

    payload = make_client().mutate(MUTATION, payload_field="setStock")

    assert payload == {"userErrors": [], "userWarnings": []}
    assert len(stub.requests) == 2
    assert clock.sleeps == [3.0]


def test_a_mutation_that_could_not_connect_is_retried_then_reported_unavailable(
    clock, make_client
) -> None:
    """A refused connection means nothing was sent, so even a mutation may be sent again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(max_attempts=3)
    client = client.model_copy(update={"api_url": f"http://127.0.0.1:{closed_port}/graphql"})
    client._sleep = clock.sleep
    client._random = lambda: 1.0

    with pytest.raises(errors.CentraUnavailable, match="could not connect"):
        client.mutate(MUTATION, payload_field="setStock")

    assert client.usage.requests == 3


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_not_retried_and_says_what_to_check(stub, make_client, status) -> None:
    stub.script(Reply({"message": "Unauthorized"}, status=status))

    with pytest.raises(errors.CentraAuthenticationError, match="CENTRA_API_TOKEN") as raised:
        make_client().execute(QUERY)

    assert "30 days" in str(raised.value)
    assert len(stub.requests) == 1


def test_the_token_is_sent_as_bearer_and_never_logged(stub, make_client, caplog) -> None:
    stub.script(Reply({}, status=500), OK)

    with caplog.at_level(logging.DEBUG):
        make_client().execute(QUERY, variables={"x": 1})

    assert stub.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert stub.requests[0].body == {"query": QUERY, "variables": {"x": 1}}
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(make_client())
    assert "POST Markets" in caplog.text


def test_keep_alive_reuses_one_connection(stub, make_client) -> None:
    client = make_client()
    for _ in range(3):
        client.execute(QUERY)

    assert len({request.client_port for request in stub.requests}) == 1
