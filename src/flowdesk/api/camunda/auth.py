"""Who calls /engine-rest: HTTP Basic ``user:key`` (what most Camunda clients send) or a bearer key/JWT.

With Basic, the password is the user's API key (or a JWT) and the user name must be that key's
user: a key lent to another name is refused, so logs and audits name who really called.
"""

from __future__ import annotations

import base64
import binascii

from flask import current_app, g, request

from ...engine.access import identity
from ...engine.store import tenancy
from ...engine.store.errors import Unauthenticated


def _credential() -> tuple[str | None, str | None]:
    """(user name or None, key) from the Authorization header."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value
    if scheme.lower() == "basic" and value:
        try:
            user, colon, key = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("the Basic credentials are not base64 of 'user:key'") from None
        if not colon or not user or not key:
            raise Unauthenticated("Basic credentials must be 'user:key' with the user's API key as password")
        return user, key
    if header:
        raise Unauthenticated("the Authorization header must be 'Basic <user:key>' or 'Bearer <key>'")
    raise Unauthenticated("credentials are required: HTTP Basic 'user:key' or 'Bearer <key>'")


def authenticate() -> None:
    """Set ``g.principal`` and act for its tenant for the rest of the request (ended by api.auth)."""
    if request.method == "OPTIONS":
        return
    user, key = _credential()
    principal = identity.authenticate(current_app.extensions["flowdesk"], key,
                                      current_app.extensions.get("flowdesk_tokens"))
    if user is not None and user != principal.name:
        raise Unauthenticated(f"the key given for '{user}' does not belong to that user")
    g.principal = principal
    g.tenant_token = tenancy.begin_acting_for(principal.tenant_id)
    principal.require_method(request.method)
