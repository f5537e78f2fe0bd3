"""Users and groups: creating and changing them, and authenticating a bearer key or token."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from ..models import DEFAULT_TENANT, SavedFilter, Tenant, User, UserGroup
from ..store import database, paging
from ..store.changes import IDENTITY
from ..store.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM, acting_for
from . import api_keys, audit_log
from .principal import ROLES, Principal, Role, narrowed
from .tenants import require_tenant

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")
_UNSET = object()


def principal_of(user: User) -> Principal:
    """The principal ``user`` acts as, without a key narrowing it (scripts, benchmarks, the CLI)."""
    return Principal(user.id, user.name, user.role, frozenset(user.group_names), frozenset(user.lead_of),
                     process_keys=narrowed(user.process_keys, None), message_names=narrowed(user.message_names, None),
                     topics=narrowed(user.topics, None), scopes=frozenset(("read", "write")), tenant_id=user.tenant_id)


def _check_names(field_name: str, values) -> list[str] | None:
    if values is None:
        return None
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) and 0 < len(v) <= 255 for v in values):
        raise InvalidInput(f"invalid {field_name}", {field_name: ["a list of names (1 to 255 characters)"]})
    return sorted(set(values))


def _check_user(name: str | None, role: str | None) -> None:
    if role is not None and role not in ROLES:
        raise InvalidInput(f"unknown role '{role}'", {"role": [f"must be one of {', '.join(ROLES)}"]})
    if name is not None and not _NAME.fullmatch(name or ""):
        raise InvalidInput("invalid user name", {"name": ["1 to 100 letters, digits or _ . @ -"]})


def _memberships(groups, lead_of) -> list[UserGroup]:
    groups, lead_of = _check_names("groups", list(groups)) or [], _check_names("lead_of", list(lead_of)) or []
    return [UserGroup(group=g, lead=g in set(lead_of)) for g in sorted(set(groups) | set(lead_of))]


def create_user(rt: Runtime, name: str, role: str, groups: list[str] | tuple = (), key: str | None = None,
                lead_of: list[str] | tuple = (), *, process_keys: list[str] | None = None,
                message_names: list[str] | None = None, topics: list[str] | None = None,
                by: Principal | None = None, tenant: str | None = None) -> tuple[User, str]:
    """Create a user with ``role`` and ``groups`` and an API key; return both (key in clear once).

    ``lead_of`` groups make the user a member and the group's lead (may assign its tickets).
    ``by`` is the admin making the change over the API (None: the operator's CLI).
    The user belongs to ``tenant`` (default: the tenant the caller acts for).
    """
    if tenant is not None:
        require_tenant(rt, tenant)
        with acting_for(tenant):
            return create_user(rt, name, role, groups, key, lead_of, process_keys=process_keys,
                               message_names=message_names, topics=topics, by=by)
    if by is not None:
        by.require(action="manage users")
    _check_user(name, role)
    process_keys = _check_names("process_keys", process_keys)
    message_names = _check_names("message_names", message_names)
    topics = _check_names("topics", topics)
    with rt.uow() as uow:
        if uow.session.scalar(select(User).where(User.name == name)) is not None:
            raise Conflict(f"user '{name}' already exists")
        user = User(name=name, role=role, groups=_memberships(groups, lead_of), process_keys=process_keys,
                    message_names=message_names, topics=topics)
        uow.session.add(user)
        uow.session.flush()
        row, key = api_keys.add_key(uow.session, user, rt.clock(), secret=key, name="initial")
        audit_log.record(uow.session, by.name if by else "cli", "user.created", "user", name, role=role,
                         groups=user.group_names)
        audit_log.record(uow.session, by.name if by else "cli", "api_key.created", "api_key", row.id, user=name)
        uow.commit()
        return user, key


def _user(session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"user '{name}' does not exist")
    return user


def list_users(rt: Runtime, principal: Principal, after: str | None = None,
               limit: int | None = None) -> paging.Page:
    """A page of users, by name."""
    principal.require_reader(action="list users")
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        query = paging.apply_by_name(select(User), User.name, after, limit)
        return paging.page_by_name(list(uow.session.scalars(query)), limit)


def get_user(rt: Runtime, principal: Principal, name: str) -> User:
    principal.require_reader(action="read users")
    with rt.uow() as uow:
        return _user(uow.session, name)


def update_user(rt: Runtime, principal: Principal, name: str, *, role=_UNSET, groups=_UNSET, lead_of=_UNSET,
                process_keys=_UNSET, message_names=_UNSET, topics=_UNSET) -> User:
    """Change what was given (allow-lists: ``None`` lifts the limit); the rest stays."""
    principal.require(action="manage users")
    changes: dict = {}
    with rt.uow() as uow:
        user = _user(uow.session, name)
        if role is not _UNSET:
            _check_user(None, role)
            if user.id == principal.user_id and role != user.role:
                raise Conflict("you cannot change your own role")
            user.role = changes["role"] = role
        if groups is not _UNSET or lead_of is not _UNSET:
            new_groups = user.group_names if groups is _UNSET else groups
            new_leads = user.lead_of if lead_of is _UNSET else lead_of
            user.groups = _memberships(new_groups, new_leads)
            changes["groups"], changes["lead_of"] = user.group_names, user.lead_of
        if process_keys is not _UNSET:
            user.process_keys = changes["process_keys"] = _check_names("process_keys", process_keys)
        if message_names is not _UNSET:
            user.message_names = changes["message_names"] = _check_names("message_names", message_names)
        if topics is not _UNSET:
            user.topics = changes["topics"] = _check_names("topics", topics)
        audit_log.record(uow.session, principal.name, "user.updated", "user", name, **changes)
        uow.commit()
        return user


def delete_user(rt: Runtime, principal: Principal, name: str) -> None:
    """Remove the user and every key of theirs."""
    principal.require(action="manage users")
    with rt.uow() as uow:
        user = _user(uow.session, name)
        if user.id == principal.user_id:
            raise Conflict("you cannot delete yourself")
        uow.session.delete(user)
        uow.session.execute(delete(SavedFilter).where(SavedFilter.user_id == user.id))
        audit_log.record(uow.session, principal.name, "user.deleted", "user", name)
        uow.commit()


def set_signing_secret(rt: Runtime, principal: Principal, name: str, secret: str | None = None,
                       remove: bool = False) -> str | None:
    """Require signed messages and signals from ``name``: store ``secret`` (or a new random one) and return it.

    With ``remove`` the user's messages need no signature (unless one is configured globally).
    """
    principal.require(action="manage users")
    if secret is not None and not (16 <= len(secret) <= 256):
        raise InvalidInput("invalid signing secret", {"secret": ["16 to 256 characters"]})
    with rt.uow() as uow:
        user = _user(uow.session, name)
        value = None if remove else (secret or secrets.token_urlsafe(32))
        user.signing_secret = None if value is None else rt.secret_box.seal(value)
        audit_log.record(uow.session, principal.name, "secret.removed" if remove else "secret.changed",
                         "user", name, secret="inbound-signing")
        uow.commit()
        return value


def signing_secret_of(rt: Runtime, user_id: str) -> bytes | None:
    """The user's inbound signing secret, decrypted, or None when they have none."""
    with rt.uow() as uow:
        sealed = uow.session.scalar(select(User.signing_secret).where(User.id == user_id))
    return rt.secret_box.open(sealed).encode() if sealed else None


@dataclass
class Group:
    name: str
    members: list[str]
    leads: list[str]


def list_groups(rt: Runtime, principal: Principal, after: str | None = None,
                limit: int | None = None) -> paging.Page:
    """A page of the groups somebody belongs to, by name, with their members and leads."""
    principal.require_reader(action="list groups")
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        # A group is only its members' rows: page the distinct names, then read those groups whole.
        named = select(UserGroup.group).join(User, User.id == UserGroup.user_id).distinct()
        names = list(uow.session.scalars(paging.apply_by_name(named, UserGroup.group, after, limit)))
        page = paging.page_by_name(names, limit, name_of=lambda name: name)
        rows = uow.session.execute(select(UserGroup.group, User.name, UserGroup.lead)
                                   .join(User, User.id == UserGroup.user_id).where(UserGroup.group.in_(page.items))
                                   .order_by(UserGroup.group, User.name))
        groups: dict[str, Group] = {}
        for group, user_name, lead in rows:
            entry = groups.setdefault(group, Group(group, [], []))
            entry.members.append(user_name)
            if lead:
                entry.leads.append(user_name)
        page.items = list(groups.values())
        return page


def set_group(rt: Runtime, principal: Principal, group: str, members: list[str], leads: list[str] = ()) -> Group:
    """Make ``members`` (and ``leads``, who are members too) exactly the group's membership."""
    principal.require(action="manage groups")
    _check_names("group", [group])
    members, leads = _check_names("members", list(members)) or [], _check_names("leads", list(leads)) or []
    wanted = sorted(set(members) | set(leads))
    with rt.uow() as uow:
        users = {u.name: u for u in uow.session.scalars(select(User).where(User.name.in_(wanted)))}
        missing = [n for n in wanted if n not in users]
        if missing:
            raise InvalidInput("unknown users", {"members": [f"no user '{n}'" for n in missing]})
        # Members who stay keep their row: the users' groups were loaded with them, and a new row
        # with the key of one the session holds is an identity conflict (SQLAlchemy warns).
        leading = set(leads)
        current = {m.user_id: m for m in uow.session.scalars(select(UserGroup).where(UserGroup.group == group))}
        for user_name in wanted:
            membership = current.pop(users[user_name].id, None)
            if membership is None:
                uow.session.add(UserGroup(user_id=users[user_name].id, group=group, lead=user_name in leading))
            else:
                membership.lead = user_name in leading
        for membership in current.values():  # members no longer wanted
            uow.session.delete(membership)
        audit_log.record(uow.session, principal.name, "group.changed", "group", group, members=wanted,
                         leads=sorted(leading))
        uow.commit()
    return Group(group, wanted, sorted(leading))


def delete_group(rt: Runtime, principal: Principal, group: str) -> None:
    principal.require(action="manage groups")
    with rt.uow() as uow:
        removed = uow.session.execute(delete(UserGroup).where(UserGroup.group == group)).rowcount
        if not removed:
            raise NotFound(f"group '{group}' has no members")
        audit_log.record(uow.session, principal.name, "group.deleted", "group", group)
        uow.commit()


# Keys that example files and tutorials use: anyone could guess them.
PLACEHOLDER_ADMIN_KEYS = frozenset({"change-me", "changeme", "admin", "password", "secret", "admin-secret",
                                    "flowdesk", "test", "example", "replace-me"})
MIN_ADMIN_KEY_LENGTH = 16


def check_admin_key(key: str) -> None:
    """Raise ValueError for a chosen admin key that is a well-known placeholder or too short."""
    if key.strip().lower() in PLACEHOLDER_ADMIN_KEYS:
        raise ValueError(f"FLOWDESK_ADMIN_KEY is the placeholder {key!r}: choose a secret of your own "
                         f"(for example: openssl rand -hex 24)")
    if len(key) < MIN_ADMIN_KEY_LENGTH:
        raise ValueError(f"FLOWDESK_ADMIN_KEY must be at least {MIN_ADMIN_KEY_LENGTH} characters "
                         f"(for example: openssl rand -hex 24)")


def ensure_admin(rt: Runtime, key: str | None) -> str | None:
    """On an empty user table create ``admin``; return its key if one was made here.

    With ``key`` given (FLOWDESK_ADMIN_KEY) that key is used and also (re)attached to an
    existing admin, so scripts and tests can always reach the server; a placeholder or short
    key refuses the start (ValueError).
    """
    if key:
        check_admin_key(key)
    with rt.uow() as uow:
        admin = uow.session.scalar(select(User).where(User.name == "admin"))
        if admin is None and uow.session.scalar(select(User).limit(1)) is not None:
            return None
        if admin is not None:
            if key and api_keys.find(uow.session, key) is None:
                api_keys.add_key(uow.session, admin, rt.clock(), secret=key, name="FLOWDESK_ADMIN_KEY")
                uow.commit()
            return None
    _, created = create_user(rt, "admin", Role.ADMIN.value, (), key)
    return None if key else created


def authenticate(rt: Runtime, key: str | None, tokens=None) -> Principal:
    """The principal owning bearer ``key`` (an API key, or a JWT when ``tokens`` verifies them)."""
    if not key:
        raise Unauthenticated("an API key is required: send 'Authorization: Bearer <key>'")
    if tokens is not None and tokens.looks_like_token(key):
        principal = tokens.principal(key)
        if principal.tenant_id != DEFAULT_TENANT:
            with rt.uow(SYSTEM) as uow:
                if uow.session.get(Tenant, principal.tenant_id) is None:
                    raise Unauthenticated(f"the bearer token names an unknown tenant '{principal.tenant_id}'")
        return principal
    # Keys are unique across tenants; the key tells whose the caller is. The look-up reads (on
    # SQLite outside the write lock, so a POST does not queue twice for it); recording the
    # key's use is best effort below.
    with database.reading(), rt.uow(SYSTEM) as uow:
        digest = api_keys.hash_secret(key)
        holder = uow.reads.get(IDENTITY, digest, lambda: api_keys.find_holder(uow.session, key))
        if holder is None:
            raise Unauthenticated("the API key is not valid")
        now = rt.clock()
        api_keys.check_usable(holder, now)
        try:
            if api_keys.touch_holder(uow.session, holder, now):
                uow.commit()
                uow.reads.forget(IDENTITY, digest)  # its last use changed; read it again next time
        except OperationalError as exc:
            if not database.is_unavailable(exc):
                raise
            # Best effort: the look-up holds no write lock on SQLite, and must not fail
            # because others are writing; the next request records the use.
            pass
        return Principal(holder.user_id, holder.name, holder.role, holder.groups, holder.lead_of,
                         process_keys=narrowed(holder.user_process_keys, holder.key_process_keys),
                         message_names=narrowed(holder.user_message_names, holder.key_message_names),
                         topics=narrowed(holder.user_topics, holder.key_topics),
                         scopes=frozenset(holder.scopes), tenant_id=holder.tenant_id, key_id=holder.key_id)
