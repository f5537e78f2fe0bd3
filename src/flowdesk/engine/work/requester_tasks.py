"""Requester tasks: user tasks of my requests assigned (or offered by name) to me, the initiator —
confirm a fix, approve a quote, add information. Listed as my "to do", completed with their form."""

from __future__ import annotations

from sqlalchemy import exists, or_, select

from ..access.idempotency import IdempotentRequest, Replay
from ..access.principal import Principal
from ..models import ACTIVE_STATUSES, Request, Ticket, TicketCandidate
from ..process import forms
from ..store import paging
from ..store.errors import NotFound
from ..store.runtime import Runtime
from . import tickets
from .requests import require_requester


def _mine(principal: Principal):
    """Active tickets of the caller's requests that are theirs by name (never by group)."""
    offered = exists().where(TicketCandidate.ticket_id == Ticket.id, TicketCandidate.kind == "user",
                             TicketCandidate.name == principal.name)
    return (select(Ticket).join(Request, Request.id == Ticket.instance_id)
            .where(Request.requester == principal.name, Ticket.status.in_(ACTIVE_STATUSES),
                   or_(Ticket.assignee == principal.name, offered)))


def list_tasks(rt: Runtime, principal: Principal, after: str | None = None, limit: int | None = None) -> paging.Page:
    """My to-do, oldest first, each with the subject of its request."""
    require_requester(principal)
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        page = paging.page_of(list(uow.session.scalars(paging.apply(_mine(principal), Ticket, after, limit))), limit)
        subjects = dict(uow.session.execute(select(Request.id, Request.subject)
                                            .where(Request.id.in_([t.instance_id for t in page.items]))).all())
        for ticket in page.items:
            ticket.request_subject = subjects.get(ticket.instance_id)
        return page


def _find(session, principal: Principal, task_id: str) -> Ticket:
    ticket = session.scalar(_mine(principal).where(Ticket.id == task_id))
    if ticket is None:
        raise NotFound(f"task '{task_id}' does not exist")
    return ticket


def get_task(rt: Runtime, principal: Principal, task_id: str) -> Ticket:
    """One of my tasks with its form (``form_schema``, ``form_fields`` in order)."""
    require_requester(principal)
    with rt.uow() as uow:
        ticket = _find(uow.session, principal, task_id)
        ticket.request_subject = uow.session.scalar(select(Request.subject).where(Request.id == ticket.instance_id))
        ticket.form_schema = forms.schema_of(uow.session, ticket.form)
        ticket.form_ui_schema = forms.ui_schema_of(uow.session, ticket.form)
        ticket.form_fields = forms.field_order(ticket.form_schema, ticket.form_ui_schema)
        return ticket


def complete_task(rt: Runtime, principal: Principal, task_id: str, data: dict | None,
                  request: IdempotentRequest | None = None) -> tickets.Completion | Replay:
    """Complete one of my tasks with its form's data; the request moves on."""
    require_requester(principal)
    with rt.uow() as uow:
        _find(uow.session, principal, task_id)  # a ticket never changes instance or requester
    return tickets.complete(rt, principal, task_id, data, request=request)
