"""SLA of a ticket: its due date, pauses while waiting, its state, and breaches found by the scheduler.

The due date comes from the model (``camunda:dueDate``, or the extension property ``dueDate`` or
``sla``: an ISO duration or date, or an expression giving one; else a timer boundary event on
the task: interrupting = the due date, non-interrupting = the at-risk warning). With a business calendar
(property ``calendar``) durations count working time only. The allowed time is kept, so a ticket is
``at_risk`` once 75% of it is used up and ``breached`` at its due date; while it is ``waiting`` the
clock stops and on resume the due date moves by the (working) time it waited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from ...bpmn import Escalation, ExecutionError, WaitingUserTask, looks_like_duration, resolve_due_date
from ...bpmn import human_tasks
from ...utc import as_utc
from ..models import ACTIVE_STATUSES, Instance, Ticket, TicketStatus
from ..models.base import UTCDateTime
from ..process import webhooks
from ..store import audit
from ..store.claims import nothing_to_claim
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM
from ..store.unit_of_work import UnitOfWork
from . import progressions
from .calendars import WorkingHours, working_hours

log = logging.getLogger(__name__)

AT_RISK_SHARE = 0.75  # of the allowed time used up
SLA_STATES = ("ok", "at_risk", "breached")
_FINISHED = (TicketStatus.COMPLETED.value, TicketStatus.CANCELLED.value)
_RUNNING = (TicketStatus.OPEN.value, TicketStatus.CLAIMED.value)  # the SLA clock runs (not waiting)
# Values of the task property ``slaStart`` that start the clock when the ticket is accepted
# (claimed or assigned) instead of when it opens; ``created`` (the default) starts it at once.
ACCEPT_GATES = ("claimed", "accepted")
SLA_STARTS = ("created",) + ACCEPT_GATES


@dataclass(frozen=True)
class SlaStatus:
    state: str  # ok, at_risk, breached
    due_at: datetime | None
    remaining_seconds: int | None  # wall-clock seconds to the due date; frozen while paused
    at_risk_at: datetime | None
    paused: bool
    breached_at: datetime | None
    calendar: str | None


def _measure(hours: WorkingHours | None, start: datetime, end: datetime) -> float:
    return hours.working_seconds(start, end) if hours else (end - start).total_seconds()


def _shift(hours: WorkingHours | None, instant: datetime, seconds: float) -> datetime:
    if not seconds:
        return instant
    return hours.shift(instant, seconds) if hours else instant + timedelta(seconds=seconds)


def _literal(text: str) -> bool:
    """ISO durations and dates are values; anything else is an expression to evaluate."""
    if looks_like_duration(text.upper()):
        return True
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _due(expression, data: dict, now: datetime, hours: WorkingHours | None) -> datetime | None:
    value = expression
    if isinstance(value, str) and not _literal(value.strip()):
        value = human_tasks.evaluate(value.strip(), data)
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{expression!r} gives {value!r}, not an ISO duration or date")
    text = value.strip()
    if hours and looks_like_duration(text.upper()):
        return hours.shift(now, hours.duration_seconds(text))
    return resolve_due_date(text, now)


def start(session: Session, ticket: Ticket, task: WaitingUserTask, now: datetime) -> None:
    """Give a new ticket its due date, allowed time and at-risk instant from the model.

    A due date written on the task wins; else the task's first interrupting timer boundary
    event is the due date (the diagram takes the breach path then). A non-interrupting timer
    boundary event before it marks the ticket at risk when it fires, instead of at 75%.
    """
    properties = task.properties or {}
    expression = task.due_date or properties.get("dueDate") or properties.get("sla")
    if not expression and task.timer_deadline is None:
        return
    name = (properties.get("calendar") or "").strip() or None
    hours = working_hours(session, name)
    if name and hours is None:
        log.warning("calendar '%s' of %s is not defined; its SLA counts wall-clock time", name, task.element_id)
    due = None
    if expression:
        try:
            due = _due(expression, task.data, now, hours)
        except (ExecutionError, ValueError) as exc:
            # A model's bad SLA must not stop the process: the ticket just has no due date.
            log.warning("no due date for %s: %s", task.element_id, exc)
    by_timer = due is None
    if by_timer:
        due, hours = task.timer_deadline, None  # the diagram's timer fires on wall-clock time
    if due is None:
        return
    ticket.due_at, ticket.calendar = due, hours.name if hours else None
    ticket.sla_seconds = max(0, int(_measure(hours, now, due)))
    ticket.at_risk_at = _shift(hours, due, -(1 - AT_RISK_SHARE) * ticket.sla_seconds)
    if task.timer_warning is not None and task.timer_warning < due:
        ticket.at_risk_at = task.timer_warning
    gated = str(properties.get("slaStart") or "").strip().lower() in ACCEPT_GATES
    if gated and not by_timer and not ticket.assignee:
        # The accept gate: the allowed time is known; the clock starts when someone takes it.
        # (The diagram's own timer cannot wait for that: a timer-given SLA starts at once.)
        ticket.due_at = ticket.at_risk_at = None


def start_on_accept(session: Session, ticket: Ticket, now: datetime, by: str | None) -> None:
    """A ticket whose SLA waits for acceptance (property ``slaStart: claimed``) was claimed or
    assigned: its clock starts now, with the allowed time the model gave."""
    if ticket.due_at is not None or ticket.sla_seconds is None:
        return
    hours = working_hours(session, ticket.calendar)
    ticket.due_at = _shift(hours, now, ticket.sla_seconds)
    ticket.at_risk_at = _shift(hours, ticket.due_at, -(1 - AT_RISK_SHARE) * ticket.sla_seconds)
    if ticket.paused_at is not None:  # accepted while waiting on the customer: it starts paused
        ticket.paused_at = now
    progressions.record(session, ticket, "sla_started", by, ticket.status, due_at=ticket.due_at.isoformat(),
                        sla_seconds=ticket.sla_seconds)


def pause(ticket: Ticket, now: datetime) -> None:
    """The ticket waits on someone outside: its SLA clock stops."""
    ticket.paused_at = ticket.paused_at or now


def resume(session: Session, ticket: Ticket, now: datetime) -> dict:
    """Start the clock again, moving the due date by the time waited; returns what changed."""
    paused_at, ticket.paused_at = ticket.paused_at, None
    if paused_at is None:
        return {}
    if ticket.due_at is None:
        return {"paused_seconds": int((now - paused_at).total_seconds())}
    hours = working_hours(session, ticket.calendar)
    waited = _measure(hours, paused_at, now)
    before = ticket.due_at
    ticket.due_at = _shift(hours, before, waited)
    ticket.at_risk_at = _shift(hours, ticket.due_at, -(1 - AT_RISK_SHARE) * (ticket.sla_seconds or 0))
    return {"paused_seconds": int(waited), "due_at_before": before.isoformat(), "due_at": ticket.due_at.isoformat()}


def _reference(ticket: Ticket, now: datetime) -> datetime:
    # The SLA clock stands still while paused and once the ticket is finished.
    return ticket.paused_at or ticket.completed_at or now


def status_of(ticket: Ticket, now: datetime) -> SlaStatus:
    """The ticket's SLA state at ``now`` (the same rule :func:`state_filter` puts in SQL)."""
    if ticket.due_at is None:
        return SlaStatus("ok", None, None, None, ticket.paused_at is not None, None, None)
    at = _reference(ticket, now)
    at_risk_at = ticket.at_risk_at or ticket.due_at
    if ticket.sla_breached_at is not None or ticket.due_at <= at:
        state = "breached"
    elif at_risk_at <= at:
        state = "at_risk"
    else:
        state = "ok"
    remaining = None if ticket.status in _FINISHED else int((ticket.due_at - at).total_seconds())
    return SlaStatus(state, ticket.due_at, remaining, ticket.at_risk_at, ticket.paused_at is not None,
                     ticket.sla_breached_at, ticket.calendar)


def state_filter(state: str, now: datetime):
    """A WHERE clause selecting the tickets in SLA ``state`` at ``now``."""
    at = func.coalesce(Ticket.paused_at, Ticket.completed_at, literal(now, UTCDateTime()))
    has_due = Ticket.due_at.is_not(None)
    breached = and_(has_due, or_(Ticket.sla_breached_at.is_not(None), Ticket.due_at <= at))
    # Without a due date every comparison below is NULL, so at_risk is never true (no has_due needed).
    at_risk = and_(Ticket.sla_breached_at.is_(None), Ticket.due_at > at,
                   func.coalesce(Ticket.at_risk_at, Ticket.due_at) <= at)
    return {"breached": breached, "at_risk": at_risk, "ok": or_(Ticket.due_at.is_(None), not_(or_(breached, at_risk)))}[state]


def mark_breaches(rt: Runtime, limit: int = 100) -> int:
    """Scheduler step: mark running tickets past their due date, once each; returns how many."""
    now = rt.clock()
    breached = select(Ticket).where(Ticket.status.in_(_RUNNING), Ticket.sla_breached_at.is_(None),
                                    Ticket.due_at <= now, Ticket.paused_at.is_(None))
    if nothing_to_claim(rt, breached):
        return 0
    with rt.uow(SYSTEM) as uow:
        due = list(uow.session.scalars(
            breached.order_by(Ticket.due_at).limit(limit).with_for_update(skip_locked=True)))
        for ticket in due:
            uow.scope_to(ticket.tenant_id)  # its audit, timeline and webhooks are its tenant's
            ticket.sla_breached_at = now
            overdue = int((now - ticket.due_at).total_seconds())
            audit.record(uow.session, "ticket.sla_breached", None, instance_id=ticket.instance_id,
                         ticket_id=ticket.id, due_at=ticket.due_at.isoformat())
            progressions.record(uow.session, ticket, "sla_breached", None, ticket.status,
                                due_at=ticket.due_at.isoformat(), overdue_seconds=overdue)
            webhooks.emit(uow, "ticket.sla_breached", {
                "instance_id": ticket.instance_id, "process_key": ticket.process_key,
                "business_key": ticket.business_key, "ticket_id": ticket.id, "element_id": ticket.element_id,
                "assignee": ticket.assignee, "due_at": ticket.due_at.isoformat(), "breached_at": now.isoformat()})
        uow.commit()
        return len(due)


def project_escalations(uow: UnitOfWork, instance: Instance, execution, step, now: datetime,
                        loaded: frozenset) -> None:
    """The save cycle's SLA marks: runs before the ticket projection cancels interrupted tickets."""
    if step.escalations:
        record_escalations(uow, instance, step.escalations)


def record_escalations(uow: UnitOfWork, instance: Instance, fired: list[Escalation]) -> None:
    """Timer boundary events fired on human tasks: each one's ticket gets an ``escalated`` step.

    An interrupting timer also takes the task away (the projection then cancels the ticket); a
    non-interrupting one leaves the ticket open and at risk.
    """
    by_task = {e.task_id: e for e in fired}
    tickets = uow.session.scalars(select(Ticket).where(
        Ticket.instance_id == instance.id, Ticket.task_id.in_(by_task), Ticket.status.in_(ACTIVE_STATUSES)))
    for ticket in tickets:
        escalation = by_task[ticket.task_id]
        detail = {"boundary_event": escalation.element_id, "interrupting": escalation.interrupting,
                  "due_at": escalation.due.isoformat()}
        audit.record(uow.session, "ticket.escalated", None, instance_id=instance.id, ticket_id=ticket.id, **detail)
        progressions.record(uow.session, ticket, "escalated", None, ticket.status, **detail)
        webhooks.emit(uow, "ticket.escalated", {
            "instance_id": instance.id, "process_key": instance.process_key, "business_key": instance.business_key,
            "ticket_id": ticket.id, "element_id": ticket.element_id, "assignee": ticket.assignee, **detail})
