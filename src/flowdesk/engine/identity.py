"""Users, groups and API keys: creating them and authenticating a bearer key."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from .errors import Conflict, InvalidInput, Unauthenticated
from .models import ApiKey, User, UserGroup
from .models.base import utcnow
from .principal import ROLES, Principal
from .runtime import Runtime
from .tenancy import SYSTEM, acting_for
from .tenants import require_tenant

KEY_PREFIX = "fd_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.name, user.role, frozenset(user.group_names), frozenset(user.lead_of),
                     tenant_id=user.tenant_id)


def create_user(rt: Runtime, name: str, role: str, groups: list[str] | tuple = (), key: str | None = None,
                lead_of: list[str] | tuple = (), tenant: str | None = None) -> tuple[User, str]:
    """Create a user with ``role`` and ``groups`` and an API key; return both (key in clear once).

    ``lead_of`` groups make the user a member and the group's lead (may assign its tickets).
    The user belongs to ``tenant`` (default: the tenant the caller acts for).
    """
    if tenant is not None:
        require_tenant(rt, tenant)
        with acting_for(tenant):
            return create_user(rt, name, role, groups, key, lead_of)
    with rt.uow() as uow:
        if role not in ROLES:
            raise InvalidInput(f"unknown role '{role}'", {"role": [f"must be one of {', '.join(ROLES)}"]})
        if not name or len(name) > 100:
            raise InvalidInput("invalid user name", {"name": ["1 to 100 characters"]})
        if uow.session.scalar(select(User).where(User.name == name)) is not None:
            raise Conflict(f"user '{name}' already exists")
        user = User(name=name, role=role, groups=[UserGroup(group=g, lead=g in set(lead_of))
                                                  for g in sorted(set(groups) | set(lead_of))])
        uow.session.add(user)
        key = key or new_api_key()
        uow.session.add(ApiKey(user=user, key_hash=_hash(key), prefix=key[:10]))
        uow.commit()
        return user, key


def ensure_admin(rt: Runtime, key: str | None) -> str | None:
    """On an empty user table create ``admin``; return its key if one was made here.

    With ``key`` given (FLOWDESK_ADMIN_KEY) that key is used and also (re)attached to an
    existing admin, so scripts and tests can always reach the server.
    """
    with rt.uow() as uow:
        admin = uow.session.scalar(select(User).where(User.name == "admin"))
        if admin is None and uow.session.scalar(select(User).limit(1)) is not None:
            return None
        if admin is not None:
            if key and uow.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key))) is None:
                uow.session.add(ApiKey(user=admin, key_hash=_hash(key), prefix=key[:10]))
                uow.commit()
            return None
    _, created = create_user(rt, "admin", "admin", (), key)
    return None if key else created


def authenticate(rt: Runtime, key: str | None) -> Principal:
    """The principal owning bearer ``key``, or :class:`Unauthenticated`."""
    if not key:
        raise Unauthenticated("an API key is required: send 'Authorization: Bearer <key>'")
    # Keys are unique across tenants; the key tells whose the caller is.
    with rt.uow(SYSTEM) as uow:
        api_key = uow.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
        if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(key)):
            raise Unauthenticated("the API key is not valid")
        now = utcnow()
        # Writing last-used on every request would serialize reads on SQLite; a minute is precise enough.
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            api_key.last_used_at = now
            uow.commit()
        return principal_of(api_key.user)
