"""The ``Idempotency-Key`` header: building the engine request and replaying stored answers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, json, request

from ..engine.access.idempotency import IdempotentRequest, Replay
from ..engine.store.errors import InvalidInput

HEADER = "Idempotency-Key"


def from_request(scope: str, render: Callable) -> IdempotentRequest | None:
    """An :class:`IdempotentRequest` when the client sent the header, else None."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 255:
        raise InvalidInput("invalid Idempotency-Key", {HEADER: ["1 to 255 characters"]})
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return IdempotentRequest(key, scope, digest.hexdigest(), render)


def respond(result, render: Callable) -> Response:
    """A stored replay exactly as it was first sent, or a fresh result rendered now."""
    if isinstance(result, Replay):
        response = Response(json.dumps(result.body), status=result.status_code, mimetype="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response
    status, body = render(result)
    return Response(json.dumps(body), status=status, mimetype="application/json")
