"""Bearer API keys or identity-provider JWTs on every /api/v1 endpoint; the principal is kept on ``flask.g``."""

from __future__ import annotations

from flask import Flask, current_app, g, request

from ..config import Settings
from ..engine.access import identity
from ..engine.access.jwt_tokens import TokenVerifier
from ..engine.access.principal import Principal
from ..engine.store import tenancy
from ..engine.store.errors import Unauthenticated
from ..engine.store.runtime import Runtime
from .oidc import PUBLIC_ENDPOINTS

PROTECTED_PREFIX = "/api/v1"
# Endpoints that authenticate by other means than an API key (a signed token), or that are how
# a user without a key signs in.
TOKEN_ENDPOINTS = {"operations.JobCallback"} | PUBLIC_ENDPOINTS


def runtime() -> Runtime:
    return current_app.extensions["flowdesk"]


def principal() -> Principal:
    return g.principal


def bearer() -> str | None:
    """The credential of ``Authorization: Bearer <credential>``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_verifier(settings: Settings) -> TokenVerifier | None:
    """The JWT verifier the settings describe, or None when JWTs are not configured.

    A half-done configuration (an issuer but no key, an HMAC algorithm) fails the start.
    """
    configured = (settings.jwt_issuer, settings.jwt_audience, settings.jwt_jwks_url, settings.jwt_public_key)
    if not any(configured):
        return None
    return TokenVerifier(
        issuer=settings.jwt_issuer or "", audience=settings.jwt_audience or "",
        algorithms=tuple(a.strip() for a in settings.jwt_algorithms.split(",") if a.strip()),
        jwks_url=settings.jwt_jwks_url, public_key_pem=settings.jwt_public_key,
        role_claim=settings.jwt_role_claim, groups_claim=settings.jwt_groups_claim,
        name_claim=settings.jwt_name_claim, tenant_claim=settings.jwt_tenant_claim)


def register(app: Flask, settings: Settings) -> None:
    tokens = token_verifier(settings)

    @app.before_request
    def _authenticate():
        if not request.path.startswith(PROTECTED_PREFIX):
            return None
        if request.method == "OPTIONS" or request.endpoint in TOKEN_ENDPOINTS:
            return None
        key = bearer()
        if key is None and request.headers.get("Authorization"):
            raise Unauthenticated("the Authorization header must be 'Bearer <key>'")
        g.principal = identity.authenticate(runtime(), key, tokens)
        # Every unit of work of this request reads and writes the principal's tenant only.
        g.tenant_token = tenancy.begin_acting_for(g.principal.tenant_id)
        # Auditors and read-scoped keys read only; checked once here rather than in every command.
        g.principal.require_method(request.method)
        return None

    @app.teardown_request
    def _leave_tenant(_exc):
        token = g.pop("tenant_token", None)
        if token is not None:
            tenancy.end_acting(token)
