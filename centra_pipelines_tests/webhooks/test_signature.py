"""X-Centra-Signature verification (digest §9.3), including the digest's worked example."""

import pytest

from centra_pipelines.webhooks.signature import (
    FutureTimestamp,
    MalformedSignature,
    MissingSignature,
    SignatureMismatch,
    StaleTimestamp,
    compute_digest,
    parse_signature_header,
    sign,
    verify_signature,
)

# The digest's worked example.
SECRET = "test123"
T = 12345678
BODY = b"payload=%7B%22x%22%3A%22test%22%7D"
V1 = "0b9cd84f5d583e5e1aadfb9f160aa8080b51d5b85ff85808d6b75bdac356c549"
HEADER = f"t={T},v1={V1}"


def test_worked_example_is_accepted_near_its_timestamp():
    assert verify_signature(HEADER, BODY, SECRET, now=T + 30) == T
    assert sign(BODY, SECRET, T) == HEADER


def test_digest_over_the_decoded_json_is_rejected():
    """Centra signs the URL-encoded form string; a digest over the decoded JSON must not pass."""
    decoded = b'{"x":"test"}'
    assert compute_digest(decoded, SECRET, T).startswith("7772c462")

    with pytest.raises(SignatureMismatch):
        verify_signature(sign(decoded, SECRET, T), BODY, SECRET, now=T)
    with pytest.raises(SignatureMismatch):
        verify_signature(HEADER, decoded, SECRET, now=T)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamps_inside_the_tolerance_are_accepted(offset):
    assert verify_signature(HEADER, BODY, SECRET, now=T + offset) == T


def test_stale_timestamp_is_a_replay():
    with pytest.raises(StaleTimestamp, match="301 s ago"):
        verify_signature(HEADER, BODY, SECRET, now=T + 301)


def test_future_timestamp_is_clock_skew():
    with pytest.raises(FutureTimestamp, match="301 s in the future"):
        verify_signature(HEADER, BODY, SECRET, now=T - 301)


def test_tolerance_is_configurable():
    with pytest.raises(StaleTimestamp):
        verify_signature(HEADER, BODY, SECRET, now=T + 61, tolerance_seconds=60)
    assert verify_signature(HEADER, BODY, SECRET, now=T + 3000, tolerance_seconds=3600) == T


def test_wrong_secret_is_rejected():
    with pytest.raises(SignatureMismatch):
        verify_signature(HEADER, BODY, "test124", now=T)


@pytest.mark.parametrize("position", [0, 8, len(BODY) - 1])
def test_body_altered_by_one_byte_is_rejected(position):
    altered = bytearray(BODY)
    altered[position] ^= 0x01
    with pytest.raises(SignatureMismatch):
        verify_signature(HEADER, bytes(altered), SECRET, now=T)


def test_timestamp_is_part_of_the_signed_message():
    with pytest.raises(SignatureMismatch):
        verify_signature(f"t={T + 1},v1={V1}", BODY, SECRET, now=T)


def test_stale_is_only_reported_for_authentic_requests():
    """A forged old request is a bad signature, not a stale one: no hint about our clock."""
    with pytest.raises(SignatureMismatch):
        verify_signature(HEADER, BODY, "wrong", now=T + 10_000)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header):
    with pytest.raises(MissingSignature):
        verify_signature(header, BODY, SECRET, now=T)


@pytest.mark.parametrize(
    "header",
    [
        V1,
        f"v1={V1}",
        f"t={T}",
        f"t=abc,v1={V1}",
        f"t=-5,v1={V1}",
        f"t={T},t={T},v1={V1}",
        f"t={T},v1=xyz",
        f"t={T},v1={V1[:-1]}",
        f"t={T},v1={V1},",
        f"t={T};v1={V1}",
    ],
)
def test_malformed_header(header):
    with pytest.raises(MalformedSignature):
        verify_signature(header, BODY, SECRET, now=T)


def test_extra_schemes_and_spaces_are_tolerated():
    header = f" t={T} , v0=abc, v1={V1} ,v2=future-scheme"
    assert parse_signature_header(header).digests == (V1,)
    assert verify_signature(header, BODY, SECRET, now=T) == T


def test_any_of_several_v1_digests_may_match():
    """A sender rotating secrets may sign with both; one valid digest is enough."""
    other = compute_digest(BODY, "old-secret", T)
    assert verify_signature(f"t={T},v1={other},v1={V1}", BODY, SECRET, now=T) == T


def test_uppercase_hex_digest_is_accepted():
    assert verify_signature(f"t={T},v1={V1.upper()}", BODY, SECRET, now=T) == T


def test_errors_do_not_echo_the_secret():
    with pytest.raises(SignatureMismatch) as raised:
        verify_signature(HEADER, BODY, "a-very-distinct-secret", now=T)
    assert "a-very-distinct-secret" not in str(raised.value)
