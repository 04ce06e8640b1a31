"""Building and posting deliveries the way Centra's Webhook plugin sends them."""

import json
import time
from urllib.parse import urlencode

import requests

from centra_pipelines.webhooks.signature import SIGNATURE_HEADER, sign

SECRET = "whsec-test-3c9f0e"
FORM = "application/x-www-form-urlencoded"
TIMEOUT = 10


def form(document) -> str:
    """A form body: one `payload` field holding URL-encoded JSON."""
    return urlencode({"payload": json.dumps(document)})


def integration_events(*ids: int, action: str = "update", date: str = "2026-12-01 10:00:00.1"):
    return {"events": [{"type": "order", "action": action, "date": date, "id": n} for n in ids]}


def signed_headers(body: str | bytes, *, secret: str = SECRET, timestamp: int | None = None):
    when = int(time.time()) if timestamp is None else timestamp
    return {"Content-Type": FORM, SIGNATURE_HEADER: sign(body, secret, when)}


def post(url: str, body, headers: dict, session=requests) -> requests.Response:
    return session.post(url, data=body, headers=headers, timeout=TIMEOUT)


def deliver(url: str, document, session=requests, **signing) -> requests.Response:
    """Post a correctly signed delivery of `document`."""
    body = form(document)
    return post(url, body, signed_headers(body, **signing), session)
