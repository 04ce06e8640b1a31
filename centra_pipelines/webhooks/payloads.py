"""Decode a Webhook plugin body into events (digest §9.1, §9.2).

The body is a form with one field, `payload`, holding URL-encoded JSON in one of two shapes:

- Integration API mode: `{"events": [{"type", "action", "date", "id"}, ...]}`;
- Checkout API mode: `{"<field name>": ["<id>", ...], ...}`, one key per subscribed trigger.

Unknown event types and field names are kept: which ones matter is the consumer's decision, and
dropping them here would lose them for good. Error messages name positions and keys, never values,
because values can identify customers.
"""

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

INTEGRATION = "integration"
CHECKOUT = "checkout"

PAYLOAD_FIELD = "payload"

# Keys every Integration API event carries.
EVENT_KEYS = ("type", "action", "date", "id")

# Centra's values are short (type names, ids, timestamps). The bound keeps dedupe keys small enough
# for a unique index on any database, whatever a sender puts in them.
MAX_VALUE_CHARS = 100

# A form carries one field; a body with thousands of fields is not from Centra.
MAX_FORM_FIELDS = 20

Kind = Literal["integration", "checkout"]


class PayloadError(ValueError):
    """The body is not a Webhook plugin payload; the message says what is wrong."""


@dataclass(frozen=True)
class WebhookEvent:
    """One change Centra reported.

    `type` is the Integration API event type (order, shipment, ...) or the Checkout API field name
    (products, categories, ...). `action` is None in Checkout API mode, which sends none.
    `event_date` is Centra's text verbatim (no zone), None in Checkout API mode.
    """

    kind: Kind
    type: str
    action: str | None
    object_id: str
    event_date: str | None


def decode_body(body: bytes) -> list[WebhookEvent]:
    """Decode a raw form body (`payload=<URL-encoded JSON>`) into its events.

    Raises:
        PayloadError: the body, its form field or its JSON is not what Centra sends.
    """
    return parse_payload(payload_text(body))


def payload_text(body: bytes) -> str:
    """The decoded value of the single `payload` form field."""
    if not body.strip():
        raise PayloadError("empty body: expected payload=<URL-encoded JSON>")
    try:
        text = body.decode("utf-8")
        fields = parse_qsl(
            text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise PayloadError(f"body is not a URL-encoded form: {type(error).__name__}") from None

    values = [value for name, value in fields if name == PAYLOAD_FIELD]
    if not values:
        raise PayloadError(f"no '{PAYLOAD_FIELD}' field in the form body")
    if len(values) > 1:
        raise PayloadError(f"{len(values)} '{PAYLOAD_FIELD}' fields in the form body, expected 1")
    return values[0]


def parse_payload(text: str) -> list[WebhookEvent]:
    """Parse the JSON document of a `payload` field in either mode."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise PayloadError(f"payload is not JSON ({_json_error(error)})") from None
    except RecursionError:
        # Centra's payloads are two levels deep; thousands of levels are not a Centra webhook.
        raise PayloadError("payload is nested too deeply to be a Centra webhook") from None

    if not isinstance(document, dict):
        raise PayloadError(f"payload is a JSON {_json_type(document)}, expected an object")
    # No Checkout API field is called "events", so the key alone tells the two modes apart.
    if "events" in document:
        return _integration_events(document["events"])
    return _checkout_events(document)


def _integration_events(events: Any) -> list[WebhookEvent]:
    if not isinstance(events, list):
        raise PayloadError(f"'events' is a JSON {_json_type(events)}, expected a list")
    return [_integration_event(position, event) for position, event in enumerate(events)]


def _integration_event(position: int, event: Any) -> WebhookEvent:
    where = f"events[{position}]"
    if not isinstance(event, dict):
        raise PayloadError(f"{where} is a JSON {_json_type(event)}, expected an object")
    missing = [key for key in EVENT_KEYS if key not in event]
    if missing:
        raise PayloadError(f"{where} is missing {', '.join(repr(key) for key in missing)}")

    return WebhookEvent(
        kind=INTEGRATION,
        type=_text(event["type"], f"{where}.type"),
        action=_text(event["action"], f"{where}.action"),
        object_id=_object_id(event["id"], f"{where}.id"),
        event_date=_text(event["date"], f"{where}.date"),
    )


def _checkout_events(document: dict[str, Any]) -> list[WebhookEvent]:
    events = []
    for field, ids in document.items():
        name = _text(field, "field name")
        if not isinstance(ids, list):
            kind = _json_type(ids)
            raise PayloadError(f"field {name!r} is a JSON {kind}, expected a list of ids")
        events.extend(
            WebhookEvent(
                kind=CHECKOUT,
                type=name,
                action=None,
                object_id=_object_id(object_id, f"{name}[{position}]"),
                event_date=None,
            )
            for position, object_id in enumerate(ids)
        )
    return events


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{where} is a JSON {_json_type(value)}, expected a non-empty string")
    if len(value) > MAX_VALUE_CHARS:
        raise PayloadError(f"{where} is longer than {MAX_VALUE_CHARS} characters")
    return value


def _object_id(value: Any, where: str) -> str:
    # Checkout API mode documents ids as strings and Integration API mode as integers; either
    # spelling of the same id must give the same text, so that dedupe keys agree.
    if isinstance(value, int) and not isinstance(value, bool):
        return _text(str(value), where)
    if isinstance(value, str):
        return _text(value, where).strip()
    raise PayloadError(f"{where} is a JSON {_json_type(value)}, expected an integer or a string")


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", float: "number"}
    if value is None:
        return "null"
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer"
    return names.get(type(value), type(value).__name__)


def _json_error(error: ValueError) -> str:
    # JSONDecodeError.msg names the problem and its position without quoting the document.
    return getattr(error, "msg", type(error).__name__)
