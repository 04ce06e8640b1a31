"""The `X-Centra-Signature` header of Centra's Webhook plugin (digest §9.3).

Centra signs `"<t>." + raw body`, where the raw body is the URL-encoded form string exactly as it
arrived (`payload=%7B...`), never the decoded JSON. `t` is a unix timestamp; accepting it only
within a tolerance window in both directions turns a captured request into a short-lived one.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

SIGNATURE_HEADER = "X-Centra-Signature"

# Centra does not say how old a delivery may be; five minutes covers its retry delays and ordinary
# clock drift while keeping a captured request useless soon after.
DEFAULT_TOLERANCE_SECONDS = 300

# The only scheme Centra documents. Other schemes in the header are ignored, so that a new scheme
# added by Centra beside v1 does not make every delivery fail.
SCHEME = "v1"

_HEX_DIGITS = frozenset("0123456789abcdef")


class SignatureError(ValueError):
    """A delivery cannot be trusted. `reason` is a short, stable code for logs and responses."""

    reason = "invalid_signature"


class MissingSignature(SignatureError):
    """The request has no X-Centra-Signature header: is the endpoint secret set in Centra?"""

    reason = "missing_signature"


class MalformedSignature(SignatureError):
    """The header is not `t=<unix seconds>,v1=<64 hex digits>`."""

    reason = "malformed_signature"


class SignatureMismatch(SignatureError):
    """No v1 digest matches: a different secret, a forged request or an altered body."""

    reason = "bad_signature"


class TimestampOutOfTolerance(SignatureError):
    """The signature is authentic but its timestamp is outside the accepted window."""

    reason = "timestamp_out_of_tolerance"


class StaleTimestamp(TimestampOutOfTolerance):
    """Signed too long ago: a replayed request, or a sender whose clock runs behind ours."""

    reason = "stale_timestamp"


class FutureTimestamp(TimestampOutOfTolerance):
    """Signed too far ahead of our clock: clock skew on one of the two sides."""

    reason = "future_timestamp"


@dataclass(frozen=True)
class ParsedSignature:
    """The parts of the header that matter: the signing time and every v1 digest offered."""

    timestamp: int
    digests: tuple[str, ...]


def parse_signature_header(value: str | None) -> ParsedSignature:
    """Split the header on "," and then on "=".

    Raises:
        MissingSignature: the header is absent or blank.
        MalformedSignature: no single integer `t`, no valid `v1`, or an element without "=".
    """
    if value is None or not value.strip():
        raise MissingSignature(f"no {SIGNATURE_HEADER} header")

    timestamps: list[str] = []
    digests: list[str] = []
    for element in value.split(","):
        name, equals, item = (part.strip() for part in element.partition("="))
        if not equals:
            raise MalformedSignature(f"{SIGNATURE_HEADER} element without '=': not t=...,v1=...")
        if name == "t":
            timestamps.append(item)
        elif name == SCHEME:
            digests.append(item.lower())

    return ParsedSignature(_single_timestamp(timestamps), _valid_digests(digests))


def _single_timestamp(values: list[str]) -> int:
    if len(values) != 1:
        raise MalformedSignature(f"{SIGNATURE_HEADER} needs exactly one t=, found {len(values)}")
    if not values[0].isascii() or not values[0].isdigit():
        raise MalformedSignature(f"{SIGNATURE_HEADER} t= is not a unix timestamp in seconds")
    return int(values[0])


def _valid_digests(values: list[str]) -> tuple[str, ...]:
    if not values:
        raise MalformedSignature(f"{SIGNATURE_HEADER} has no {SCHEME}= digest")
    for digest in values:
        if len(digest) != 64 or not set(digest) <= _HEX_DIGITS:
            raise MalformedSignature(f"{SIGNATURE_HEADER} {SCHEME}= is not 64 hex digits")
    return tuple(values)


def compute_digest(body: bytes, secret: str, timestamp: int) -> str:
    """Lowercase hex HMAC-SHA256 of `"<timestamp>." + body` keyed with the endpoint secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(body: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The X-Centra-Signature value Centra would send for this body (for tests and tools).

    Args:
        body: the raw form body; a str is encoded as UTF-8.
        secret: the endpoint secret.
        timestamp: unix seconds; the current time when omitted.

    Returns:
        `t=<timestamp>,v1=<hex digest>`.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    when = int(time.time()) if timestamp is None else timestamp
    return f"t={when},{SCHEME}={compute_digest(raw, secret, when)}"


def verify_signature(
    header: str | None,
    body: bytes,
    secret: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a delivery's signature against the raw body bytes exactly as received.

    The digest is checked before the timestamp, so "stale" and "future" are only ever reported
    for requests that really were signed with our secret.

    Args:
        header: the X-Centra-Signature value, or None when the header is absent.
        body: the raw request body.
        secret: the endpoint secret configured in Centra's Webhook plugin.
        tolerance_seconds: how far the signing time may lie from `now`, either way.
        now: unix time to compare with; the current time when omitted.

    Returns:
        The verified signing timestamp.

    Raises:
        SignatureError: one of its subclasses, saying what is wrong.
    """
    parsed = parse_signature_header(header)

    expected = compute_digest(body, secret, parsed.timestamp)
    # Every offered digest is compared, in constant time, so timing reveals nothing about which
    # or how many bytes matched.
    matches = [hmac.compare_digest(expected, digest) for digest in parsed.digests]
    if not any(matches):
        raise SignatureMismatch("signature does not match the body and the endpoint secret")

    _check_timestamp(parsed.timestamp, tolerance_seconds, time.time() if now is None else now)
    return parsed.timestamp


def _check_timestamp(timestamp: int, tolerance_seconds: int, now: float) -> None:
    age = now - timestamp
    if age > tolerance_seconds:
        raise StaleTimestamp(
            f"signed {age:.0f} s ago, more than the {tolerance_seconds} s tolerance: a replay, "
            "or the sender's clock is behind"
        )
    if -age > tolerance_seconds:
        raise FutureTimestamp(
            f"signed {-age:.0f} s in the future, more than the {tolerance_seconds} s tolerance: "
            "check the clocks of both sides"
        )
