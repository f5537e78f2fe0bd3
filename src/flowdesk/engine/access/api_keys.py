"""API keys: hashed secrets with scopes, expiry, rotation (with a grace period) and last use."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ..models import ApiKey, User, UserGroup
from ..models.identity import DEFAULT_SCOPES
from ..store import paging
from ..store.changes import UNWATCHED
from ..store.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from ..store.runtime import Runtime
from . import audit_log
from .principal import SCOPES, Principal, narrowed, within

KEY_PREFIX = "fd_"
# Writing last-used on every request would serialize reads on SQLite; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_GRACE_SECONDS = 7 * 24 * 3600


def hash_secret(secret: str) -> str:
    # Keys are 256 random bits, so a fast hash is as strong as a slow one here.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


# Enough to tell keys apart, too little to help guess one: only of long (random) keys.
SHOWN_PREFIX = 7
LONG_KEY = 32


def shown_prefix(secret: str) -> str:
    """The characters of ``secret`` that lists show to recognise it: a few of a long random key,
    none of a short chosen one (its id identifies it)."""
    return secret[:SHOWN_PREFIX] if len(secret) >= LONG_KEY else ""


def find(session: Session, secret: str) -> ApiKey | None:
    digest = hash_secret(secret)
    # Key, user and groups in one round trip: every request authenticates.
    row = session.execute(select(ApiKey).where(ApiKey.key_hash == digest)
                          .options(joinedload(ApiKey.user).joinedload(User.groups))).unique().scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return row


@dataclass(frozen=True)
class KeyHolder:
    """A key and its user as authenticating a request needs them: plain values, no ORM objects."""

    key_id: str
    revoked_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None
    scopes: list
    key_process_keys: list | None
    key_message_names: list | None
    key_topics: list | None
    user_id: str
    name: str
    role: str
    user_process_keys: list | None
    user_message_names: list | None
    user_topics: list | None
    tenant_id: str
    groups: frozenset[str]
    lead_of: frozenset[str]


_HOLDER_COLUMNS = (
    ApiKey.id.label("key_id"), ApiKey.key_hash, ApiKey.revoked_at, ApiKey.expires_at, ApiKey.last_used_at,
    ApiKey.scopes, ApiKey.process_keys.label("key_process_keys"), ApiKey.message_names.label("key_message_names"),
    ApiKey.topics.label("key_topics"),
    User.id.label("user_id"), User.name, User.role, User.process_keys.label("user_process_keys"),
    User.message_names.label("user_message_names"), User.topics.label("user_topics"), User.tenant_id,
    UserGroup.group, UserGroup.lead,
)


def find_holder(session: Session, secret: str) -> KeyHolder | None:
    """The key ``secret`` and its user with their groups: one statement, read as rows (every
    request authenticates, and loading three kinds of ORM objects cost more than the query)."""
    digest = hash_secret(secret)
    rows = session.execute(select(*_HOLDER_COLUMNS).join(User, User.id == ApiKey.user_id)
                           .outerjoin(UserGroup, UserGroup.user_id == User.id)
                           .where(ApiKey.key_hash == digest)).all()
    if not rows or not hmac.compare_digest(rows[0].key_hash, digest):
        return None
    first = rows[0]._asdict()
    member = [row for row in rows if row.group is not None]  # one row per group (or one with none)
    return KeyHolder(**{name: first[name] for name in KeyHolder.__dataclass_fields__
                        if name not in ("groups", "lead_of")},
                     groups=frozenset(row.group for row in member),
                     lead_of=frozenset(row.group for row in member if row.lead))


def touch_holder(session: Session, holder: KeyHolder, now: datetime) -> bool:
    """Record use at most once per :data:`LAST_USED_PRECISION` (one UPDATE); True when it did."""
    if holder.last_used_at is not None and now - holder.last_used_at < LAST_USED_PRECISION:
        return False
    session.execute(update(ApiKey).where(ApiKey.id == holder.key_id).values(last_used_at=now)
                    .execution_options(synchronize_session=False, **{UNWATCHED: True}))
    return True


def check_usable(key: ApiKey | KeyHolder, now: datetime) -> None:
    """Raise :class:`Unauthenticated` for a revoked or expired key."""
    if key.revoked_at is not None:
        raise Unauthenticated("the API key has been revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated("the API key has expired")


def _scopes(scopes) -> list[str]:
    if scopes is None:
        return list(DEFAULT_SCOPES)
    if not isinstance(scopes, (list, tuple)) or not scopes or any(s not in SCOPES for s in scopes):
        raise InvalidInput("invalid scopes", {"scopes": [f"a non-empty list of {', '.join(SCOPES)}"]})
    return sorted(set(scopes))


def _names(field_name: str, values) -> list[str] | None:
    if values is None:
        return None
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) and 0 < len(v) <= 255 for v in values):
        raise InvalidInput(f"invalid {field_name}", {field_name: ["a list of names (1 to 255 characters)"]})
    return sorted(set(values))


def add_key(session: Session, user: User, now: datetime, *, secret: str | None = None, name: str | None = None,
            scopes=None, expires_at: datetime | None = None, process_keys=None,
            message_names=None, topics=None) -> tuple[ApiKey, str]:
    """Attach a new key to ``user`` in the caller's transaction; return it and its secret."""
    secret = secret or new_secret()
    row = ApiKey(user=user, key_hash=hash_secret(secret), prefix=shown_prefix(secret), name=name,
                 scopes=_scopes(scopes), expires_at=expires_at, created_at=now,
                 process_keys=_names("process_keys", process_keys),
                 message_names=_names("message_names", message_names), topics=_names("topics", topics))
    session.add(row)
    return row, secret


MAX_EXPIRES_IN = 10 * 365 * 24 * 3600  # a key's longest life: more would overflow dates, and means never


def _expiry(now: datetime, expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None
    if not isinstance(expires_in, int) or not 0 < expires_in <= MAX_EXPIRES_IN:
        raise InvalidInput("invalid expires_in",
                           {"expires_in": [f"seconds between 1 and {MAX_EXPIRES_IN} (ten years)"]})
    return now + timedelta(seconds=expires_in)


def create(rt: Runtime, principal: Principal, user_name: str, *, name: str | None = None, scopes=None,
           expires_in: int | None = None, process_keys=None, message_names=None,
           topics=None) -> tuple[ApiKey, str]:
    """A new key for ``user_name`` (admins); the secret is returned here only."""
    principal.require(action="create API keys")
    now = rt.clock()
    with rt.uow() as uow:
        user = uow.session.scalar(select(User).where(User.name == user_name))
        if user is None:
            raise InvalidInput("unknown user", {"user": [f"no user '{user_name}'"]})
        row, secret = add_key(uow.session, user, now, name=name, scopes=scopes, expires_at=_expiry(now, expires_in),
                              process_keys=process_keys, message_names=message_names, topics=topics)
        uow.session.flush()
        audit_log.record(uow.session, principal.name, "api_key.created", "api_key", row.id, user=user_name,
                         name=name, scopes=row.scopes, expires_at=row.expires_at and row.expires_at.isoformat())
        uow.commit()
        return row, secret


def _no_wider(principal: Principal, row: ApiKey) -> bool:
    """Whether key ``row`` allows nothing the caller's own key does not.

    A narrowed key must not reach its user's wider keys: listing, rotating (which hands out a
    new secret with the old key's rights) or revoking them would undo the narrowing.
    """
    if principal.key_id is None or principal.key_id == row.id:
        return True
    user = row.user
    return (set(row.scopes or ()) <= principal.scopes
            and within(narrowed(user.process_keys, row.process_keys), principal.process_keys)
            and within(narrowed(user.message_names, row.message_names), principal.message_names)
            and within(narrowed(user.topics, row.topics), principal.topics))


def _visible(principal: Principal, row: ApiKey) -> bool:
    """Admins reach every key; others their own keys that are no wider than the one they use."""
    return principal.is_admin or (row.user_id == principal.user_id and _no_wider(principal, row))


def _owned(session: Session, principal: Principal, key_id: str, action: str) -> ApiKey:
    """The key, when it exists and the principal may reach it (see :func:`_visible`; others get 404)."""
    row = session.get(ApiKey, key_id)
    if row is None or not _visible(principal, row):
        raise NotFound(f"API key '{key_id}' does not exist")
    if principal.role == "auditor":
        raise Forbidden(f"role 'auditor' may not {action}")
    return row


def list_keys(rt: Runtime, principal: Principal, user_name: str | None = None, after: str | None = None,
              limit: int | None = None) -> paging.Page:
    """A page of keys (never their secrets), oldest first: all for admins and auditors, else the
    caller's own no wider than its key."""
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        query = select(ApiKey).join(User, User.id == ApiKey.user_id)
        if user_name:
            query = query.where(User.name == user_name)
        if principal.reads_everything:
            return paging.page_of(list(uow.session.scalars(paging.apply(query, ApiKey, after, limit))), limit)
        # Which of one's own keys are visible is decided here, not in SQL: read them all (a
        # user's own keys are few) and page what is left.
        ordered = paging.apply(query.where(ApiKey.user_id == principal.user_id), ApiKey, after, limit)
        rows = [row for row in uow.session.scalars(ordered.limit(None)) if _visible(principal, row)]
        return paging.page_of(rows[:limit + 1], limit)


def rotate(rt: Runtime, principal: Principal, key_id: str, grace_seconds: int = 0) -> tuple[ApiKey, str]:
    """Replace the key by a new one with the same rights; the old one works ``grace_seconds`` more."""
    if not isinstance(grace_seconds, int) or not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise InvalidInput("invalid grace_seconds", {"grace_seconds": [f"0 to {MAX_GRACE_SECONDS} seconds"]})
    now = rt.clock()
    with rt.uow() as uow:
        old = _owned(uow.session, principal, key_id, "rotate API keys")
        check_usable(old, now)
        if old.replaced_by is not None:
            raise InvalidInput("already rotated", {"key_id": [f"rotated into '{old.replaced_by}'"]})
        new, secret = add_key(uow.session, old.user, now, name=old.name, scopes=old.scopes,
                              expires_at=old.expires_at, process_keys=old.process_keys,
                              message_names=old.message_names, topics=old.topics)
        uow.session.flush()
        old.replaced_by = new.id
        if grace_seconds:
            grace_end = now + timedelta(seconds=grace_seconds)
            old.expires_at = min(old.expires_at, grace_end) if old.expires_at else grace_end
        else:
            old.revoked_at = now
        audit_log.record(uow.session, principal.name, "api_key.rotated", "api_key", old.id, new_key=new.id,
                         user=old.user.name, grace_seconds=grace_seconds)
        uow.commit()
        return new, secret


def revoke(rt: Runtime, principal: Principal, key_id: str) -> None:
    """The key stops working at once (revoking twice is harmless)."""
    with rt.uow() as uow:
        row = _owned(uow.session, principal, key_id, "revoke API keys")
        if row.revoked_at is None:
            row.revoked_at = rt.clock()
            audit_log.record(uow.session, principal.name, "api_key.revoked", "api_key", row.id, user=row.user.name)
            uow.commit()
