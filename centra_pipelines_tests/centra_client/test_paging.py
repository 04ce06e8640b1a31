"""Page streams: limit/page lists deduplicated by key, Relay connections followed by cursor."""

import logging
import time

import pytest

from centra_pipelines.centra.client import errors
from centra_pipelines_tests.centra_client.conftest import Reply, envelope

PRODUCTS = (
    "query Products($limit: Int!, $page: Int!) "
    "{ products(sort: [id_ASC], limit: $limit, page: $page) { id } }"
)
STOCK = (
    "query Stock($warehouse: Int!, $limit: Int!, $page: Int!) { warehouses(where: {id: "
    "[$warehouse]}) { stock(limit: $limit, page: $page) { productSize { id } physicalQuantity } } }"
)
ORDERS = (
    "query Orders($first: Int!, $after: String) { orderConnection(first: $first, after: $after, "
    "sort: [number_ASC]) { edges { node { id number } } pageInfo { hasNextPage endCursor } } }"
)


def serve_list(stub, rows: list[dict], *, after_first_page=None) -> None:
    """Answer `products(limit, page)` from `rows`, optionally changing them after page 1."""

    def respond(request, index):
        if index == 1 and after_first_page is not None:
            after_first_page(rows)
        limit, page = request.variables["limit"], request.variables["page"]
        return Reply(envelope({"products": rows[(page - 1) * limit : page * limit]}))

    stub.respond = respond


def test_an_insert_between_pages_yields_every_id_exactly_once(stub, make_client) -> None:
    """Guards the offset-paging quirk: an insert before the cursor repeats the page boundary."""
    rows = [{"id": n} for n in range(10, 101, 10)]
    serve_list(stub, rows, after_first_page=lambda rows: rows.insert(1, {"id": 15}))

    pages = list(make_client().iter_pages(PRODUCTS, items_path="products", page_size=4))

    ids = [item["id"] for page in pages for item in page]
    assert ids == list(range(10, 101, 10))
    second_page = stub.requests[1].variables
    assert (second_page["limit"], second_page["page"]) == (4, 2)
    assert [row["id"] for row in rows[4:8]] == [40, 50, 60, 70], "the stub did shift its rows"


@pytest.mark.parametrize(("total", "requests"), [(10, 3), (8, 3), (0, 1)])
def test_paging_stops_at_the_first_short_page(stub, make_client, caplog, total, requests):
    serve_list(stub, [{"id": n} for n in range(1, total + 1)])

    with caplog.at_level(logging.INFO):
        pages = list(make_client(page_size=4).iter_pages(PRODUCTS, items_path="products"))

    assert sum(len(page) for page in pages) == total
    assert len(stub.requests) == requests
    assert f"fetched {requests} pages, {total} items from products" in caplog.text


def test_items_path_indexes_lists_and_key_may_be_a_callable(stub, make_client) -> None:
    stock = [{"productSize": {"id": n}, "physicalQuantity": n * 2} for n in (1, 2, 3)]
    stub.script(Reply(envelope({"warehouses": [{"stock": stock}]})))

    pages = make_client().iter_pages(
        STOCK,
        items_path="warehouses.0.stock",
        variables={"warehouse": 7},
        key=lambda row: row["productSize"]["id"],
    )

    assert list(pages) == [stock]
    assert stub.requests[0].variables == {"warehouse": 7, "limit": 100, "page": 1}


def test_a_path_the_response_does_not_have_says_so(stub, make_client) -> None:
    stub.script(Reply(envelope({"warehouses": []})))

    with pytest.raises(errors.CentraResponseError, match="has 0 item"):
        list(make_client().iter_pages(STOCK, items_path="warehouses.0.stock"))


def test_a_server_that_ignores_page_is_caught_instead_of_looping(stub, make_client) -> None:
    stub.script(Reply(envelope({"products": [{"id": 1}, {"id": 2}]})))

    with pytest.raises(errors.CentraResponseError, match="never end"):
        list(make_client().iter_pages(PRODUCTS, items_path="products", page_size=2))

    assert len(stub.requests) == 2


def test_a_query_without_the_paging_variables_is_refused(make_client) -> None:
    with pytest.raises(ValueError, match=r"\$page"):
        list(make_client().iter_pages("query { products { id } }", items_path="products"))


def serve_connection(stub, numbers: list[int], *, repeat_last: bool = False) -> None:
    """Answer `orderConnection(first, after)` with keyset cursors `number:<n>`."""

    def respond(request, index):
        first, after = request.variables["first"], request.variables["after"]
        start = 0 if after is None else int(after.split(":")[1])
        chunk = [n for n in numbers if n > start][:first]
        if repeat_last and after is not None:
            chunk = [start, *chunk[:-1]]
        has_next = bool(chunk) and chunk[-1] < numbers[-1]
        connection = {
            "edges": [
                {"node": {"id": f"o{n}", "number": n}, "cursor": f"number:{n}"} for n in chunk
            ],
            "pageInfo": {"hasNextPage": has_next, "endCursor": f"number:{chunk[-1]}"},
        }
        return Reply(envelope({"orderConnection": connection}))

    stub.respond = respond


def test_connection_paging_follows_end_cursors(stub, make_client, caplog) -> None:
    serve_connection(stub, list(range(101, 108)))

    with caplog.at_level(logging.INFO):
        pages = list(
            make_client().iter_connection(
                ORDERS, connection_path="orderConnection", variables={"x": 1}, page_size=3
            )
        )

    assert [[node["number"] for node in page] for page in pages] == [
        [101, 102, 103],
        [104, 105, 106],
        [107],
    ]
    assert [request.variables["after"] for request in stub.requests] == [
        None,
        "number:103",
        "number:106",
    ]
    assert stub.requests[0].variables == {"x": 1, "first": 3, "after": None}
    assert "fetched 3 pages, 7 items from orderConnection" in caplog.text


def test_a_connection_that_repeats_a_node_is_reported(stub, make_client) -> None:
    serve_connection(stub, list(range(1, 8)), repeat_last=True)

    with pytest.raises(errors.CentraResponseError, match="'o3' twice"):
        list(make_client().iter_connection(ORDERS, connection_path="orderConnection", page_size=3))


def test_a_next_page_without_a_new_cursor_is_reported(stub, make_client) -> None:
    stuck = {"edges": [], "pageInfo": {"hasNextPage": True, "endCursor": None}}
    stub.script(Reply(envelope({"orderConnection": stuck})))

    with pytest.raises(errors.CentraResponseError, match="does not advance"):
        list(make_client().iter_connection(ORDERS, connection_path="orderConnection"))


def test_page_size_outside_centras_range_is_refused(make_client) -> None:
    with pytest.raises(ValueError, match="1-200"):
        list(make_client().iter_connection(ORDERS, connection_path="x", page_size=500))


def test_a_key_field_holding_an_object_identifies_items_too(stub, make_client) -> None:
    rows = [{"productSize": {"id": 1}}, {"productSize": {"id": 1}}, {"productSize": {"id": 2}}]
    stub.script(Reply(envelope({"warehouses": [{"stock": rows}]})))

    pages = make_client().iter_pages(STOCK, items_path="warehouses.0.stock", key="productSize")

    assert list(pages) == [[rows[0], rows[2]]]


def wait_for_requests(stub, count: int, seconds: float = 5.0) -> int:
    deadline = time.monotonic() + seconds
    while len(stub.requests) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return len(stub.requests)


def test_the_next_page_is_requested_while_the_caller_processes_this_one(stub, make_client):
    """Validation and writes overlap with Centra's response time instead of adding to it."""
    serve_list(stub, [{"id": n} for n in range(1, 6)])
    pages = make_client(page_size=2).iter_pages(PRODUCTS, items_path="products")

    first = next(pages)

    assert [item["id"] for item in first] == [1, 2]
    assert wait_for_requests(stub, 2) == 2
    assert [item["id"] for page in pages for item in page] == [3, 4, 5]
    assert len(stub.requests) == 3


def test_without_prefetch_no_request_runs_ahead(stub, make_client):
    serve_list(stub, [{"id": n} for n in range(1, 6)])
    pages = make_client(page_size=2, prefetch_pages=False).iter_pages(
        PRODUCTS, items_path="products"
    )

    next(pages)

    assert wait_for_requests(stub, 2, seconds=0.3) == 1


def test_a_caller_that_stops_early_leaves_no_request_behind(stub, make_client):
    serve_list(stub, [{"id": n} for n in range(1, 11)])
    client = make_client(page_size=2)
    pages = client.iter_pages(PRODUCTS, items_path="products")

    next(pages)
    pages.close()

    settled = len(stub.requests)
    time.sleep(0.2)
    assert len(stub.requests) == settled <= 2
    assert client.usage.requests == settled
