"""The ticket timeline: appending progressions as a ticket moves (read by :mod:`.ticket_progress`)."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..models import Ticket, TicketProgression
from ..models.base import clock_of


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
