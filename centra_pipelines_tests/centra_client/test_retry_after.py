"""Reading Retry-After in every form Centra might send, and the backoff used without it."""

import email.utils

import pytest

from centra_pipelines.centra.client.retry import backoff_seconds, parse_retry_after

NOW = 1_794_999_993.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("0", 0.0),
        (email.utils.formatdate(NOW + 7, usegmt=True), 7.0),
        ("Wed, 21 Oct 2026 07:28:00 GMT", 0.0),
        ("1795000000", 7.0),
        ("1795000000000", 7.0),
        ("1795000000.5", 7.5),
    ],
)
def test_each_form_gives_the_wait_until_the_moment_named(header: str, expected: float) -> None:
    """Delta seconds, HTTP date and Unix timestamps (s and ms) all mean the same thing."""
    assert parse_retry_after(header, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize("header", ["-5", "1000000000", "Mon, 01 Jan 2001 00:00:00 GMT"])
def test_a_moment_already_past_means_no_wait_never_a_negative_one(header: str) -> None:
    assert parse_retry_after(header, now=NOW) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "nan", "inf"])
def test_unreadable_headers_fall_back_to_backoff(header: str | None) -> None:
    assert parse_retry_after(header, now=NOW) is None


def test_backoff_is_full_jitter_below_an_exponential_ceiling_capped_by_the_maximum() -> None:
    ceilings = [backoff_seconds(attempt=n, cap=3.0, random=lambda: 1.0) for n in range(1, 6)]
    assert ceilings == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_seconds(attempt=4, cap=60.0, random=lambda: 0.25) == 1.0
