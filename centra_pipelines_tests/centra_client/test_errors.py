"""GraphQL errors, permission denials and mutation userErrors become typed, actionable errors."""

import logging

import pytest

from centra_pipelines.centra.client import errors
from centra_pipelines_tests.centra_client.conftest import Reply, envelope

ORDERS = "query Orders($first: Int!) { orderConnection(first: $first) { edges { node { id } } } }"
SET_STOCK = (
    "mutation SetStock($input: StockInput!) { setStock(input: $input) "
    "{ userErrors { message path } userWarnings { message path } } }"
)


def test_userErrors_raise_with_their_paths_and_keep_the_warnings(stub, make_client, caplog):
    payload = {
        "userErrors": [
            {"message": "Could not find ProductSize with ID 77", "path": ["input", "productSize"]},
            {"message": "Quantity must be positive", "path": ["input", "quantity"]},
        ],
        "userWarnings": [{"message": "Duplicate variant ID 456 skipped", "path": ["input"]}],
    }
    stub.script(Reply(envelope({"setStock": payload})))

    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(errors.CentraUserErrors, match="2 user error") as raised,
    ):
        make_client().mutate(SET_STOCK, variables={"input": {}}, payload_field="setStock")

    error = raised.value
    assert [item["path"] for item in error.user_errors] == [
        ["input", "productSize"],
        ["input", "quantity"],
    ]
    assert "(at input.productSize)" in str(error)
    assert error.user_warnings == [payload["userWarnings"][0]]
    assert "Duplicate variant ID 456 skipped" in caplog.text


def test_userWarnings_alone_are_logged_and_the_payload_returned(stub, make_client, caplog):
    payload = {"userErrors": [], "userWarnings": [{"message": "Weight has been rounded"}]}
    stub.script(Reply(envelope({"setStock": payload})))

    with caplog.at_level(logging.WARNING):
        result = make_client().mutate(SET_STOCK, payload_field="setStock")

    assert result == payload
    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert "Weight has been rounded" in caplog.text


def test_a_permission_denial_names_the_permission_and_where_to_add_it(stub, make_client):
    """Guards the exact denial shape in Centra's docs: no `data` key, category authorization."""
    denial = {
        "errors": [
            {
                "message": "You need Order:read permission to access orderConnection.",
                "extensions": {"category": "authorization"},
                "locations": [{"line": 6, "column": 3}],
                "path": ["orderConnection"],
            }
        ],
        "extensions": {"complexity": 50, "permissionsUsed": ["Order:read"]},
    }
    stub.script(Reply(denial))
    client = make_client()

    with pytest.raises(errors.CentraPermissionError) as raised:
        client.execute(ORDERS, variables={"first": 10})

    assert raised.value.permissions == ["Order:read"]
    assert raised.value.paths == ["orderConnection"]
    assert "AMS → System → API tokens" in str(raised.value)
    assert client.usage.complexity == 50


def test_other_graphql_errors_carry_message_path_locations_and_operation(stub, make_client):
    failure = {
        "errors": [
            {
                "message": 'Cannot query field "nope" on type "Order".',
                "locations": [{"line": 1, "column": 60}],
                "path": ["orderConnection", "edges", 0],
            }
        ]
    }
    stub.script(Reply(failure, status=400))

    with pytest.raises(errors.CentraQueryError) as raised:
        make_client().execute(ORDERS, variables={"first": 1})

    message = str(raised.value)
    assert 'Cannot query field "nope"' in message
    assert "at orderConnection.edges.0" in message
    assert "line 1 col 60" in message
    assert raised.value.operation == "Orders"
    assert len(stub.requests) == 1


def test_a_partial_response_raises_instead_of_returning_partial_data(stub, make_client):
    partial = {
        "data": {"orderConnection": None},
        "errors": [{"message": "Internal server error", "path": ["orderConnection"]}],
    }
    stub.script(Reply(partial))

    with pytest.raises(errors.CentraQueryError, match="partial data") as raised:
        make_client().execute(ORDERS, variables={"first": 1})

    assert raised.value.partial_data is True


@pytest.mark.parametrize(
    "body",
    [{"extensions": {}}, {"data": None}, [1, 2], {"errors": "broken"}],
    ids=["no-data", "null-data", "not-an-object", "errors-not-a-list"],
)
def test_a_malformed_envelope_raises_response_error(stub, make_client, body):
    stub.script(Reply(body))

    with pytest.raises(errors.CentraResponseError):
        make_client().execute(ORDERS, variables={"first": 1})


@pytest.mark.parametrize("status", [404, 405])
def test_a_url_without_a_graphql_endpoint_says_to_fix_the_url(stub, make_client, status):
    """A base URL without /graphql answers 404; that is a configuration error, not a bad query."""
    stub.script(Reply({"errors": [{"message": "Not found."}]}, status=status))
    client = make_client()

    with pytest.raises(errors.CentraResponseError, match="ending in /graphql") as raised:
        client.execute(ORDERS)

    assert client.api_url in str(raised.value)
    assert len(stub.requests) == 1


def test_a_query_that_does_not_parse_is_rejected_without_spending_a_request(stub, make_client):
    with pytest.raises(errors.CentraQueryError, match="not sent"):
        make_client().execute("query { orders { id }")

    assert stub.requests == []


def test_every_error_type_is_a_centra_error() -> None:
    subclasses = [
        errors.CentraAuthenticationError,
        errors.CentraPermissionError,
        errors.CentraQueryError,
        errors.CentraUserErrors,
        errors.CentraRateLimited,
        errors.CentraUnavailable,
        errors.CentraMutationOutcomeUnknown,
        errors.CentraResponseError,
    ]
    assert all(issubclass(cls, errors.CentraError) for cls in subclasses)
