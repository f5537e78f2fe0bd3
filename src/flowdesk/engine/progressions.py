"""The ticket timeline: appending progressions, reading them, and an instance's merged history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from .models import AuditEvent, Ticket, TicketProgression
from .principal import Principal
from .runtime import Runtime
from .models.base import clock_of


def record(session: Session, ticket: Ticket, action: str, performed_by: str | None, previous_status: str | None,
           comment: str | None = None, **metadata) -> TicketProgression:
    """Append one progression, after the ticket's status has changed; it commits with the command."""
    progression = TicketProgression(
        ticket_id=ticket.id, instance_id=ticket.instance_id, action=action, performed_by=performed_by,
        previous_status=previous_status, new_status=ticket.status, comment=comment, details=metadata,
        created_at=clock_of(session),
    )
    session.add(progression)
    return progression


def status_before(ticket: Ticket) -> str:
    """The status ``ticket`` had when it was loaded, even if it was changed since (not yet flushed)."""
    history = inspect(ticket).attrs.status.history
    return history.deleted[0] if history.deleted else ticket.status


def status_before_waiting(session: Session, ticket: Ticket) -> str | None:
    """The status a waiting ticket had when it started waiting, from its timeline."""
    return session.scalar(
        select(TicketProgression.previous_status)
        .where(TicketProgression.ticket_id == ticket.id, TicketProgression.action == "waiting")
        .order_by(TicketProgression.id.desc()).limit(1))


def _ticket_timeline(session: Session, ticket_id: str) -> list[TicketProgression]:
    return list(session.scalars(select(TicketProgression).where(TicketProgression.ticket_id == ticket_id)
                                .order_by(TicketProgression.id)))


def list_for_ticket(rt: Runtime, principal: Principal, ticket_id: str) -> list[TicketProgression]:
    """A ticket's timeline, oldest first, for whoever may see the ticket."""
    from .tickets import find_visible  # noqa: PLC0415 - tickets and the projection import this module

    with rt.uow() as uow:
        find_visible(uow.session, principal, ticket_id)
        return _ticket_timeline(uow.session, ticket_id)


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
    from .instances import get_instance  # noqa: PLC0415 - instances imports the projection, which imports us

    get_instance(rt, principal, instance_id)  # the one visibility rule for instances: 404 if not yours
    with rt.uow() as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                     .order_by(AuditEvent.id))
        steps = uow.session.scalars(select(TicketProgression).where(TicketProgression.instance_id == instance_id)
                                    .order_by(TicketProgression.id))
        entries = [_from_audit(e) for e in events] + [_from_progression(p) for p in steps]
    # sorted() is stable: within one source, ties on the timestamp keep the insertion order.
    return sorted(entries, key=lambda e: e.created_at)
