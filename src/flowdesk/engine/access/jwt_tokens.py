"""Bearer JWTs from an external identity provider: verified signature, issuer, audience, expiry.

Only asymmetric algorithms are accepted: with an HMAC algorithm allowed, a public key could
be used as the shared secret to forge tokens (the RS/HS confusion), and ``none`` signs nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ..models.tenant import DEFAULT_TENANT
from ..store.errors import Forbidden, Unauthenticated, Unavailable
from ..store.tenancy import TENANT_ID
from .principal import ROLE_PRECEDENCE, Principal

# Longer subjects are hashed into the user id (see _user_id).
MAX_NAME = 200
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})


def check_algorithms(algorithms: tuple[str, ...]) -> tuple[str, ...]:
    """The allow-list, or ValueError when it is empty or names a symmetric algorithm or ``none``."""
    bad = [a for a in algorithms if a not in ASYMMETRIC]
    if bad or not algorithms:
        raise ValueError(f"JWT algorithms must be among {', '.join(sorted(ASYMMETRIC))}; refused: {', '.join(bad)}")
    return algorithms


def _claim(claims: dict, path: str):
    """A claim by dotted path (``realm_access.roles`` for Keycloak)."""
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _user_id(name: str) -> str:
    """The id a token's user acts as; a very long ``sub`` is hashed so every column holding a
    user id (255 characters) can keep it."""
    if len(name) <= MAX_NAME:
        return f"jwt:{name}"
    return f"jwt:sha256:{hashlib.sha256(name.encode('utf-8')).hexdigest()}"


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


@dataclass
class TokenVerifier:
    """Checks bearer JWTs and turns their claims into a :class:`Principal`."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256",)
    jwks_url: str | None = None
    public_key_pem: str | None = None
    role_claim: str = "roles"
    groups_claim: str = "groups"
    name_claim: str = "sub"
    tenant_claim: str = "tenant"
    leeway: int = 30  # seconds of clock difference with the identity provider

    def __post_init__(self):
        check_algorithms(tuple(self.algorithms))
        if not self.issuer or not self.audience:
            raise ValueError("JWT issuer and audience must both be configured")
        if bool(self.jwks_url) == bool(self.public_key_pem):
            raise ValueError("configure exactly one of a JWKS URL and a PEM public key for JWTs")
        self._public_key = load_pem_public_key(self.public_key_pem.encode()) if self.public_key_pem else None
        # Keys are cached for five minutes; an unknown key id refetches (a rotation at the provider).
        self._jwks = jwt.PyJWKClient(self.jwks_url, cache_jwk_set=True, lifespan=300, timeout=5,
                                     cooldown_duration=10) if self.jwks_url else None

    @staticmethod
    def looks_like_token(bearer: str) -> bool:
        """JWTs are three base64url parts starting with a JSON header; API keys are not."""
        return bearer.count(".") == 2 and bearer.startswith("eyJ")

    def _key(self, token: str):
        if self._public_key is not None:
            return self._public_key
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            raise Unavailable("the identity provider's signing keys cannot be fetched", retry_after=5) from exc

    def claims(self, token: str) -> dict:
        """The verified claims, or :class:`Unauthenticated` saying why not."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in self.algorithms:
                raise Unauthenticated(f"the token's algorithm '{header.get('alg')}' is not accepted")
            return jwt.decode(token, self._key(token), algorithms=list(self.algorithms), audience=self.audience,
                              issuer=self.issuer, leeway=self.leeway,
                              options={"require": ["exp", "iss", "aud", self.name_claim]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the bearer token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the bearer token is not valid: {exc}") from exc
        except (TypeError, ValueError) as exc:
            # PyJWT raises these when the token's algorithm needs another type of key than the
            # configured one (an ES256 token against an RSA key): a token we cannot read.
            raise Unauthenticated("the bearer token is not valid: its algorithm does not fit the key") from exc

    def principal(self, token: str) -> Principal:
        claims = self.claims(token)
        name = _claim(claims, self.name_claim)
        if not isinstance(name, str) or not name:
            raise Unauthenticated(f"the bearer token has no '{self.name_claim}' claim")
        granted = set(_strings(_claim(claims, self.role_claim)))
        role = next((r for r in ROLE_PRECEDENCE if r in granted), None)
        if role is None:
            raise Forbidden(f"the token grants no flowdesk role in its '{self.role_claim}' claim")
        groups = frozenset(_strings(_claim(claims, self.groups_claim)))
        # A token without the claim belongs to the default tenant (a single-tenant installation).
        tenant = _claim(claims, self.tenant_claim)
        if tenant is None:
            tenant = DEFAULT_TENANT
        if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
            raise Unauthenticated(f"the bearer token's '{self.tenant_claim}' claim is not a tenant id")
        return Principal(_user_id(name), name[:100], role, groups, tenant_id=tenant)
