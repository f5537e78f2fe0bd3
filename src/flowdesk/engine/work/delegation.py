"""Giving tickets to people: assign and transfer, delegate and resolve (Camunda style), in bulk.

* ``assign``: admins, leads of one of the ticket's candidate groups, and the current holder (a
  transfer). Leads and holders may only give it to a candidate (candidate user or a member of a
  candidate group); admins to any agent or admin. Assigning a delegated ticket ends the delegation.
* ``delegate``: the holder, a lead or an admin lets someone else work the ticket; the holder
  becomes its ``owner``. The delegate cannot complete it: ``resolve`` hands it back to the owner.
* ``assignees``: whom the caller may give a ticket to, for a user picker.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..access.principal import Principal, Role
from ..models import Ticket, TicketAssignment, TicketStatus, User, UserGroup
from ..store import audit
from ..store.errors import Conflict, DomainError, Forbidden, InvalidInput
from ..store.runtime import Runtime
from . import progressions, sla, tickets
from .tickets import DELEGATION_PENDING, check_precondition, locked, require_active

RESOLVED = "resolved"
BULK_ACTIONS = ("claim", "assign")
MAX_BULK = 100
MAX_ASSIGNEES = 500  # a picker's worth; past it the API's own assign still takes any name


@dataclass
class BulkResult:
    """One ticket of a bulk request: the ticket afterwards, or the error that stopped it."""

    ticket_id: str
    ticket: Ticket | None = None
    error: DomainError | None = None


def _user(session: Session, name) -> User:
    user = session.scalar(select(User).where(User.name == name)) if isinstance(name, str) and name else None
    if user is None or user.role not in (Role.AGENT.value, Role.ADMIN.value):
        raise InvalidInput(f"no agent or admin named '{name}'", {"user": ["the name of an existing agent or admin"]})
    return user


def _is_candidate(ticket: Ticket, user: User) -> bool:
    return user.name in ticket.candidate_users or bool(set(user.group_names) & set(ticket.candidate_groups))


def _authority(ticket: Ticket, principal: Principal, action: str) -> str:
    """Why ``principal`` may assign or delegate ``ticket``: admin, lead or holder; else 403."""
    if principal.is_admin:
        return "admin"
    if principal.lead_of & set(ticket.candidate_groups):
        return "lead"
    if ticket.assignee == principal.name:
        return "holder"
    raise Forbidden(f"only admins, leads of the ticket's groups and its holder may {action} ticket '{ticket.id}'")


def _writable(ticket: Ticket, if_match: str | None, command: str) -> None:
    require_active(ticket)
    if ticket.status == TicketStatus.WAITING.value:
        raise Conflict(f"ticket '{ticket.id}' is waiting; resume it before you {command} it",
                       ticket_status=ticket.status, allowed_actions=["resume"])
    check_precondition(ticket, if_match)


def _decision(session: Session, ticket: Ticket, rule: str, previous: str | None, by: str, reason: str, now) -> None:
    session.add(TicketAssignment(ticket_id=ticket.id, instance_id=ticket.instance_id, rule=rule,
                                 assignee=ticket.assignee, previous_assignee=previous, assigned_by=by, candidates=[],
                                 reason=reason, created_at=now))


def assign(rt: Runtime, principal: Principal, ticket_id: str, user: str, if_match: str | None = None) -> Ticket:
    """Give the ticket to ``user`` (a transfer when someone holds it); assigning to its holder changes nothing."""
    with rt.uow() as uow:
        ticket, _ = locked(uow.session, principal, ticket_id)
        _writable(ticket, if_match, "assign")
        authority = _authority(ticket, principal, "assign")
        target = _user(uow.session, user)
        if authority != "admin" and not _is_candidate(ticket, target):
            raise InvalidInput(f"{target.name} is not a candidate for ticket '{ticket.id}'",
                               {"user": ["a candidate user or a member of a candidate group"]})
        if ticket.assignee == target.name and ticket.delegation_state != DELEGATION_PENDING:
            return ticket
        now, previous, status = rt.clock(), ticket.assignee, ticket.status
        ticket.assignee, ticket.status, ticket.claimed_at = target.name, TicketStatus.CLAIMED.value, now
        ticket.owner, ticket.delegation_state = None, None
        ticket.version += 1
        reason = f"{'transferred' if previous else 'assigned'} by {principal.name} ({authority})"
        _decision(uow.session, ticket, "manual", previous, principal.name, reason, now)
        audit.record(uow.session, "ticket.assigned", principal.name, instance_id=ticket.instance_id,
                     ticket_id=ticket.id, assignee=target.name, previous_assignee=previous)
        progressions.record(uow.session, ticket, "assigned", principal.name, status, assignee=target.name,
                            previous_assignee=previous, transfer=previous is not None, rule="manual")
        sla.start_on_accept(uow.session, ticket, now, principal.name)
        uow.commit()
        return ticket


def assignees(rt: Runtime, principal: Principal, ticket_id: str) -> list[str]:
    """The names ``principal`` may assign or delegate the ticket to, by name: any agent or admin for
    admins, else the ticket's candidates (its users and its groups' members). 403 for whoever may
    do neither, so a page offers the action only where it would be allowed."""
    with rt.uow() as uow:
        ticket = tickets.find_visible(uow.session, principal, ticket_id)
        authority = _authority(ticket, principal, "assign")
        query = select(User.name).where(User.role.in_((Role.AGENT.value, Role.ADMIN.value)))
        if authority != "admin":
            members = select(UserGroup.user_id).where(UserGroup.group.in_(ticket.candidate_groups or [""]))
            query = query.where(or_(User.name.in_(ticket.candidate_users or [""]), User.id.in_(members)))
        return list(uow.session.scalars(query.order_by(User.name).limit(MAX_ASSIGNEES)))


def delegate(rt: Runtime, principal: Principal, ticket_id: str, user: str, comment: str | None = None,
             if_match: str | None = None) -> Ticket:
    """Let ``user`` work a held ticket for its holder, who becomes (or stays) its owner."""
    with rt.uow() as uow:
        ticket, _ = locked(uow.session, principal, ticket_id)
        _writable(ticket, if_match, "delegate")
        if ticket.assignee is None:
            raise Conflict(f"ticket '{ticket.id}' is not assigned; claim or assign it before delegating it")
        authority = _authority(ticket, principal, "delegate")
        target = _user(uow.session, user)
        if target.name == ticket.assignee:
            raise Conflict(f"ticket '{ticket.id}' is already with {target.name}", assignee=ticket.assignee)
        now, previous = rt.clock(), ticket.assignee
        if ticket.delegation_state != DELEGATION_PENDING:
            ticket.owner = ticket.assignee
        ticket.assignee, ticket.delegation_state, ticket.claimed_at = target.name, DELEGATION_PENDING, now
        ticket.version += 1
        _decision(uow.session, ticket, "delegated", previous, principal.name,
                  f"delegated by {principal.name} ({authority}) for {ticket.owner}", now)
        audit.record(uow.session, "ticket.delegated", principal.name, instance_id=ticket.instance_id,
                     ticket_id=ticket.id, delegate=target.name, owner=ticket.owner)
        progressions.record(uow.session, ticket, "delegated", principal.name, ticket.status, comment,
                            delegate=target.name, owner=ticket.owner)
        uow.commit()
        return ticket


def resolve(rt: Runtime, principal: Principal, ticket_id: str, comment: str | None = None,
            if_match: str | None = None) -> Ticket:
    """The delegate hands the ticket back to its owner, who can then complete it."""
    with rt.uow() as uow:
        ticket, _ = locked(uow.session, principal, ticket_id)
        _writable(ticket, if_match, "resolve")
        if ticket.delegation_state != DELEGATION_PENDING:
            raise Conflict(f"ticket '{ticket.id}' is not delegated", delegation_state=ticket.delegation_state)
        if ticket.assignee != principal.name and not principal.is_admin:
            raise Forbidden(f"only its delegate ({ticket.assignee}) may resolve ticket '{ticket.id}'")
        now, delegate_name = rt.clock(), ticket.assignee
        ticket.assignee, ticket.delegation_state, ticket.claimed_at = ticket.owner, RESOLVED, now
        ticket.version += 1
        _decision(uow.session, ticket, RESOLVED, delegate_name, principal.name,
                  f"resolved by {principal.name}: back to {ticket.owner}", now)
        audit.record(uow.session, "ticket.resolved", principal.name, instance_id=ticket.instance_id,
                     ticket_id=ticket.id, owner=ticket.owner, delegate=delegate_name)
        progressions.record(uow.session, ticket, RESOLVED, principal.name, ticket.status, comment,
                            delegate=delegate_name, owner=ticket.owner)
        uow.commit()
        return ticket


def bulk(rt: Runtime, principal: Principal, action: str, ticket_ids: list, user: str | None = None) -> list[BulkResult]:
    """Claim or assign several tickets, each in a transaction of its own; one failing stops no other."""
    errors = {}
    if action not in BULK_ACTIONS:
        errors["action"] = [f"one of {', '.join(BULK_ACTIONS)}"]
    if (not isinstance(ticket_ids, list) or not 1 <= len(ticket_ids) <= MAX_BULK
            or not all(isinstance(t, str) and t for t in ticket_ids) or len(set(ticket_ids)) != len(ticket_ids)):
        errors["ticket_ids"] = [f"1 to {MAX_BULK} distinct ticket ids"]
    if action == "assign" and not user:
        errors["user"] = ["required to assign"]
    if errors:
        raise InvalidInput("invalid bulk request", errors)
    if action == "assign":
        with rt.uow() as uow:
            _user(uow.session, user)  # an unknown user is the request's fault, not each ticket's
    results = []
    for ticket_id in ticket_ids:
        try:
            done = (tickets.claim(rt, principal, ticket_id) if action == "claim"
                    else assign(rt, principal, ticket_id, user))
            results.append(BulkResult(ticket_id, ticket=done))
        except DomainError as exc:
            results.append(BulkResult(ticket_id, error=exc))
    return results
