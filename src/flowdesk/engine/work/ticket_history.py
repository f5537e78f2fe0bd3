"""History across instances: completed tickets, by process, time and who completed them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..access.principal import Principal
from ..access.visibility import visible_tickets
from ..models import Ticket, TicketStatus
from ..process.activity_history import keyset, page_by
from ..store import paging
from ..store.runtime import Runtime


def completed_tickets(rt: Runtime, principal: Principal, *, process_key: str | None = None,
                      completed_by: str | None = None, element_id: str | None = None,
                      completed_after: datetime | None = None, completed_before: datetime | None = None,
                      after: str | None = None, limit: int | None = None) -> paging.Page:
    """Completed tickets the caller sees, in completion order; ``completed_after`` inclusive,
    ``completed_before`` exclusive."""
    limit = paging.check_limit(limit)
    query = visible_tickets(select(Ticket).where(Ticket.status == TicketStatus.COMPLETED.value, Ticket.completed_at.is_not(None)),
                            principal)
    if principal.process_keys is not None:
        query = query.where(Ticket.process_key.in_(sorted(principal.process_keys)))
    for column, value in ((Ticket.process_key, process_key), (Ticket.completed_by, completed_by),
                          (Ticket.element_id, element_id)):
        if value is not None:
            query = query.where(column == value)
    if completed_after is not None:
        query = query.where(Ticket.completed_at >= completed_after)
    if completed_before is not None:
        query = query.where(Ticket.completed_at < completed_before)
    query = keyset(query, Ticket.completed_at, Ticket.id, after, limit)
    with rt.uow() as uow:
        return page_by(list(uow.session.scalars(query)), limit, "completed_at")
