"""The ticket projection: a ticket for each READY human task, cancelled when its task moves on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...bpmn import Execution, WaitingUserTask
from ...bpmn.human_tasks import approval_level
from ..models import ACTIVE_STATUSES, Instance, Ticket, TicketCandidate, TicketStatus
from ..models.base import new_id
from ..process import webhooks
from ..process.cycle import Step, event_data
from ..store import audit
from ..store.rows_at_hand import rows_at_hand
from ..store.unit_of_work import UnitOfWork
from . import assignment, progressions, sla


def _new_ticket(instance: Instance, task: WaitingUserTask, now: datetime) -> Ticket:
    ticket = Ticket(
        # Id, status and version given now, not by column defaults at the INSERT: its timeline
        # and audit rows name them before any flush.
        id=new_id(), status=TicketStatus.OPEN.value, version=1,
        instance_id=instance.id,
        task_id=task.task_id,
        element_id=task.element_id,
        name=task.name,
        process_key=instance.process_key,
        process_version=instance.process_version,
        business_key=instance.business_key,
        priority=task.priority,
        approval_level=approval_level(task.properties),
        lane=task.lane,
        documentation=task.documentation,
        form=task.form,
        data=task.data,
        created_at=now,
        candidates=[TicketCandidate(kind="user", name=u) for u in sorted(set(task.candidate_users))]
        + [TicketCandidate(kind="group", name=g) for g in sorted(set(task.candidate_groups))],
    )
    if task.assignee:
        # Assigned by the model: it is someone's from the start.
        ticket.assignee = task.assignee
        ticket.status = TicketStatus.CLAIMED.value
        ticket.claimed_at = now
    return ticket


def sync_tickets(session: Session, instance: Instance, execution: Execution,
                 now: datetime, may_have_rows: bool = True) -> tuple[list[Ticket], list[Ticket]]:
    """Open a ticket for each new READY human task, cancel tickets whose task left READY.

    Returns the instance's active tickets after the refresh, and the ones opened now.
    ``may_have_rows=False`` (the instance had no such task when loaded) skips the lookup.
    """
    waiting = {task.task_id: task for task in execution.user_tasks()}
    active = []
    if may_have_rows:
        active = rows_at_hand(session, Ticket, instance.id, execution.user_tasks_when_loaded,
                              lambda ticket: ticket.status in ACTIVE_STATUSES)
        if active is None:
            active = list(session.scalars(
                select(Ticket).where(Ticket.instance_id == instance.id, Ticket.status.in_(ACTIVE_STATUSES))))
    current = []
    for ticket in active:
        if ticket.task_id in waiting:
            current.append(ticket)
            continue
        # The task moved on without this ticket being completed (boundary event, cancel...).
        ticket.status = TicketStatus.CANCELLED.value
        ticket.version += 1
        audit.record(session, "ticket.cancelled", None, instance_id=instance.id, ticket_id=ticket.id,
                     reason="the task is no longer waiting")
        progressions.record(session, ticket, "cancelled", None, progressions.status_before(ticket),
                            reason="the task is no longer waiting")
    known = {t.task_id for t in current}
    created = []
    for task_id, task in waiting.items():
        if task_id in known:
            continue
        ticket = _new_ticket(instance, task, now)
        sla.start(session, ticket, task, now)
        session.add(ticket)  # written before its timeline rows, in the same flush (written_after)
        audit.record(session, "ticket.created", None, instance_id=instance.id, ticket_id=ticket.id,
                     element_id=task.element_id)
        progressions.record(session, ticket, "created", None, None, element_id=task.element_id,
                            assignee=ticket.assignee)
        assignment.auto_assign(session, instance, ticket, task, now)
        current.append(ticket)
        created.append(ticket)
    current.sort(key=lambda t: (t.created_at, t.id))
    return current, created


def project(uow: UnitOfWork, instance: Instance, execution: Execution, step: Step, now: datetime,
            loaded: frozenset) -> list[Ticket]:
    """The save cycle's ticket projection; each ticket opened now is announced by webhook.

    Reports the instance's open tickets (a completion answers with them)."""
    current, opened = sync_tickets(uow.session, instance, execution, now, "user_task" in loaded)
    for ticket in opened:
        webhooks.emit(uow, "ticket.created", {**event_data(instance), "ticket_id": ticket.id,
                                              "element_id": ticket.element_id, "name": ticket.name})
    return current
