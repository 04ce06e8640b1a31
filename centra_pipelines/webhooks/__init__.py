"""Centra webhook receiver: verify Webhook plugin deliveries and keep them in an inbox.

Data enters here over HTTP (`app`, `server`), is checked (`signature`, `payloads`) and lands in the
inbox (`inbox`), which Dagster sensors read with an id cursor. See docs/webhooks.md.
"""

from centra_pipelines.webhooks.app import create_app
from centra_pipelines.webhooks.inbox import (
    InboxConfigError,
    InboxEvent,
    InboxUnavailable,
    StoreResult,
    WebhookInbox,
    dedupe_key,
)
from centra_pipelines.webhooks.payloads import (
    CHECKOUT,
    INTEGRATION,
    PayloadError,
    WebhookEvent,
    decode_body,
    parse_payload,
)
from centra_pipelines.webhooks.server import RunningReceiver, main, start_receiver
from centra_pipelines.webhooks.settings import ReceiverSettings, SettingsError
from centra_pipelines.webhooks.signature import (
    SIGNATURE_HEADER,
    FutureTimestamp,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    SignatureMismatch,
    StaleTimestamp,
    TimestampOutOfTolerance,
    sign,
    verify_signature,
)

__all__ = [
    "CHECKOUT",
    "INTEGRATION",
    "SIGNATURE_HEADER",
    "FutureTimestamp",
    "InboxConfigError",
    "InboxEvent",
    "InboxUnavailable",
    "MalformedSignature",
    "MissingSignature",
    "PayloadError",
    "ReceiverSettings",
    "RunningReceiver",
    "SettingsError",
    "SignatureError",
    "SignatureMismatch",
    "StaleTimestamp",
    "StoreResult",
    "TimestampOutOfTolerance",
    "WebhookEvent",
    "WebhookInbox",
    "create_app",
    "decode_body",
    "dedupe_key",
    "main",
    "parse_payload",
    "sign",
    "start_receiver",
    "verify_signature",
]
