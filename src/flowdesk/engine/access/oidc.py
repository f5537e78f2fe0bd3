"""Signing in to the web UI with an OpenID Connect provider: authorization code flow with PKCE.

The browser makes the PKCE verifier and the ``state``, keeps both in its tab, goes to the
provider's authorize endpoint and comes back to ``/ui/oidc/callback``, where it checks ``state``.
The code is then exchanged here, on the server, rather than by the browser itself: the UI's
Content-Security-Policy lets its scripts talk to their own origin only (``connect-src 'self'``),
and many providers do not answer cross-origin token requests. The server keeps nothing: it
forwards the code and the verifier, the provider checks them, and the token goes back to the tab
that asked, which uses it as a bearer JWT that the ``JWT_*`` settings then verify on every call.

Tokens and codes are never logged.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..store.errors import InvalidInput, NotFound, Unauthenticated, Unavailable

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TTL = 300.0  # seconds the provider's discovery document is kept
TIMEOUT = 10.0
TOKEN_KINDS = ("access_token", "id_token")
# RFC 7636 section 4.1: 43 to 128 characters of the unreserved set.
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
MAX_CODE = 4096


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str


@dataclass(frozen=True)
class LoginOptions:
    """What the browser needs to send the user to the provider (all of it public)."""

    provider: str
    authorization_endpoint: str
    client_id: str
    scope: str
    redirect_uri: str


def _http_url(value: object) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme in ("https", "http") and bool(urlsplit(value).netloc)


class OidcClient:
    """The provider as the UI's sign-in sees it: discovery (cached) and the code exchange."""

    def __init__(self, issuer: str, client_id: str, scopes: str = "openid", provider_name: str | None = None,
                 token_kind: str = "access_token", redirect_uri: str | None = None,
                 transport: httpx.BaseTransport | None = None):
        if not _http_url(issuer):
            raise ValueError("FLOWDESK_OIDC_ISSUER must be an http(s) URL")
        if token_kind not in TOKEN_KINDS:
            raise ValueError(f"FLOWDESK_OIDC_TOKEN must be one of {', '.join(TOKEN_KINDS)}")
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.scope = " ".join(scopes.split()) or "openid"
        self.provider_name = provider_name or urlsplit(self.issuer).hostname or self.issuer
        self.token_kind = token_kind
        self.redirect_uri = redirect_uri
        self._transport = transport
        self._endpoints: Endpoints | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        return httpx.Client(timeout=TIMEOUT, transport=self._transport, follow_redirects=False)

    def endpoints(self) -> Endpoints:
        """The provider's endpoints from its discovery document (kept for five minutes)."""
        with self._lock:
            if self._endpoints is not None and time.monotonic() - self._fetched_at < DISCOVERY_TTL:
                return self._endpoints
        url = self.issuer + DISCOVERY_PATH
        try:
            with self._client() as client:
                response = client.get(url, headers={"Accept": "application/json"})
            document = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("OIDC discovery at %s failed: %s", url, type(exc).__name__)
            raise Unavailable("the identity provider cannot be reached; try again shortly") from exc
        if not isinstance(document, dict):
            log.warning("OIDC discovery at %s answered %s", url, response.status_code)
            raise Unavailable("the identity provider's discovery document cannot be read")
        if str(document.get("issuer", "")).rstrip("/") != self.issuer:
            # A document for another issuer would send users (and codes) somewhere unintended.
            log.warning("OIDC discovery at %s names issuer %r", url, document.get("issuer"))
            raise Unavailable("the identity provider's discovery document names another issuer")
        authorize, token = document.get("authorization_endpoint"), document.get("token_endpoint")
        if not (_http_url(authorize) and _http_url(token)):
            raise Unavailable("the identity provider's discovery document lacks its authorize or token endpoint")
        endpoints = Endpoints(self.issuer, authorize, token)
        with self._lock:
            self._endpoints, self._fetched_at = endpoints, time.monotonic()
        return endpoints

    def login_options(self, default_redirect_uri: str) -> LoginOptions:
        return LoginOptions(self.provider_name, self.endpoints().authorization_endpoint, self.client_id, self.scope,
                            self.redirect_uri or default_redirect_uri)

    def exchange(self, code: object, code_verifier: object, default_redirect_uri: str) -> dict:
        """Trade the authorization code (and the PKCE verifier) for the provider's token.

        Returns ``{"token": ..., "expires_in": seconds or None}``; a refused code is
        :class:`Unauthenticated`, a provider that cannot be reached :class:`Unavailable`.
        """
        errors = {}
        if not isinstance(code, str) or not code or len(code) > MAX_CODE:
            errors["code"] = ["the authorization code the provider sent back"]
        if not isinstance(code_verifier, str) or not VERIFIER.fullmatch(code_verifier):
            errors["code_verifier"] = ["43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)"]
        if errors:
            raise InvalidInput("the sign-in answer is incomplete", errors)
        endpoint = self.endpoints().token_endpoint
        form = {"grant_type": "authorization_code", "code": code, "code_verifier": code_verifier,
                "client_id": self.client_id, "redirect_uri": self.redirect_uri or default_redirect_uri}
        try:
            with self._client() as client:
                response = client.post(endpoint, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            log.warning("OIDC token request to %s failed: %s", endpoint, type(exc).__name__)
            raise Unavailable("the identity provider cannot be reached; try again shortly") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            log.warning("OIDC token endpoint %s answered %s without JSON", endpoint, response.status_code)
            raise Unavailable("the identity provider gave no readable answer")
        if response.status_code != 200:
            # OAuth errors (RFC 6749 5.2) name what went wrong, never a secret: safe to pass on.
            reason = str(answer.get("error") or response.status_code)[:100]
            log.info("OIDC token endpoint refused a code: %s", reason)
            raise Unauthenticated(f"the identity provider refused the sign-in ({reason}); sign in again",
                                  provider_error=reason)
        token = answer.get(self.token_kind)
        if not isinstance(token, str) or not token:
            raise Unavailable(f"the identity provider's answer has no {self.token_kind}")
        expires_in = answer.get("expires_in")
        return {"token": token, "expires_in": expires_in if isinstance(expires_in, int) else None}


def require(client: OidcClient | None) -> OidcClient:
    if client is None:
        raise NotFound("sign-in with an identity provider is not configured (FLOWDESK_OIDC_ISSUER)")
    return client
