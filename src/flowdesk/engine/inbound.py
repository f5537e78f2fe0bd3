"""Signed inbound messages and signals: the same scheme flowdesk signs its own calls with.

A caller with a signing secret (its own, else the installation's) must send
``X-Flowdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>``; a signature
older or newer than the window is refused, so a captured request cannot be replayed later,
and within the window ``message_id`` makes a replay change nothing.
"""

from __future__ import annotations

from . import identity, signing
from .errors import Unauthenticated
from .principal import Principal
from .runtime import Runtime

WINDOW_SECONDS = 300


def require_signature(rt: Runtime, principal: Principal, header: str | None, body: bytes,
                      global_secret: bytes | None = None) -> None:
    """Raise :class:`Unauthenticated` unless the request is signed when the caller must sign."""
    secret = None if principal.user_id.startswith("jwt:") else identity.signing_secret_of(rt, principal.user_id)
    secret = secret or global_secret
    if not secret:
        return
    if not header:
        raise Unauthenticated(f"requests from '{principal.name}' must be signed: send {signing.SIGNATURE_HEADER}")
    now = int(rt.clock().timestamp())
    if not signing.verify(secret, header, body, tolerance=WINDOW_SECONDS, now=now):
        raise Unauthenticated(f"the {signing.SIGNATURE_HEADER} signature does not match the body or is more than "
                              f"{WINDOW_SECONDS} seconds from now")
