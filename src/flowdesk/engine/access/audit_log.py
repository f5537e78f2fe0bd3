"""The administrative audit log: appended inside each action's transaction, read by admins and auditors."""

from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditLogEntry
from ..store.errors import InvalidInput
from ..store.paging import Page, check_limit
from ..store.runtime import Runtime
from .principal import Principal


def record(session: Session, actor: str | None, action: str, target_type: str, target: str | None,
           **detail) -> None:
    """Append ``action`` on ``target``; it commits (or vanishes) with the action that caused it."""
    session.add(AuditLogEntry(actor=actor, action=action, target_type=target_type, target=target,
                              detail={k: v for k, v in detail.items() if v is not None}))


def _cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(str(entry_id).encode()).decode().rstrip("=")


def _after(cursor: str) -> int:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not value.isascii() or not value.isdigit():
            raise ValueError(value)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]}) from exc


def entries(rt: Runtime, principal: Principal, *, after: str | None = None, limit: int | None = None,
            action: str | None = None, actor: str | None = None) -> Page:
    """The log oldest first (admins and auditors), paged by an opaque cursor."""
    principal.require_reader(action="read the audit log")
    limit = check_limit(limit)
    query = select(AuditLogEntry)
    if after:
        query = query.where(AuditLogEntry.id > _after(after))
    if action:
        query = query.where(AuditLogEntry.action == action)
    if actor:
        query = query.where(AuditLogEntry.actor == actor)
    with rt.uow() as uow:
        rows = list(uow.session.scalars(query.order_by(AuditLogEntry.id).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, _cursor(rows[-1].id))
    return Page(rows, None)
