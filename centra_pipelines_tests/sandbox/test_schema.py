"""The sandbox answers the product's queries with Centra's envelope, auth and error shapes."""

import pytest
import requests

from centra_pipelines_tests.sandbox.conftest import gql, post
from centra_pipelines_tests.sandbox.usage_queries import ALL_QUERIES
from centra_sandbox import SandboxConfig, SandboxConfigError


@pytest.mark.parametrize(
    ("name", "document", "variables", "root"), ALL_QUERIES, ids=[q[0] for q in ALL_QUERIES]
)
def test_usage_query_is_answered(sandbox, name, document, variables, root):
    """Every query of docs/centra-api-usage.md runs without errors and returns rows."""
    response = post(sandbox, document, variables)

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body.get("errors")
    value = body["data"][root]
    rows = value["edges"] if isinstance(value, dict) else value
    assert rows, f"{name} returned no rows"
    assert set(body["extensions"]) >= {"complexity", "permissionsUsed", "appVersion"}


def test_envelope_extensions(sandbox):
    body = post(sandbox, "{ stores { id } orders(limit: 5) { id } }").json()

    assert isinstance(body["extensions"]["complexity"], int)
    assert body["extensions"]["complexity"] > 0
    assert body["extensions"]["permissionsUsed"] == ["Store:read", "Order:read"]
    assert body["extensions"]["appVersion"].startswith("v")


def test_rate_limits_query_costs_ten(sandbox):
    body = post(sandbox, "{ rateLimits { type } }").json()

    assert body["extensions"]["complexity"] == 10
    assert body["extensions"]["permissionsUsed"] == []


def test_complexity_grows_with_page_size_and_stock_fields(sandbox):
    small = post(sandbox, "{ orders(limit: 10) { id lines { id } } }").json()
    large = post(sandbox, "{ orders(limit: 100) { id lines { id } } }").json()
    fta = post(sandbox, "{ warehouses { stock(limit: 50) { freeToAllocateQuantity } } }").json()
    physical = post(sandbox, "{ warehouses { stock(limit: 50) { physicalQuantity } } }").json()

    assert large["extensions"]["complexity"] == 10 * small["extensions"]["complexity"]
    assert physical["extensions"]["complexity"] > fta["extensions"]["complexity"]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_unknown_token_is_401(sandbox, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(sandbox.url, json={"query": "{ stores { id } }"}, headers=headers)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"].startswith("Missing or unknown access token")


def test_cookie_token_is_accepted(sandbox):
    cookies = {"graphql-access": sandbox.token}
    response = requests.post(sandbox.url, json={"query": "{ stores { id } }"}, cookies=cookies)

    assert response.status_code == 200
    assert response.json()["data"]["stores"]


def test_permission_denied_has_digest_shape(make_sandbox):
    """Digest §1.4: authorization category, location, path, and no `data` key at all."""
    sandbox = make_sandbox(tokens={"store-only": ["Store:read"]})
    query = "query {\n  orderConnection(first: 10) { totalCount }\n}"

    body = post(sandbox, query, token="store-only").json()

    assert "data" not in body
    assert body["errors"] == [
        {
            "message": "You need Order:read permission to access orderConnection.",
            "extensions": {"category": "authorization"},
            "locations": [{"line": 2, "column": 3}],
            "path": ["orderConnection"],
        }
    ]
    assert body["extensions"]["permissionsUsed"] == ["Order:read"]


def test_nested_permission_denial_keeps_data(make_sandbox):
    sandbox = make_sandbox(tokens={"orders-only": ["Order:read"]})
    query = "{ orders(limit: 1) { number shipments { id } } }"

    body = post(sandbox, query, token="orders-only").json()

    assert body["data"] is not None
    assert body["errors"][0]["message"] == "You need Shipment:read permission to access shipments."
    assert body["extensions"]["permissionsUsed"] == ["Order:read", "Shipment:read"]


@pytest.mark.parametrize("limit", [0, 201])
def test_limit_out_of_range_is_a_graphql_error(sandbox, limit):
    body = post(sandbox, f"{{ products(limit: {limit}) {{ id }} }}").json()

    assert "Limit must be in range 1 - 200" in body["errors"][0]["message"]


def test_defaults_are_limit_20_page_1(sandbox):
    data = gql(sandbox, "{ products { id } second: products(page: 2) { id } }")

    assert len(data["products"]) == 20
    assert data["second"][0]["id"] > data["products"][-1]["id"]


def test_scalar_where_value_is_coerced_to_a_list(sandbox):
    data = gql(
        sandbox,
        "{ a: orders(where: {number: 39790}) { number } "
        "b: orders(where: {number: [39790]}) { number } }",
    )

    assert data["a"] == data["b"] == [{"number": 39790}]


def test_datetime_format_argument_and_inputs(sandbox):
    query = """{ orders(where: {number: 39790, orderDate: {from: "2026-11-01 00:00:00"}}) {
        orderDate
        day: orderDate(format: "Y-m-d")
        compact: orderDate(format: "Y-m-d\\\\TH:i:sO")
        zone: orderDate(format: "T")
    } }"""

    order = gql(sandbox, query)["orders"][0]

    assert order["orderDate"] == "2026-11-01T01:11:47+01:00"
    assert order["day"] == "2026-11-01"
    assert order["compact"] == "2026-11-01T01:11:47+0100"
    assert order["zone"] == "CET"


def test_introspection_lists_digest_enums(sandbox):
    query = '{ __type(name: "OrderStatus") { enumValues { name } } }'

    values = [v["name"] for v in gql(sandbox, query)["__type"]["enumValues"]]

    assert values == ["PENDING", "CONFIRMED", "PROCESSING", "SHIPPED", "CANCELLED", "ARCHIVED"]


def test_stats_endpoint_matches_python_api(sandbox):
    response = requests.get(sandbox.url.replace("/graphql", "/sandbox/stats"), timeout=10)

    assert response.status_code == 200
    assert response.json() == sandbox.stats()


def test_request_hook_sees_operation_and_variables(make_sandbox):
    sandbox = make_sandbox()
    seen = []
    sandbox.add_request_hook(lambda name, variables: seen.append((name, variables)))

    post(sandbox, "query Named($n: Int) { orders(limit: $n) { id } }", {"n": 2})

    assert seen == [("Named", {"n": 2})]


def test_variables_that_are_not_an_object_get_a_400(sandbox):
    response = requests.post(
        sandbox.url,
        json={"query": "{ stores { id } }", "variables": "x"},
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )

    assert response.status_code == 400
    assert "variables" in response.json()["errors"][0]["message"]


def test_an_existing_database_file_is_refused_not_mixed(tmp_path):
    existing = tmp_path / "sandbox.sqlite"
    existing.write_bytes(b"")

    with pytest.raises(SandboxConfigError, match="already exists"):
        SandboxConfig(database_path=str(existing))
