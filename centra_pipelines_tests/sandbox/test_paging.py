"""Keyset connections: writes between pages never skip or repeat an order."""

import base64
from datetime import date

from centra_pipelines_tests.sandbox.conftest import gql

PAGE = """query Page($after: String, $before: String, $first: Int, $last: Int) {
  orderConnection(first: $first, after: $after, last: $last, before: $before,
                  where: {marketId: [1], orderDate: {from: "2026-11-02T00:00:00+00:00",
                                                     to: "2026-11-02T23:59:59+00:00"}},
                  sort: [number_ASC]) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { number } }
  }
}"""


def _numbers(connection: dict) -> list[int]:
    return [edge["node"]["number"] for edge in connection["edges"]]


def test_cursor_is_base64_of_sort_key_and_value(sandbox):
    connection = gql(sandbox, PAGE, {"first": 1})["orderConnection"]

    number = connection["edges"][0]["node"]["number"]
    assert base64.b64decode(connection["edges"][0]["cursor"]).decode() == f"number:{number}"


def test_pages_survive_inserts_deletes_and_updates(make_sandbox):
    sandbox = make_sandbox(orders=1500)
    baseline = _numbers(gql(sandbox, PAGE, {"first": 200})["orderConnection"])
    assert len(baseline) > 12
    calls = []

    def write_between_pages(name, variables):
        calls.append(variables.get("after"))
        if len(calls) == 2:
            sandbox.control.delete_order(baseline[0])
            sandbox.control.create_orders(market_id=1, day=date(2026, 11, 2), count=3)
            sandbox.control.update_order(baseline[6], otherComment="Ändrad mellan sidor")

    sandbox.add_request_hook(write_between_pages)
    seen, after = [], None
    while True:
        connection = gql(sandbox, PAGE, {"first": 5, "after": after})["orderConnection"]
        seen.extend(_numbers(connection))
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    assert len(seen) == len(set(seen))
    assert seen[: len(baseline)] == baseline
    assert len(seen) == len(baseline) + 3


def test_backward_paging_with_last_and_before(sandbox):
    forward = _numbers(gql(sandbox, PAGE, {"first": 10})["orderConnection"])
    tail = gql(sandbox, PAGE, {"first": 10})["orderConnection"]["edges"][-1]["cursor"]

    backward = gql(sandbox, PAGE, {"last": 4, "before": tail})["orderConnection"]

    assert _numbers(backward) == forward[5:9]
    assert backward["pageInfo"]["hasPreviousPage"] is True
    assert backward["pageInfo"]["hasNextPage"] is True


def test_total_count_ignores_cursor(sandbox):
    first = gql(sandbox, PAGE, {"first": 3})["orderConnection"]
    second = gql(sandbox, PAGE, {"first": 3, "after": first["pageInfo"]["endCursor"]})

    assert second["orderConnection"]["totalCount"] == first["totalCount"]


UPDATED = """query Updated($after: String) {
  orderConnection(first: 100, after: $after, sort: [updatedAt_ASC],
                  where: {updatedAt: {from: "2026-11-01 00:00:00"}}) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { number } }
  }
}"""


def test_updated_at_sort_uses_a_compound_cursor_and_moves_touched_orders_last(make_sandbox):
    """Incremental sync by updatedAt: an order touched mid-sync is read again at the end."""
    sandbox = make_sandbox(orders=300)
    first = gql(sandbox, UPDATED)["orderConnection"]
    touched = first["edges"][0]["node"]["number"]
    sandbox.control.touch_orders([touched])
    seen, after = _numbers(first), first["pageInfo"]["endCursor"]
    while after:
        connection = gql(sandbox, UPDATED, {"after": after})["orderConnection"]
        seen.extend(_numbers(connection))
        after = (
            connection["pageInfo"]["endCursor"] if connection["pageInfo"]["hasNextPage"] else None
        )

    cursor = base64.b64decode(first["edges"][0]["cursor"]).decode()
    assert cursor.startswith("updatedAt:") and ",number:" in cursor
    assert seen.count(touched) == 2 and seen[-1] == touched
    assert len(set(seen)) == 300
