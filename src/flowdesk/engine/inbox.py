"""The inbox: visible tickets filtered, sorted by due date, priority or creation, one page at a time.

Paging is keyset: the cursor holds the sort key's value and the id of the last ticket, so a page
never repeats or skips a ticket while others are added. Tickets without a due date (or priority)
come last in both directions; they are read as a second range so each stays an index scan.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import and_, exists, func, or_, select

from . import paging, sla
from .errors import InvalidInput
from .models import Ticket, TicketCandidate
from .principal import Principal
from .runtime import Runtime
from .tickets import TICKET_STATUSES, visible

# sort key -> (column, may be NULL)
SORTS = {"created": (Ticket.created_at, False), "due": (Ticket.due_at, True), "priority": (Ticket.priority, True)}
SORT_CHOICES = tuple(k for key in SORTS for k in (key, f"-{key}"))


@dataclass
class InboxQuery:
    status: str | None = None
    assignee: str | None = None  # "me" or a user name
    candidate_group: str | None = None
    process_key: str | None = None
    process_version: int | None = None
    instance_id: str | None = None
    element_id: str | None = None
    business_key: str | None = None
    min_priority: int | None = None
    sla_state: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    q: str | None = None  # case-insensitive text in the name or business key
    sort: str = "created"


@dataclass
class InboxPage:
    items: list = field(default_factory=list)
    next_cursor: str | None = None
    total: int | None = None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _check(query: InboxQuery) -> None:
    errors = {}
    if query.status and query.status not in TICKET_STATUSES:
        errors["status"] = [f"one of {', '.join(TICKET_STATUSES)}"]
    if query.sla_state and query.sla_state not in sla.SLA_STATES:
        errors["sla_state"] = [f"one of {', '.join(sla.SLA_STATES)}"]
    if query.sort not in SORT_CHOICES:
        errors["sort"] = [f"one of {', '.join(SORT_CHOICES)}"]
    if errors:
        raise InvalidInput("invalid ticket filter", errors)


def _filtered(principal: Principal, query: InboxQuery, now: datetime):
    stmt = visible(select(Ticket), principal)
    equal = ((Ticket.status, query.status), (Ticket.process_key, query.process_key),
             (Ticket.process_version, query.process_version), (Ticket.instance_id, query.instance_id),
             (Ticket.element_id, query.element_id), (Ticket.business_key, query.business_key))
    for column, value in equal:
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    if query.assignee:
        stmt = stmt.where(Ticket.assignee == (principal.name if query.assignee == "me" else query.assignee))
    if query.candidate_group:
        stmt = stmt.where(exists().where(TicketCandidate.ticket_id == Ticket.id, TicketCandidate.kind == "group",
                                         TicketCandidate.name == query.candidate_group))
    if query.min_priority is not None:
        stmt = stmt.where(Ticket.priority >= query.min_priority)
    if query.sla_state:
        stmt = stmt.where(sla.state_filter(query.sla_state, now))
    for column, bound, before in ((Ticket.due_at, query.due_before, True), (Ticket.due_at, query.due_after, False),
                                  (Ticket.created_at, query.created_before, True),
                                  (Ticket.created_at, query.created_after, False)):
        if bound is not None:
            stmt = stmt.where(column < _utc(bound) if before else column >= _utc(bound))
    if query.q:
        text = query.q.strip().lower()
        stmt = stmt.where(or_(func.lower(Ticket.name).contains(text, autoescape=True),
                              func.lower(Ticket.business_key).contains(text, autoescape=True)))
    return stmt


def _encode(sort: str, value, id_: str) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc).isoformat()
    raw = json.dumps([sort, value, id_]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[object, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, id_ = json.loads(raw)
        if cursor_sort != sort:
            raise InvalidInput("the cursor belongs to another sort order",
                               {"after": [f"a next_cursor of a list sorted by {sort}"]})
        if value is not None and sort.lstrip("-") == "priority":
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(value)
        elif value is not None:
            value = datetime.fromisoformat(value)
        return value, str(id_)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]}) from exc


def _page(session, stmt, sort: str, after: str | None, limit: int) -> tuple[list[Ticket], bool]:
    descending = sort.startswith("-")
    column, nullable = SORTS[sort.lstrip("-")]
    value, last_id = _decode(after, sort) if after else (None, None)
    beyond = (lambda c, v: c < v) if descending else (lambda c, v: c > v)
    order = (column.desc(), Ticket.id.desc()) if descending else (column, Ticket.id)
    rows: list[Ticket] = []
    if after is None or value is not None:
        valued = stmt.where(column.is_not(None)) if nullable else stmt
        if after is not None:
            valued = valued.where(or_(beyond(column, value), and_(column == value, beyond(Ticket.id, last_id))))
        rows = list(session.scalars(valued.order_by(*order).limit(limit + 1)))
    if nullable and len(rows) <= limit:
        # Then the tickets without a value, after the last one of them already listed.
        unvalued = stmt.where(column.is_(None))
        if after is not None and value is None:
            unvalued = unvalued.where(beyond(Ticket.id, last_id))
        id_order = Ticket.id.desc() if descending else Ticket.id
        rows += list(session.scalars(unvalued.order_by(id_order).limit(limit + 1 - len(rows))))
    return rows[:limit], len(rows) > limit


def list_tickets(rt: Runtime, principal: Principal, query: InboxQuery, after: str | None = None,
                 limit: int | None = None, count: bool = False) -> InboxPage:
    """Visible tickets matching ``query`` in its sort order; ``count`` adds the total of the filter."""
    limit = paging.check_limit(limit)
    _check(query)
    with rt.uow() as uow:
        stmt = _filtered(principal, query, rt.clock())
        rows, more = _page(uow.session, stmt, query.sort, after, limit)
        cursor = None
        if more:
            column = SORTS[query.sort.lstrip("-")][0]
            cursor = _encode(query.sort, getattr(rows[-1], column.key), rows[-1].id)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) if count else None
        return InboxPage(rows, cursor, total)
