"""Automatic assignment when a ticket opens, and the explanation of who got a ticket and why.

The extension property ``assignment`` on the user task (or on its process) picks the policy:

* ``manual`` (default): nobody is assigned; candidates claim.
* ``least_loaded``: the candidate with the fewest open and claimed tickets; ties go to the one
  idle longest (oldest last assignment or completion; never active counts as idlest), then by name.
* ``round_robin``: the candidates in name order, one after the other, per process and task.

Candidates are the task's candidate users plus the agents in its candidate groups. Every
automatic decision is stored with the candidates weighed, their loads and the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...bpmn import ASSIGNMENT_POLICIES, WaitingUserTask
from ..access.principal import Principal, Role
from ..models import AssignmentCursor, Instance, Ticket, TicketAssignment, TicketStatus, User, UserGroup
from ..store import audit, tenancy
from ..store.runtime import Runtime
from . import progressions
from .tickets import find_visible

log = logging.getLogger(__name__)

POLICIES = ASSIGNMENT_POLICIES  # checked at deploy (bpmn.ticket_properties)
MANUAL, LEAST_LOADED, ROUND_ROBIN = POLICIES
_LOAD_STATUSES = (TicketStatus.OPEN.value, TicketStatus.CLAIMED.value)


@dataclass
class AssignmentView:
    """A ticket's assignment now, the policy its task uses, and every decision, oldest first."""

    ticket: Ticket
    policy: str
    decisions: list[TicketAssignment] = field(default_factory=list)


def candidate_names(session: Session, ticket: Ticket) -> list[str]:
    """Candidate users plus the agents of candidate groups, in name order."""
    names = set(ticket.candidate_users)
    if ticket.candidate_groups:
        names |= set(session.scalars(
            select(User.name).join(UserGroup, UserGroup.user_id == User.id)
            .where(UserGroup.group.in_(ticket.candidate_groups), User.role == Role.AGENT.value)))
    return sorted(names)


def weigh(session: Session, names: list[str]) -> list[dict]:
    """``[{name, load, last_active_at}]``: open+claimed tickets held, last assignment or completion."""
    if not names:
        return []
    loads = dict(session.execute(
        select(Ticket.assignee, func.count()).where(Ticket.assignee.in_(names), Ticket.status.in_(_LOAD_STATUSES))
        .group_by(Ticket.assignee)).all())
    assigned = dict(session.execute(select(Ticket.assignee, func.max(Ticket.claimed_at))
                                    .where(Ticket.assignee.in_(names)).group_by(Ticket.assignee)).all())
    completed = dict(session.execute(select(Ticket.completed_by, func.max(Ticket.completed_at))
                                     .where(Ticket.completed_by.in_(names)).group_by(Ticket.completed_by)).all())
    weighed = []
    for name in names:
        moments = [m for m in (assigned.get(name), completed.get(name)) if m is not None]
        last = max(moments) if moments else None
        weighed.append({"name": name, "load": int(loads.get(name, 0)), "last_active_at": _iso(last)})
    return weighed


def _iso(moment: datetime | None) -> str | None:
    # ISO text in UTC: stored in the decision as JSON, and sorts in time order.
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def _least_loaded(weighed: list[dict]) -> tuple[str, str]:
    ranked = sorted(weighed, key=lambda c: (c["load"], c["last_active_at"] or "", c["name"]))
    chosen = ranked[0]
    reason = f"{chosen['name']} holds the fewest open or claimed tickets ({chosen['load']})"
    tied = [c for c in ranked if c["load"] == chosen["load"]]
    if len(tied) > 1:
        when = chosen["last_active_at"] or "never"
        reason += (f"; {len(tied)} candidates tie, {chosen['name']} has been idle longest "
                   f"(last assignment or completion: {when})")
    return chosen["name"], reason


def _round_robin(session: Session, ticket: Ticket, names: list[str], now: datetime) -> tuple[str, str]:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Create the position row if missing without failing when a concurrent command just did.
    session.execute(insert(AssignmentCursor).values(tenant_id=tenancy.scope_of(session), process_key=ticket.process_key,
                                                    element_id=ticket.element_id,
                                                    last_assignee="", updated_at=now).on_conflict_do_nothing())
    cursor = session.scalar(select(AssignmentCursor).where(AssignmentCursor.process_key == ticket.process_key,
                                                           AssignmentCursor.element_id == ticket.element_id)
                            .with_for_update().execution_options(populate_existing=True))
    previous = cursor.last_assignee
    chosen = next((n for n in names if n > previous), names[0])
    cursor.last_assignee, cursor.updated_at = chosen, now
    after = f"after {previous}" if previous else "first"
    return chosen, f"round robin over {len(names)} candidates in name order: {chosen} comes {after}"


def auto_assign(session: Session, instance: Instance, ticket: Ticket, task: WaitingUserTask, now: datetime) -> None:
    """Apply the task's assignment policy to a ticket that just opened with nobody assigned."""
    if ticket.assignee:
        return
    policy = str((task.properties or {}).get("assignment") or MANUAL).strip().lower()
    if policy == MANUAL:
        return
    if policy not in POLICIES:
        log.warning("unknown assignment policy '%s' on %s; left for claiming", policy, ticket.element_id)
        session.add(TicketAssignment(ticket_id=ticket.id, instance_id=instance.id, rule=MANUAL, candidates=[],
                                     reason=f"unknown assignment policy '{policy}'; left open for claiming",
                                     created_at=now))
        return
    weighed = weigh(session, candidate_names(session, ticket))
    if not weighed:
        chosen, reason = None, "no candidates (no candidate users, no agents in the candidate groups); left open"
    elif policy == LEAST_LOADED:
        chosen, reason = _least_loaded(weighed)
    else:
        chosen, reason = _round_robin(session, ticket, [c["name"] for c in weighed], now)
    session.add(TicketAssignment(ticket_id=ticket.id, instance_id=instance.id, rule=policy, assignee=chosen,
                                 candidates=weighed, reason=reason, created_at=now))
    if chosen is None:
        return
    ticket.assignee, ticket.status, ticket.claimed_at = chosen, TicketStatus.CLAIMED.value, now
    audit.record(session, "ticket.assigned", None, instance_id=instance.id, ticket_id=ticket.id, assignee=chosen,
                 rule=policy)
    progressions.record(session, ticket, "assigned", None, TicketStatus.OPEN.value, assignee=chosen, rule=policy,
                        reason=reason)


def explain(rt: Runtime, principal: Principal, ticket_id: str) -> AssignmentView:
    """Who holds the ticket, for whom (delegation), under which policy, and every decision made."""
    with rt.uow() as uow:
        ticket = find_visible(uow.session, principal, ticket_id)
        decisions = list(uow.session.scalars(select(TicketAssignment).where(TicketAssignment.ticket_id == ticket.id)
                                             .order_by(TicketAssignment.id)))
        policy = next((d.rule for d in decisions if d.rule in (LEAST_LOADED, ROUND_ROBIN)), MANUAL)
        return AssignmentView(ticket, policy, decisions)
