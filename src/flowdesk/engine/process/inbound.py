"""Signed inbound messages and signals: the scheme flowdesk signs its own calls with, bound to
the request's method and path.

A caller with a signing secret (its own, else the installation's) must send
``X-Flowdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<METHOD> <path>\\n" + body>``.
The method and path are signed so a body signed for ``/messages`` is not also valid at
``/signals``. A signature older or newer than the window is refused, so a captured request
cannot be replayed later; within the window the request's ``message_id`` (or, without one, an
id derived from the signed request) makes a replay change nothing.
"""

from __future__ import annotations

from ..access import identity, signing
from ..access.principal import Principal
from ..store.errors import Unauthenticated
from ..store.runtime import Runtime

WINDOW_SECONDS = 300


def context(method: str, path: str) -> bytes:
    """What is signed besides the timestamp and the body: ``"<METHOD> <path>\\n"``."""
    return f"{method.upper()} {path}\n".encode("utf-8")


def require_signature(rt: Runtime, principal: Principal, header: str | None, body: bytes,
                      global_secret: bytes | None = None, *, method: str = "POST",
                      path: str = "") -> str | None:
    """Raise :class:`Unauthenticated` unless the request is signed when the caller must sign.

    Returns the request's replay id when it was signed (None when the caller need not sign).
    """
    secret = None if principal.user_id.startswith("jwt:") else identity.signing_secret_of(rt, principal.user_id)
    secret = secret or global_secret
    if not secret:
        return None
    if not header:
        raise Unauthenticated(f"requests from '{principal.name}' must be signed: send {signing.SIGNATURE_HEADER}")
    now = int(rt.clock().timestamp())
    signed = context(method, path)
    if not signing.verify(secret, header, body, tolerance=WINDOW_SECONDS, now=now, context=signed):
        raise Unauthenticated(f"the {signing.SIGNATURE_HEADER} signature does not match the method, path and "
                              f"body or is more than {WINDOW_SECONDS} seconds from now")
    return signing.replay_id(header, body, signed)
