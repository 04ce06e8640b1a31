"""How long to wait before sending a request again: `Retry-After` first, jittered backoff second."""

import datetime
import email.utils
import math
from collections.abc import Callable

# Centra documents that Retry-After "points at a timestamp" without saying in which form, so every
# form is accepted. A bare number at or above this is a Unix timestamp, not a delay: it is
# 2001-09-09, and no sane delay is 31 years long.
EPOCH_SECONDS_THRESHOLD = 1_000_000_000

# A bare number at or above this is a Unix timestamp in milliseconds (JavaScript's Date.now()).
EPOCH_MILLISECONDS_THRESHOLD = 100_000_000_000

# A requested wait longer than this is refused rather than slept through: a token bucket refills
# within its window, so an hour-long wait means a misread header or an environment that has run
# dry, and a run parked for hours is worse than one that fails with a clear message.
MAX_RETRY_AFTER_SECONDS = 3600.0

# First step of the exponential backoff used when Centra gives no Retry-After.
BACKOFF_BASE_SECONDS = 0.5


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Return the seconds to wait that a `Retry-After` header asks for, or None if unusable.

    Args:
        value: The header as received: delta seconds (`"7"`, `"1.5"`), an HTTP date
            (`"Wed, 21 Oct 2026 07:28:00 GMT"`) or a Unix timestamp in seconds or milliseconds.
        now: The current Unix time in seconds, used for the absolute forms.

    Returns:
        A wait of zero or more seconds (a moment already past means no wait), or None when the
        header is absent or unreadable, so the caller falls back to backoff.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    number = _as_number(text)
    if number is None:
        return _seconds_until_http_date(text, now=now)
    if number >= EPOCH_MILLISECONDS_THRESHOLD:
        return max(0.0, number / 1000.0 - now)
    if number >= EPOCH_SECONDS_THRESHOLD:
        return max(0.0, number - now)
    return max(0.0, number)


def backoff_seconds(*, attempt: int, cap: float, random: Callable[[], float]) -> float:
    """Return a full-jitter exponential backoff for the given 1-based failed attempt.

    Full jitter (a uniform draw below the exponential ceiling) spreads the retries of several
    clients that failed together, instead of having them hit Centra again in lockstep.
    """
    ceiling = min(cap, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return random() * ceiling


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _seconds_until_http_date(text: str, *, now: float) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None

    # RFC 9110 dates are GMT; a date without a zone is read as UTC rather than as local time.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return max(0.0, moment.timestamp() - now)
