"""The local help desk: authentication, paging and the updated-since filter, over HTTP."""

from datetime import UTC, datetime

import pytest
import requests

from centra_pipelines.connectors.rest import RestApiClient, RestHttpError
from sandbox_systems.support import start_support

ORDERS = [{"number": 40000 + n, "email": f"shopper{n}@example.com"} for n in range(30)]
CUSTOMERS = [{"email": f"shopper{n}@example.com"} for n in range(30)]
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def desk():
    with start_support(
        ORDERS, CUSTOMERS, seed=3, username="centra", password="s3cret", clock=lambda: START
    ) as running:
        yield running


def client(desk, **overrides) -> RestApiClient:
    settings = {
        "base_url": desk.url,
        "auth": "bearer",
        "token": desk.token,
        "paging": "cursor",
        "items_path": "tickets",
        "cursor_path": "next_cursor",
        "max_attempts": 1,
    }
    return RestApiClient(**{**settings, **overrides})


def test_the_same_orders_customers_and_seed_give_the_same_tickets():
    with (
        start_support(ORDERS, CUSTOMERS, seed=3, clock=lambda: START) as one,
        start_support(ORDERS, CUSTOMERS, seed=3, clock=lambda: START) as other,
    ):
        tickets = one.desk.tickets()
        assert other.desk.tickets() == tickets
    assert {t["channel"] for t in tickets} == {"email", "chat", "phone"}
    assert any(t["order_number"] for t in tickets) and any(not t["order_number"] for t in tickets)


def test_paging_with_the_cursor_returns_every_ticket_once_in_change_order(desk):
    paged = list(client(desk).get_items("/api/v1/tickets", {"limit": 3}))

    assert [t["id"] for t in paged] == [t["id"] for t in desk.desk.tickets()]
    assert len(paged) > 3  # more than one page was read
    assert [t["updated_at"] for t in paged] == sorted(t["updated_at"] for t in paged)


def test_updated_since_returns_only_tickets_changed_from_that_time(desk):
    middle = desk.desk.tickets()[len(desk.desk.tickets()) // 2]["updated_at"]
    expected = [t["id"] for t in desk.desk.tickets() if t["updated_at"] >= middle]

    since = list(client(desk).get_items("/api/v1/tickets", {"updated_since": middle}))

    assert [t["id"] for t in since] == expected


def test_a_changed_ticket_moves_after_every_other_one(desk):
    first = desk.desk.tickets()[0]
    changed = desk.desk.update_ticket(first["id"], status="closed")

    assert changed["updated_at"] > max(t["updated_at"] for t in desk.desk.tickets()[:-1])
    assert desk.desk.tickets()[-1]["id"] == first["id"]
    since = list(
        client(desk).get_items("/api/v1/tickets", {"updated_since": changed["updated_at"]})
    )
    assert [t["status"] for t in since] == ["closed"]


def test_basic_credentials_are_accepted_and_wrong_ones_refused(desk):
    basic = client(desk, auth="basic", token=None, username="centra", password="s3cret")
    assert len(list(basic.get_items("/api/v1/tickets"))) == len(desk.desk.tickets())

    for wrong in (client(desk, token="guess"), client(desk, auth="none", token=None)):
        with pytest.raises(RestHttpError) as refused:
            list(wrong.get_items("/api/v1/tickets"))
        assert refused.value.status == 401


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"updated_since": "yesterday"}, {"cursor": "not-ours"}],
)
def test_bad_parameters_are_refused_with_a_reason(desk, params):
    headers = {"Authorization": f"Bearer {desk.token}"}
    response = requests.get(f"{desk.url}/api/v1/tickets", params=params, headers=headers)

    assert response.status_code == 400
    assert response.json()["message"]
