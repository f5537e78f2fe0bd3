"""HMAC signatures for outgoing action calls and opaque tokens for callbacks into flowdesk.

The signature header follows the Stripe/GitHub webhook shape, ``t=<unix seconds>,v1=<hex>``,
so receivers can verify it with a few lines in any language. The timestamp is part of the
signed message: a captured request cannot be replayed once it is older than the tolerance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Flowdesk-Signature"

# ASCII-only on purpose: ``int()`` and ``\d`` also accept non-ASCII digits such as "١٢".
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_V1 = re.compile(r"[0-9a-f]{64}")
# Never a prefix of a signed message (those start with a digit), so a token can never be
# replayed as a signature or the other way round even when both share one secret.
_TOKEN_CONTEXT = b"flowdesk-token\x00"


def _check_secret(secret: bytes) -> None:
    # An empty key makes every signature forgeable; that is a configuration bug, not a bad request.
    if not secret:
        raise ValueError("signing secret must not be empty")


def _digest(secret: bytes, timestamp: int, body: bytes, context: bytes = b"") -> str:
    # ``context`` (inbound requests: "<METHOD> <path>\n") binds the signature to where it was sent.
    return hmac.new(secret, f"{timestamp}.".encode("ascii") + context + body, hashlib.sha256).hexdigest()


def sign(secret: bytes | Sequence[bytes], body: bytes, timestamp: int | None = None, context: bytes = b"") -> str:
    """The ``X-Flowdesk-Signature`` value for ``body``: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``.

    Several secrets (while a key is rotated) give one ``v1`` entry each, the first secret's first.
    """
    secrets = [secret] if isinstance(secret, (bytes, bytearray)) else list(secret)
    if not secrets:
        raise ValueError("signing needs at least one secret")
    for each in secrets:
        _check_secret(each)
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t}," + ",".join(f"v1={_digest(each, t, body, context)}" for each in secrets)


def _parse(header: str) -> tuple[int, list[str]] | None:
    timestamp, signatures = None, []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                return None
            timestamp = int(value)
        elif key == "v1":
            if not _V1.fullmatch(value):
                return None
            signatures.append(value)
        # Unknown keys (a future v2) are ignored so receivers can roll schemes forward.
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(secret: bytes, header: str, body: bytes, tolerance: int = 300, now: int | None = None,
           context: bytes = b"") -> bool:
    """Whether ``header`` is a valid signature of ``body`` made within ``tolerance`` seconds of ``now``.

    Several ``v1`` entries are accepted (any one may match) so a sender can sign with an old
    and a new secret while the secret is rotated.
    """
    _check_secret(secret)
    if not isinstance(header, str) or not isinstance(body, (bytes, bytearray)):
        return False
    parsed = _parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    current = int(time.time()) if now is None else int(now)
    if abs(current - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body, context).encode("ascii")
    # Compare against every entry, not just until the first match, so timing says nothing.
    matches = [hmac.compare_digest(expected, candidate.encode("ascii")) for candidate in signatures]
    return any(matches)


def replay_id(header: str, body: bytes, context: bytes = b"") -> str:
    """An id shared by every copy of one signed request (its timestamp, context and body), so a
    replay within the window can be recognised even when the sender gave no id of its own."""
    parsed = _parse(header)
    timestamp = parsed[0] if parsed else 0
    return "sig:" + hashlib.sha256(f"{timestamp}.".encode("ascii") + context + body).hexdigest()


def _token_message(purpose: str, value: str) -> bytes:
    purpose_bytes = purpose.encode("utf-8")
    # Length-prefixing the purpose keeps ("a:b", "c") and ("a", "b:c") apart.
    return _TOKEN_CONTEXT + str(len(purpose_bytes)).encode("ascii") + b":" + purpose_bytes + value.encode("utf-8")


def _make_token(secret: bytes, purpose: str, value: str) -> str:
    _check_secret(secret)
    digest = hmac.new(secret, _token_message(purpose, value), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token(secret: bytes, purpose: str, value: str) -> str:
    """An opaque URL-safe token binding ``value`` to ``purpose``, e.g. ``("job-callback", job_id)``."""
    return _make_token(secret, purpose, value)


def check_token(secret: bytes, purpose: str, value: str, token: str) -> bool:
    """Whether ``token`` was made by :func:`token` for this ``purpose`` and ``value``."""
    expected = _make_token(secret, purpose, value)
    if not isinstance(token, str) or not token.isascii():
        return False
    return hmac.compare_digest(expected.encode("ascii"), token.encode("ascii"))
