"""An instance's history: its audit events and its tickets' progressions, merged by time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..access.principal import Principal
from ..models import AuditEvent, TicketProgression
from ..store.runtime import Runtime
from .instances import get_instance


@dataclass
class HistoryEntry:
    """One line of an instance's history: an audit event or a ticket progression."""

    source: str  # "audit" or "progression"
    id: int
    action: str
    actor: str | None
    created_at: datetime
    ticket_id: str | None = None
    detail: dict = field(default_factory=dict)
    previous_status: str | None = None
    new_status: str | None = None
    comment: str | None = None


def _from_audit(event: AuditEvent) -> HistoryEntry:
    return HistoryEntry("audit", event.id, event.action, event.actor, event.created_at, event.ticket_id,
                        event.detail or {})


def _from_progression(p: TicketProgression) -> HistoryEntry:
    return HistoryEntry("progression", p.id, p.action, p.performed_by, p.created_at, p.ticket_id, p.details or {},
                        p.previous_status, p.new_status, p.comment)


def instance_history(rt: Runtime, principal: Principal, instance_id: str) -> list[HistoryEntry]:
    """Audit events of the instance (jobs and their attempts included) and its tickets' progressions, by time."""
    get_instance(rt, principal, instance_id)  # the one visibility rule for instances: 404 if not yours
    with rt.uow() as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                     .order_by(AuditEvent.id))
        steps = uow.session.scalars(select(TicketProgression).where(TicketProgression.instance_id == instance_id)
                                    .order_by(TicketProgression.id))
        entries = [_from_audit(e) for e in events] + [_from_progression(p) for p in steps]
    # sorted() is stable: within one source, ties on the timestamp keep the insertion order.
    return sorted(entries, key=lambda e: e.created_at)
