"""The inbox: visible tickets filtered, sorted by due date, priority, creation or a case field, one
page at a time.

Paging is keyset: the cursor holds the sort key's value and the id of the last ticket, so a page
never repeats or skips a ticket while others are added. Tickets without a due date (or priority)
come last in both directions; they are read as a second range so each stays an index scan.

At a million tickets each common inbox stays a short index range: a candidate-group inbox is read
from that group's ``ticket_candidates`` rows (which carry the ticket's status and sort keys), the
visibility rule is a union of index ranges, and counts stop at :data:`COUNT_CAP`. The text search
matches the ticket's own projection of its case values (``case_text``), never the instance's
state. Sorting by a case field (``case.<name>``) orders the filter's matches by the ticket's
projected sort key (``case_keys``): no index serves an arbitrary field, so it reads every ticket
the filters match, and suits a narrowed inbox (a group's, a process's).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import and_, func, or_, select, true, union, union_all
from sqlalchemy.orm import aliased, defer, joinedload

from ...utc import as_utc
from ..access.principal import Principal
from ..models import ACTIVE_STATUSES, Ticket, TicketCandidate
from ..store import paging
from ..store.errors import InvalidInput
from ..store.runtime import Runtime
from . import sla
from .tickets import TICKET_STATUSES

SORT_KEYS = ("created", "due", "priority")
NULLABLE_SORTS = ("due", "priority")  # tickets without one come last
CASE_SORT_PREFIX = "case."
# A sort: a key of the ticket's or ``case.<field>`` (a caseFields name, dotted for a value inside
# an object), ``-`` first for descending.
SORT = re.compile(rf"^-?({'|'.join(SORT_KEYS)}|case\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)$")
# Counting stops here: past it the total is "at least COUNT_CAP" (``total_capped``), so a count
# costs at most this many index entries however many tickets match.
COUNT_CAP = paging.COUNT_CAP


@dataclass(frozen=True)
class _Driver:
    """The table a page is read in order from: its status column, sort columns and ticket id."""

    status: object
    sorts: dict
    id: object


def _driver_of(entity, id_column) -> _Driver:
    return _Driver(entity.status, {"created": entity.created_at, "due": entity.due_at, "priority": entity.priority},
                   id_column)


_TICKETS = _driver_of(Ticket, Ticket.id)
_GROUP_CANDIDATES = _driver_of(TicketCandidate, TicketCandidate.ticket_id)
# The visibility rule's subqueries read these aliases (built once: aliasing costs milliseconds).
_SEEN_CANDIDATE = aliased(TicketCandidate, name="seen_candidates")
_SEEN_TICKET = aliased(Ticket, name="seen_tickets")
_SEEN_CANDIDATES, _SEEN_TICKETS = (_driver_of(_SEEN_CANDIDATE, _SEEN_CANDIDATE.ticket_id),
                                   _driver_of(_SEEN_TICKET, _SEEN_TICKET.id))


@dataclass
class InboxQuery:
    status: str | None = None
    active: bool | None = None  # True: open, claimed or waiting only (SLA views leave out finished tickets)
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
    q: str | None = None  # case-insensitive text in the name, business key or case values
    sort: str = "created"


@dataclass
class InboxPage:
    items: list = field(default_factory=list)
    next_cursor: str | None = None
    total: int | None = None
    total_capped: bool = False  # more than ``total`` match: the count stopped at COUNT_CAP


def _check(query: InboxQuery) -> None:
    errors = {}
    if query.status and query.status not in TICKET_STATUSES:
        errors["status"] = [f"one of {', '.join(TICKET_STATUSES)}"]
    if query.sla_state and query.sla_state not in sla.SLA_STATES:
        errors["sla_state"] = [f"one of {', '.join(sla.SLA_STATES)}"]
    if not SORT.match(query.sort):
        errors["sort"] = [f"one of {', '.join(SORT_KEYS)} or case.<field>, with - first for descending"]
    if errors:
        raise InvalidInput("invalid ticket filter", errors)


def _visible_ids(principal: Principal, status: str | None):
    """Ids of the tickets ``principal`` holds, owns or is offered: a union of index ranges.

    The same rule as :func:`flowdesk.engine.work.tickets.visible`; an OR of EXISTS would make the
    database test every ticket of the status instead.
    """
    candidate, ticket = _SEEN_CANDIDATE, _SEEN_TICKET
    offered = select(candidate.ticket_id).where(or_(
        and_(candidate.kind == "user", candidate.name == principal.name),
        and_(candidate.kind == "group", candidate.name.in_(sorted(principal.groups) or [""]))))
    held = select(ticket.id).where(ticket.assignee == principal.name)
    owned = select(ticket.id).where(ticket.owner == principal.name)
    if status:
        offered, held, owned = (offered.where(candidate.status == status), held.where(ticket.status == status),
                                owned.where(ticket.status == status))
    return union(offered, held, owned)


def _conditions(principal: Principal, query: InboxQuery, now: datetime) -> list:
    """The filters on ticket columns (all but status, candidate group and visibility)."""
    conditions = []
    if query.active:
        conditions.append(Ticket.status.in_(ACTIVE_STATUSES))
    if query.assignee:
        conditions.append(Ticket.assignee == (principal.name if query.assignee == "me" else query.assignee))
    equal = ((Ticket.process_key, query.process_key), (Ticket.process_version, query.process_version),
             (Ticket.instance_id, query.instance_id), (Ticket.element_id, query.element_id),
             (Ticket.business_key, query.business_key))
    conditions += [column == value for column, value in equal if value is not None and value != ""]
    if query.min_priority is not None:
        conditions.append(Ticket.priority >= query.min_priority)
    if query.sla_state:
        conditions.append(sla.state_filter(query.sla_state, now))
    for column, bound, before in ((Ticket.due_at, query.due_before, True), (Ticket.due_at, query.due_after, False),
                                  (Ticket.created_at, query.created_before, True),
                                  (Ticket.created_at, query.created_after, False)):
        if bound is not None:
            conditions.append(column < as_utc(bound) if before else column >= as_utc(bound))
    if query.q:
        text = query.q.strip().lower()
        conditions.append(or_(func.lower(Ticket.name).contains(text, autoescape=True),
                              func.lower(Ticket.business_key).contains(text, autoescape=True),
                              Ticket.case_text.contains(text, autoescape=True)))
    return conditions


@dataclass
class _Selection:
    tickets: object  # SELECT of the matching visible tickets
    driver: _Driver  # what it is ordered and paged by
    ids: object  # SELECT of their ids: the cheapest way to count them
    # When set, the tickets are these sources' (SELECT of ids, its driver): each an ordered index
    # range, so a page is the first rows of each, merged, instead of sorting every visible ticket.
    sources: list = field(default_factory=list)


def _visible_sources(principal: Principal, status: str | None) -> list:
    """The visibility rule as ordered sources: one per candidate name of yours, held, owned."""
    # Each source is a subquery of its own, so they may all read the same alias.
    candidate, ticket = _SEEN_CANDIDATE, _SEEN_TICKET
    sources = []
    for kind, name in [("user", principal.name)] + [("group", g) for g in sorted(principal.groups)]:
        stmt = select(candidate.ticket_id).where(candidate.kind == kind, candidate.name == name)
        sources.append((stmt.where(candidate.status == status) if status else stmt, _SEEN_CANDIDATES))
    for column in (ticket.assignee, ticket.owner):
        stmt = select(ticket.id).where(column == principal.name)
        sources.append((stmt.where(ticket.status == status) if status else stmt, _SEEN_TICKETS))
    return sources


def _case_field(sort: str) -> str | None:
    """The case field a sort orders by, or None for the ticket's own keys."""
    key = sort.lstrip("-")
    return key[len(CASE_SORT_PREFIX):] if key.startswith(CASE_SORT_PREFIX) else None


def _sort_column(driver: _Driver, sort: str):
    """What ``driver``'s rows are ordered by for ``sort``: its own column, or the ticket's case sort key."""
    field_name = _case_field(sort)
    if field_name is not None:
        return Ticket.case_keys[field_name].as_string()
    return driver.sorts[sort.lstrip("-")]


def _select(principal: Principal, query: InboxQuery, now: datetime) -> _Selection:
    conditions = _conditions(principal, query, now)
    mine = query.assignee == "me" or (query.assignee is not None and query.assignee == principal.name)
    if query.candidate_group:
        # One group's candidate rows are ordered by status and sort key: read the page from them.
        group = and_(TicketCandidate.kind == "group", TicketCandidate.name == query.candidate_group)
        if query.status:
            group = and_(group, TicketCandidate.status == query.status)
        stmt = select(Ticket).join(TicketCandidate, and_(TicketCandidate.ticket_id == Ticket.id, group))
        # Offered to your group, held by you, or you see everything: visible without asking again.
        if principal.is_admin or mine or query.candidate_group in principal.groups:
            stmt = stmt.where(*conditions)
            ids = select(TicketCandidate.ticket_id).where(group) if not conditions else None
        else:
            stmt = stmt.where(Ticket.id.in_(_visible_ids(principal, query.status)), *conditions)
            ids = None
        return _Selection(stmt, _GROUP_CANDIDATES, ids if ids is not None else stmt.with_only_columns(Ticket.id))
    stmt = select(Ticket).where(*conditions)
    if query.status:
        stmt = stmt.where(Ticket.status == query.status)
    if principal.is_admin or mine:
        return _Selection(stmt, _TICKETS, stmt.with_only_columns(Ticket.id))
    visible_ids = _visible_ids(principal, query.status)
    if conditions or _case_field(query.sort) is not None:  # sources come in their own keys' order only
        stmt = stmt.where(Ticket.id.in_(visible_ids))
        return _Selection(stmt, _TICKETS, stmt.with_only_columns(Ticket.id))
    # Your whole inbox: the union (already narrowed by status) is the answer, and its sources
    # each come in order.
    return _Selection(stmt, _TICKETS, select(visible_ids.subquery()), _visible_sources(principal, query.status))


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
        elif value is not None and _case_field(sort) is not None:
            if not isinstance(value, str):
                raise TypeError(value)
        elif value is not None:
            value = datetime.fromisoformat(value)
        return value, str(id_)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]}) from exc


# A page shows ticket summaries: the candidates come in the same round trip, the task's data and
# form (possibly large JSON) not at all.
_SUMMARY = (joinedload(Ticket.candidates), *(defer(column) for column in (
    Ticket.data, Ticket.form, Ticket.result, Ticket.comment, Ticket.documentation, Ticket.case_text)))


def _page(session, selection: _Selection, sort: str, after: str | None, limit: int) -> tuple[list[Ticket], bool]:
    descending, key = sort.startswith("-"), sort.lstrip("-")
    nullable = key in NULLABLE_SORTS or _case_field(sort) is not None
    value, last_id = _decode(after, sort) if after else (None, None)
    beyond = (lambda c, v: c < v) if descending else (lambda c, v: c > v)

    def first(predicate, by_key: bool, count: int) -> list[Ticket]:
        """The first ``count`` tickets, in order, among those whose (key, id) fit ``predicate``."""
        def ordered(stmt, driver: _Driver):
            column = _sort_column(driver, sort)
            columns = ((column,) if by_key else ()) + (driver.id,)
            return (stmt.where(predicate(column, driver.id))
                    .order_by(*(c.desc() if descending else c for c in columns)).limit(count))

        stmt = selection.tickets
        if selection.sources:
            firsts = [ordered(source, driver).subquery() for source, driver in selection.sources]
            stmt = stmt.where(Ticket.id.in_(union_all(*(select(first.c[0]) for first in firsts))))
        stmt = ordered(stmt.options(*_SUMMARY), selection.driver)
        return list(session.scalars(stmt).unique())

    rows: list[Ticket] = []
    if after is None or value is not None:
        def valued(column, id_):
            clauses = [column.is_not(None)] if nullable else []
            if after is not None:
                clauses.append(or_(beyond(column, value), and_(column == value, beyond(id_, last_id))))
            return and_(true(), *clauses)

        rows = first(valued, True, limit + 1)
    if nullable and len(rows) <= limit:
        # Then the tickets without a value, after the last one of them already listed.
        def unvalued(column, id_):
            if after is not None and value is None:
                return and_(column.is_(None), beyond(id_, last_id))
            return column.is_(None)

        rows += first(unvalued, False, limit + 1 - len(rows))
    return rows[:limit], len(rows) > limit


def _sort_value(ticket: Ticket, sort: str):
    field_name = _case_field(sort)
    if field_name is not None:
        return (ticket.case_keys or {}).get(field_name)
    return getattr(ticket, _TICKETS.sorts[sort.lstrip("-")].key)


def list_tickets(rt: Runtime, principal: Principal, query: InboxQuery, after: str | None = None,
                 limit: int | None = None, count: bool = False) -> InboxPage:
    """Visible tickets matching ``query`` in its sort order; ``count`` adds the total of the filter."""
    limit = paging.check_limit(limit)
    _check(query)
    with rt.uow() as uow:
        selection = _select(principal, query, rt.clock())
        rows, more = _page(uow.session, selection, query.sort, after, limit)
        cursor = None
        if more:
            cursor = _encode(query.sort, _sort_value(rows[-1], query.sort), rows[-1].id)
        page = InboxPage(rows, cursor)
        if count:
            page.total, page.total_capped = paging.count(uow.session, selection.ids)
        return page
