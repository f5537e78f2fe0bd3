"""A ticket's timeline, and progress steps that do not complete it: a small state machine over its status.

| action             | allowed in     | status afterwards             | progression     |
|--------------------|----------------|-------------------------------|-----------------|
| `start_review`     | claimed        | claimed (the holder only)     | `review_started`|
| `waiting_customer` | open, claimed  | waiting                       | `waiting`       |
| `resume`           | waiting        | the status before waiting     | `resumed`       |
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.principal import Principal
from ..models import Ticket, TicketProgression, TicketStatus
from ..process.cycle import restore, save
from ..store.errors import Conflict, Forbidden, InvalidInput
from ..store.runtime import Runtime
from . import progressions, sla
from .tickets import check_precondition, find_visible, locked, may_work

OPEN, CLAIMED, WAITING = TicketStatus.OPEN.value, TicketStatus.CLAIMED.value, TicketStatus.WAITING.value


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]  # the statuses the action is allowed in
    records: str  # the progression it appends
    target: str | None  # the status afterwards; None: back to the one before waiting
    holder_only: bool = False


STEPS = {
    "start_review": Step((CLAIMED,), "review_started", CLAIMED, holder_only=True),
    "waiting_customer": Step((OPEN, CLAIMED), "waiting", WAITING),
    "resume": Step((WAITING,), "resumed", None),
}


def allowed_actions(status: str) -> list[str]:
    """The progress actions a ticket in ``status`` accepts."""
    return [name for name, step in STEPS.items() if status in step.sources]


def _step_for(ticket: Ticket, action: str) -> Step:
    allowed = allowed_actions(ticket.status)
    step = STEPS.get(action)
    if step is not None and ticket.status in step.sources:
        return step
    what = (f"unknown action '{action}'" if step is None
            else f"action '{action}' is not allowed while ticket '{ticket.id}' is {ticket.status}")
    raise Conflict(f"{what}; allowed actions: {', '.join(allowed) or 'none'}", action=action,
                   ticket_status=ticket.status, allowed_actions=allowed)


def _check_actor(ticket: Ticket, principal: Principal, action: str, step: Step) -> None:
    if ticket.assignee is not None:
        if ticket.assignee == principal.name or (principal.is_admin and not step.holder_only):
            return
        only = f"; only the holder may {action} it" if step.holder_only else ""
        raise Conflict(f"ticket '{ticket.id}' is claimed by {ticket.assignee}{only}", assignee=ticket.assignee)
    if not may_work(ticket, principal):
        raise Forbidden(f"you are not a candidate for ticket '{ticket.id}'")


def _hold_diagram_timers(rt: Runtime, uow, instance, task_id: str) -> None:
    """Hold the timer boundary events on the ticket's task while it waits."""
    execution = restore(rt, uow.session, instance)
    if execution.hold_timers(task_id):
        save(rt, uow, instance, execution)


def _release_diagram_timers(rt: Runtime, uow, instance, task_id: str) -> list[dict]:
    """Re-arm them, due later by the time waited; what moved."""
    execution = restore(rt, uow.session, instance)
    moved = [{"element_id": element_id, "due_at_before": before, "due_at": after}
             for element_id, before, after in execution.release_timers(task_id)]
    if moved:
        save(rt, uow, instance, execution)
    return moved


def progress(rt: Runtime, principal: Principal, ticket_id: str, action: str, comment: str | None = None,
             data: dict | None = None, if_match: str | None = None) -> Ticket:
    """Record a progress step without completing the task; 409 lists the allowed actions."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be a JSON object"]})
    with rt.uow() as uow:
        ticket, instance = locked(uow.session, principal, ticket_id)
        step = _step_for(ticket, action)
        check_precondition(ticket, if_match)
        _check_actor(ticket, principal, action, step)
        previous = ticket.status
        target = step.target
        if target is None:
            # Waiting keeps the assignee (claim and unclaim refuse a waiting ticket), so it
            # tells the status before waiting when the timeline predates this record.
            target = progressions.status_before_waiting(uow.session, ticket) or (CLAIMED if ticket.assignee else OPEN)
        if target != previous:
            ticket.status = target
            ticket.version += 1
        # Waiting stops the SLA clock; resuming moves the due date by the time waited. The
        # diagram's timers on the task are held and moved alike, or they would fire meanwhile.
        changed = {}
        if step.records == "waiting":
            sla.pause(ticket, rt.clock())
            _hold_diagram_timers(rt, uow, instance, ticket.task_id)
        elif step.records == "resumed":
            changed = sla.resume(uow.session, ticket, rt.clock())
            moved = _release_diagram_timers(rt, uow, instance, ticket.task_id)
            if moved:
                changed["timers_moved"] = moved
        progressions.record(uow.session, ticket, step.records, principal.name, previous, comment, data=data,
                            **changed)
        uow.commit()
        return ticket


def _ticket_timeline(session: Session, ticket_id: str) -> list[TicketProgression]:
    return list(session.scalars(select(TicketProgression).where(TicketProgression.ticket_id == ticket_id)
                                .order_by(TicketProgression.id)))


def list_for_ticket(rt: Runtime, principal: Principal, ticket_id: str) -> list[TicketProgression]:
    """A ticket's timeline, oldest first, for whoever may see the ticket."""
    with rt.uow() as uow:
        find_visible(uow.session, principal, ticket_id)
        return _ticket_timeline(uow.session, ticket_id)
