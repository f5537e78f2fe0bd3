"""Appending audit events inside the command's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .models import AuditEvent
from .models.base import clock_of


def record(session: Session, action: str, actor: str | None, *, instance_id: str | None = None,
           ticket_id: str | None = None, **detail) -> None:
    """Append one event; it commits (or vanishes) with the command that caused it."""
    session.add(AuditEvent(action=action, actor=actor, instance_id=instance_id, ticket_id=ticket_id, detail=detail,
                           created_at=clock_of(session)))
