"""The HTTP side of the receiver: check a Centra delivery, store it, then answer.

Checks run cheapest first: content type, declared size, signature header, body size while it
streams in, signature digest and timestamp, payload shape. Only a delivery that passes them all
reaches the inbox, and "200" is sent only after the inbox transaction committed; any other answer
makes Centra retry (when retries are enabled in its Webhook plugin).

Bodies and payload values are never logged: they can identify customers. Logs carry the delivery
id (also returned to the sender), the client address, counts and the reason for a rejection.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from centra_pipelines.webhooks.inbox import InboxUnavailable, StoreResult, WebhookInbox
from centra_pipelines.webhooks.payloads import PayloadError, WebhookEvent, decode_body
from centra_pipelines.webhooks.settings import HEALTH_PATH, ReceiverSettings
from centra_pipelines.webhooks.signature import (
    SIGNATURE_HEADER,
    SignatureError,
    parse_signature_header,
    verify_signature,
)

logger = logging.getLogger(__name__)

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class Rejected(Exception):
    """A delivery refused with an HTTP status; `reason` is a stable code, `detail` for humans."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CheckedDelivery:
    """A delivery whose signature and payload passed every check."""

    events: list[WebhookEvent]
    signature_timestamp: int
    body_sha256: str


def create_app(settings: ReceiverSettings, inbox: WebhookInbox) -> Starlette:
    """A Starlette app serving POST `settings.path` (deliveries) and GET /health."""
    receiver = _Receiver(settings, inbox)
    return Starlette(
        routes=[
            Route(settings.path, receiver.receive, methods=["POST"]),
            Route(HEALTH_PATH, receiver.health, methods=["GET"]),
        ]
    )


class _Receiver:
    def __init__(self, settings: ReceiverSettings, inbox: WebhookInbox) -> None:
        self._settings = settings
        self._inbox = inbox

    async def receive(self, request: Request) -> Response:
        delivery_id = uuid.uuid4().hex
        client = request.client.host if request.client else "unknown"

        try:
            delivery = await self._check(request)
            result = await self._store(delivery, delivery_id)
        except Rejected as rejected:
            log = logger.error if rejected.status >= 500 else logger.warning
            log(
                "delivery %s from %s refused with %d %s: %s",
                delivery_id,
                client,
                rejected.status,
                rejected.reason,
                rejected.detail,
            )
            return _error_response(rejected, delivery_id)
        except ClientDisconnect:
            logger.warning(
                "delivery %s from %s: client left before sending the body", delivery_id, client
            )
            return Response(status_code=400)

        logger.info(
            "delivery %s from %s: %d events, %d new, %d duplicates",
            delivery_id,
            client,
            len(delivery.events),
            result.stored,
            result.duplicates,
        )
        return JSONResponse(
            {"stored": result.stored, "duplicates": result.duplicates, "delivery_id": delivery_id}
        )

    async def health(self, request: Request) -> Response:
        try:
            count, last_id = await run_in_threadpool(self._inbox_state)
        except InboxUnavailable as error:
            logger.error("health check: %s", error)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "events": count, "last_event_id": last_id})

    def _inbox_state(self) -> tuple[int, int]:
        return self._inbox.count(), self._inbox.last_event_id()

    async def _check(self, request: Request) -> CheckedDelivery:
        _require_form(request)
        _require_declared_size(request, self._settings.max_body_bytes)
        header = request.headers.get(SIGNATURE_HEADER)

        try:
            # A missing or malformed header is refused before the body is read.
            parse_signature_header(header)
            body = await _read_body(request, self._settings.max_body_bytes)
            timestamp = verify_signature(
                header,
                body,
                self._settings.secret,
                tolerance_seconds=self._settings.tolerance_seconds,
            )
        except SignatureError as error:
            raise Rejected(401, error.reason, str(error)) from None

        try:
            events = decode_body(body)
        except PayloadError as error:
            raise Rejected(400, "malformed_payload", str(error)) from None
        return CheckedDelivery(events, timestamp, hashlib.sha256(body).hexdigest())

    async def _store(self, delivery: CheckedDelivery, delivery_id: str) -> StoreResult:
        # The inbox blocks on disk or network I/O; the event loop must keep serving other
        # deliveries meanwhile.
        try:
            return await run_in_threadpool(
                self._inbox.store,
                delivery.events,
                signature_timestamp=delivery.signature_timestamp,
                body_sha256=delivery.body_sha256,
                delivery_id=delivery_id,
            )
        except InboxUnavailable as error:
            raise Rejected(503, "inbox_unavailable", str(error)) from None


def _require_form(request: Request) -> None:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM_CONTENT_TYPE:
        raise Rejected(
            415,
            "unsupported_content_type",
            f"expected {FORM_CONTENT_TYPE}, got {media_type[:80]!r}",
        )


def _require_declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise Rejected(400, "bad_content_length", "Content-Length is not a number")
    if int(declared) > limit:
        raise Rejected(413, "body_too_large", f"Content-Length {declared} exceeds {limit} bytes")


async def _read_body(request: Request, limit: int) -> bytes:
    # Counted while streaming: a chunked body declares no length, so the header check alone
    # would let it fill memory.
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "body_too_large", f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _error_response(rejected: Rejected, delivery_id: str) -> Response:
    # A 503 names no database: the sender needs to know only that it should retry.
    detail = "inbox unavailable, retry later" if rejected.status >= 500 else rejected.detail
    return JSONResponse(
        {"error": rejected.reason, "detail": detail, "delivery_id": delivery_id},
        status_code=rejected.status,
    )
