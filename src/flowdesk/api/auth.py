"""Bearer API keys on every /api/v1 endpoint; the principal is kept on ``flask.g``."""

from __future__ import annotations

from flask import Flask, current_app, g, request

from ..engine import identity, tenancy
from ..engine.errors import Unauthenticated
from ..engine.principal import Principal
from ..engine.runtime import Runtime

PROTECTED_PREFIX = "/api/v1"
# Endpoints that authenticate by other means than an API key (a signed token).
TOKEN_ENDPOINTS = {"operations.JobCallback"}


def runtime() -> Runtime:
    return current_app.extensions["flowdesk"]


def principal() -> Principal:
    return g.principal


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def register(app: Flask) -> None:
    @app.before_request
    def _authenticate():
        if not request.path.startswith(PROTECTED_PREFIX):
            return None
        if request.method == "OPTIONS" or request.endpoint in TOKEN_ENDPOINTS:
            return None
        key = _bearer()
        if key is None and request.headers.get("Authorization"):
            raise Unauthenticated("the Authorization header must be 'Bearer <key>'")
        g.principal = identity.authenticate(runtime(), key)
        # Every unit of work of this request reads and writes the principal's tenant only.
        g.tenant_token = tenancy.begin_acting_for(g.principal.tenant_id)
        return None

    @app.teardown_request
    def _leave_tenant(_exc):
        token = g.pop("tenant_token", None)
        if token is not None:
            tenancy.end_acting(token)
