"""API cost accounting: what `usage` and `measure()` report is exactly what was spent."""

import pytest

from centra_pipelines.centra.client import ApiUsage
from centra_pipelines_tests.centra_client.conftest import Reply, envelope

QUERY = "query Orders { orders { id } }"
MUTATION = "mutation { a: setStock(input: {}) { userErrors { message } } }"


def test_usage_counts_complexity_and_permissions_from_extensions(stub, make_client) -> None:
    stub.script(
        Reply(envelope({"orders": []}, complexity=121, permissions=("Order:read",))),
        Reply(envelope({"orders": []}, complexity=53, permissions=("Order:read", "Shipment:read"))),
    )
    client = make_client()

    client.execute(QUERY)
    client.execute(QUERY)

    assert client.usage == ApiUsage(
        requests=2,
        complexity=174,
        permissions_used={"Order:read": 2, "Shipment:read": 1},
    )


def test_measure_reports_exactly_what_the_block_spent(stub, clock, make_client) -> None:
    stub.script(
        Reply(envelope({"orders": []}, complexity=40, permissions=("Order:read",))),
        Reply({}, status=429, headers={"Retry-After": "2"}),
        Reply(envelope({"orders": []}, complexity=30, permissions=("Order:read",))),
        Reply(
            envelope({"a": {"userErrors": []}}, complexity=5, permissions=("StockChange:write",))
        ),
        Reply(envelope({"orders": []}, complexity=99)),
    )
    client = make_client()
    client.execute(QUERY)

    with client.measure() as cost:
        client.execute(QUERY)
        client.mutate(MUTATION, payload_field="a")
        assert cost == ApiUsage(), "the delta is filled when the block exits"
    client.execute(QUERY)

    assert cost == ApiUsage(
        requests=3,
        complexity=35,
        mutations=1,
        throttled=1,
        retries=1,
        waited_seconds=pytest.approx(2.0),
        permissions_used={"Order:read": 1, "StockChange:write": 1},
    )
    assert client.usage.requests == 5


def test_measure_fills_the_delta_even_when_the_block_raises(stub, make_client) -> None:
    stub.script(Reply(envelope({"orders": []}, complexity=7)))
    client = make_client()

    with pytest.raises(RuntimeError), client.measure() as cost:
        client.execute(QUERY)
        raise RuntimeError("asset failed after one call")

    assert (cost.requests, cost.complexity) == (1, 7)


def test_usage_is_a_snapshot_not_a_live_view(stub, make_client) -> None:
    client = make_client()
    before = client.usage

    client.execute(QUERY)

    assert before.requests == 0
    assert client.usage.requests == 1
