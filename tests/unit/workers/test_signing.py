import re

import pytest

from flowdesk.engine.access import signing

SECRET = b"signing-secret"
BODY = b'{"order":42}'
T = 1_700_000_000


def test_signature_header_name():
    assert signing.SIGNATURE_HEADER == "X-Flowdesk-Signature"


def test_sign_has_timestamp_and_hex_digest():
    assert re.fullmatch(r"t=1700000000,v1=[0-9a-f]{64}", signing.sign(SECRET, BODY, timestamp=T))


def test_sign_uses_current_time_by_default():
    header = signing.sign(SECRET, BODY)
    assert signing.verify(SECRET, header, BODY, tolerance=5)


def test_roundtrip():
    header = signing.sign(SECRET, BODY, timestamp=T)
    assert signing.verify(SECRET, header, BODY, now=T + 10)


def test_empty_body_roundtrip():
    header = signing.sign(SECRET, b"", timestamp=T)
    assert signing.verify(SECRET, header, b"", now=T)


def test_tampered_body_fails():
    header = signing.sign(SECRET, BODY, timestamp=T)
    assert not signing.verify(SECRET, header, b'{"order":43}', now=T)


def test_wrong_secret_fails():
    header = signing.sign(SECRET, BODY, timestamp=T)
    assert not signing.verify(b"other-secret", header, BODY, now=T)


def test_changed_timestamp_fails():
    header = signing.sign(SECRET, BODY, timestamp=T).replace(f"t={T}", f"t={T + 1}")
    assert not signing.verify(SECRET, header, BODY, now=T)


def test_stale_timestamp_fails():
    header = signing.sign(SECRET, BODY, timestamp=T)
    assert signing.verify(SECRET, header, BODY, now=T + 300)
    assert not signing.verify(SECRET, header, BODY, now=T + 301)


def test_future_timestamp_fails():
    header = signing.sign(SECRET, BODY, timestamp=T + 301)
    assert not signing.verify(SECRET, header, BODY, now=T)


def test_custom_tolerance():
    header = signing.sign(SECRET, BODY, timestamp=T)
    assert not signing.verify(SECRET, header, BODY, tolerance=5, now=T + 6)


@pytest.mark.parametrize("header", [
    "",
    "garbage",
    "t=1700000000",
    "v1=" + "0" * 64,
    "t=abc,v1=" + "0" * 64,
    "t=١٧٠٠٠٠٠٠٠٠,v1=" + "0" * 64,  # non-ASCII digits that int() would accept
    "t=1700000000,v1=xyz",
    "t=1700000000,v1=" + "é" * 64,
    "t=1700000000,t=1700000001,v1=" + "0" * 64,
    "t=1700000000;v1=" + "0" * 64,
])
def test_malformed_header_fails(header):
    assert signing.verify(SECRET, header, BODY, now=T) is False


def test_any_of_several_signatures_may_match():
    # What a sender does while rotating secrets: sign with the old and the new one.
    old = signing.sign(b"old-secret", BODY, timestamp=T)
    new = signing.sign(SECRET, BODY, timestamp=T)
    header = old + "," + new.split(",")[1]
    assert signing.verify(SECRET, header, BODY, now=T)


def test_empty_secret_is_rejected():
    with pytest.raises(ValueError):
        signing.sign(b"", BODY)


def test_token_roundtrip():
    tok = signing.token(SECRET, "job-callback", "job-123")
    assert signing.check_token(SECRET, "job-callback", "job-123", tok)


def test_token_is_urlsafe_without_padding():
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", signing.token(SECRET, "job-callback", "job-123"))


@pytest.mark.parametrize("secret, purpose, value", [
    (b"other-secret", "job-callback", "job-123"),
    (SECRET, "password-reset", "job-123"),
    (SECRET, "job-callback", "job-124"),
])
def test_token_bound_to_secret_purpose_and_value(secret, purpose, value):
    tok = signing.token(SECRET, "job-callback", "job-123")
    assert not signing.check_token(secret, purpose, value, tok)


def test_token_purpose_and_value_do_not_run_together():
    tok = signing.token(SECRET, "a", "bc")
    assert not signing.check_token(SECRET, "ab", "c", tok)


@pytest.mark.parametrize("bad", ["", "not-a-token", "é" * 43])
def test_bad_token_fails(bad):
    assert signing.check_token(SECRET, "job-callback", "job-123", bad) is False


def test_tampered_token_fails():
    tok = signing.token(SECRET, "job-callback", "job-123")
    tampered = ("A" if tok[0] != "A" else "B") + tok[1:]
    assert not signing.check_token(SECRET, "job-callback", "job-123", tampered)
