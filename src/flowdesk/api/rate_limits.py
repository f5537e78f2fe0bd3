"""Per-key rate limits on the endpoints callers could flood (start, message, signal, open a request).

Counters live in memory (per process) by default, in Redis when the installation has one, so
all API processes share them. The key is a hash of the bearer credential (the client address
without one); the limit is checked before authentication, so a flood, of bad keys too, is
refused with 429 at no database cost.
"""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import Limiter

from ..config import Settings
from .auth import bearer

LIMITED_ENDPOINTS = ("instances.ProcessInstances", "messages.Messages", "messages.Signals", "requests.Requests",
                     # The same operations on the Camunda 7 surface share the caller's budget.
                     "camunda.process_definition.start_by_key", "camunda.process_definition.start_by_id",
                     "camunda.message.correlate", "camunda.message.signal")


def _caller() -> str:
    # Camunda clients send HTTP Basic: the whole header names the caller as well as a bearer key.
    credential = bearer() or request.headers.get("Authorization")
    if credential:
        return "key:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    return "addr:" + (request.remote_addr or "unknown")


def register(app: Flask, settings: Settings) -> Limiter | None:
    """Limit the POSTs of :data:`LIMITED_ENDPOINTS` to ``settings.rate_limit`` per caller."""
    if not settings.rate_limit.strip():
        return None
    limiter = Limiter(
        key_func=_caller, app=app, storage_uri=settings.redis_url or "memory://",
        headers_enabled=True, strategy="fixed-window",
        # The queue's Redis being briefly away must not turn every start into an error.
        swallow_errors=True, in_memory_fallback_enabled=bool(settings.redis_url),
    )
    limit = limiter.limit(settings.rate_limit, methods=["POST"])

    # Checked here, registered before authentication's hook, rather than by decorating the views:
    # a decorated view counts only requests that got past authentication, so a flood of bad keys
    # was never limited.
    @app.before_request
    def _limit_before_authentication():
        if request.method == "POST" and request.endpoint in LIMITED_ENDPOINTS:
            with limit:  # counts against this endpoint's budget for the caller; 429 above it
                pass
        return None

    return limiter
