"""Who sees which tickets, and through them which instances (and their approvals): one rule.

A ticket is seen by whoever holds it, owns it (delegated it) or is offered it (a candidate
user, or a member of a candidate group). An agent sees an instance when it sees one of its
tickets; the instance's approvals go with the instance. The inbox's union of index ranges
(``inbox._visible_ids``) is the same rule written for speed; a test holds them together.
"""

from __future__ import annotations

from sqlalchemy import exists, or_

from ..models import Instance, Ticket, TicketCandidate
from .principal import Principal, Role


def ticket_seen_by(name, groups):
    """The tickets ``name`` holds, owns or is offered, itself or by one of ``groups`` (values, or
    bound parameters of a statement built once)."""
    return or_(Ticket.assignee == name, Ticket.owner == name, exists().where(
        TicketCandidate.ticket_id == Ticket.id,
        or_((TicketCandidate.kind == "user") & (TicketCandidate.name == name),
            (TicketCandidate.kind == "group") & TicketCandidate.name.in_(groups))))


def group_names(principal: Principal) -> list[str]:
    """The principal's groups for ``IN``: never empty (``IN ()`` is not valid everywhere)."""
    return sorted(principal.groups) or [""]


def visible_tickets(query, principal: Principal):
    """Admins and auditors see every ticket; everyone else those the rule gives them."""
    if principal.reads_everything:
        return query
    return query.where(ticket_seen_by(principal.name, group_names(principal)))


def visible_instances(query, principal: Principal):
    """Agents see the instances of the tickets they see; other roles see all (of the processes
    their allow-list names, if they have one)."""
    if principal.process_keys is not None:
        query = query.where(Instance.process_key.in_(sorted(principal.process_keys)))
    if principal.role != Role.AGENT.value:
        return query
    return query.where(exists().where(Ticket.instance_id == Instance.id,
                                      ticket_seen_by(principal.name, group_names(principal))))
