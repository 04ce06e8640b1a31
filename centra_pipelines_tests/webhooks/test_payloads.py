"""Decoding Webhook plugin bodies in both payload formats (digest §9.1, §9.2)."""

import json
from urllib.parse import quote, urlencode

import pytest

from centra_pipelines.webhooks.payloads import (
    PayloadError,
    WebhookEvent,
    decode_body,
    parse_payload,
)

# The digest's Integration API mode example.
INTEGRATION_EXAMPLE = {
    "events": [
        {"type": "order", "action": "update", "date": "2021-01-29 14:40:58.628033", "id": 2735},
        {"type": "shipment", "action": "create", "date": "2021-01-29 14:40:58.628119", "id": 1902},
        {
            "type": "shipment",
            "action": "good_to_go",
            "date": "2021-01-29 14:40:58.628239",
            "id": 1902,
        },
    ]
}


def form(document) -> bytes:
    """A body as Centra sends it: one form field holding URL-encoded JSON."""
    return urlencode({"payload": json.dumps(document)}).encode("ascii")


def test_integration_mode_example():
    assert decode_body(form(INTEGRATION_EXAMPLE)) == [
        WebhookEvent("integration", "order", "update", "2735", "2021-01-29 14:40:58.628033"),
        WebhookEvent("integration", "shipment", "create", "1902", "2021-01-29 14:40:58.628119"),
        WebhookEvent("integration", "shipment", "good_to_go", "1902", "2021-01-29 14:40:58.628239"),
    ]


def test_checkout_mode_example():
    events = decode_body(form({"products": ["1", "6", "7"], "categories": ["1"]}))
    assert events == [
        WebhookEvent("checkout", "products", None, "1", None),
        WebhookEvent("checkout", "products", None, "6", None),
        WebhookEvent("checkout", "products", None, "7", None),
        WebhookEvent("checkout", "categories", None, "1", None),
    ]


def test_checkout_ids_may_be_integers():
    assert decode_body(form({"pricelists": [19, "20"]})) == [
        WebhookEvent("checkout", "pricelists", None, "19", None),
        WebhookEvent("checkout", "pricelists", None, "20", None),
    ]


def test_unknown_types_actions_and_fields_are_kept():
    """The consumer decides what to ignore; a type dropped here would be lost for good."""
    document = {"events": [{"type": "voucher", "action": "insert", "date": "d", "id": "9"}]}
    assert decode_body(form(document)) == [
        WebhookEvent("integration", "voucher", "insert", "9", "d")
    ]
    assert decode_body(form({"DisplayItems": ["3"]})) == [
        WebhookEvent("checkout", "DisplayItems", None, "3", None)
    ]


def test_percent_encoded_and_plus_encoded_bodies_decode_alike():
    text = json.dumps({"warehouses": ["a b"]})
    percent = ("payload=" + quote(text, safe="")).encode()
    plus = urlencode({"payload": text}).encode()
    assert decode_body(percent) == decode_body(plus)


def test_empty_lists_give_no_events():
    assert decode_body(form({"events": []})) == []
    assert decode_body(form({"products": []})) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"   ", "empty body"),
        (b"data=%7B%7D", "no 'payload' field"),
        (b"payload=%7B%7D&payload=%7B%7D", "2 'payload' fields"),
        (b"payload=%7Bnot-json", "not JSON"),
        (b"payload=", "not JSON"),
        (b"payload=%FF%FE", "not a URL-encoded form"),
        (b"\xff\xfe", "not a URL-encoded form"),
        (b"&".join([b"f=1"] * 50), "not a URL-encoded form"),
    ],
)
def test_malformed_forms(body, message):
    with pytest.raises(PayloadError, match=message):
        decode_body(body)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "JSON array, expected an object"),
        ("products", "JSON string, expected an object"),
        ({"events": {"type": "order"}}, "'events' is a JSON object, expected a list"),
        ({"events": ["order"]}, r"events\[0\] is a JSON string, expected an object"),
        ({"events": [{"type": "order", "action": "update", "id": 1}]}, "missing 'date'"),
        ({"events": [{"type": "order"}]}, "missing 'action', 'date', 'id'"),
        (
            {"events": [{"type": "order", "action": "update", "date": "d", "id": 1.5}]},
            r"events\[0\].id is a JSON number, expected an integer or a string",
        ),
        (
            {"events": [{"type": "order", "action": "update", "date": "d", "id": True}]},
            "id is a JSON boolean",
        ),
        (
            {"events": [{"type": "order", "action": "update", "date": "d", "id": None}]},
            "id is a JSON null",
        ),
        (
            {"events": [{"type": "", "action": "update", "date": "d", "id": 1}]},
            r"events\[0\].type is a JSON string, expected a non-empty string",
        ),
        (
            {"events": [{"type": "order", "action": 3, "date": "d", "id": 1}]},
            "action is a JSON integer",
        ),
        ({"products": "1"}, "field 'products' is a JSON string, expected a list of ids"),
        ({"products": ["1", {"id": 2}]}, r"products\[1\] is a JSON object"),
        ({"products": [1.0]}, r"products\[0\] is a JSON number"),
        ({"products": ["x" * 101]}, "longer than 100 characters"),
    ],
)
def test_wrong_shapes(document, message):
    with pytest.raises(PayloadError, match=message):
        parse_payload(json.dumps(document))


def test_errors_name_positions_not_values():
    """Payload values can identify customers; error messages end up in logs and responses."""
    with pytest.raises(PayloadError) as raised:
        parse_payload(json.dumps({"customers": ["jane.doe@example.com", 4.5]}))
    assert "jane.doe" not in str(raised.value)
    assert "customers[1]" in str(raised.value)


def test_a_payload_nested_thousands_of_levels_deep_is_malformed_not_a_crash():
    with pytest.raises(PayloadError, match="nested too deeply"):
        parse_payload("[" * 100_000 + "]" * 100_000)
