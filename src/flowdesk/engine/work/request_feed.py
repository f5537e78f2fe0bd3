"""What a requester may see happening to their request: its stage follows the model, and each
public change (stage, public comment or file, waiting on them, resumed, closed) moves it up their
list and emits the ``request.updated`` webhook (for the customer's email or chat channel).

Called from the commands that make such changes, inside their transaction, and by every save as
a projection (``composition``); instances of processes that are not requestable cost nothing once the
version's request type is cached; requests cost one primary-key lookup when something public happened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..models import ACTIVE_STATUSES, Instance, InstanceStatus, Request, Ticket
from ..models.base import clock_of
from ..process import webhooks
from ..process.request_types import spec_of_version
from ..store import added_rows
from ..store.unit_of_work import UnitOfWork

EVENT = "request.updated"
CANCELLED_STAGE = "Cancelled"


def request_of(session, instance_id: str) -> Request | None:
    return session.scalar(select(Request).where(Request.id == instance_id))


def stage_of_ticket(spec, ticket: Ticket) -> str:
    """The stage a ticket stands for: its task's ``stage`` property, else its name."""
    return ((spec.stages.get(ticket.element_id) if spec is not None else None) or ticket.name)[:255]


def closing_stage(spec, instance: Instance, execution=None) -> str:
    """The words for a finished request: the end event it reached (by name), else the model's closed stage."""
    if instance.status == InstanceStatus.CANCELLED.value:
        return CANCELLED_STAGE
    if execution is not None:
        ends = [e.name for e in execution.completed_elements() if e.type == "endEvent" and e.name]
        if ends:
            return ends[-1][:255]
    return spec.closed_stage if spec is not None else "Closed"


def publish(uow: UnitOfWork, request: Request, what: str, **detail) -> None:
    """Mark ``request`` updated now and tell the ``request.updated`` subscribers what happened."""
    request.updated_at = clock_of(uow.session)
    webhooks.emit(uow, EVENT, {"request_id": request.id, "instance_id": request.id,
                               "process_key": request.process_key, "requester": request.requester,
                               "subject": request.subject, "stage": request.stage, "event": what, **detail})


def project(uow: UnitOfWork, instance: Instance, execution, step, now: datetime, loaded: frozenset) -> None:
    """The save cycle's request projection (after the tickets'): a step that opened tickets or
    finished the instance may have changed a request's stage."""
    finished = instance.status in (InstanceStatus.COMPLETED.value, InstanceStatus.CANCELLED.value)
    opened = [t for t in added_rows.of_instance(uow.session, Ticket, instance.id)
              if t.created_at == now and t.status in ACTIVE_STATUSES]
    if not opened and not finished:
        return
    # The version's request type is cached per process: a process that is not requestable has no
    # requests, so most steps end here without a statement.
    spec = spec_of_version(uow.session, instance.definition_version_id, instance.process_key)
    if spec is None:
        return
    request = request_of(uow.session, instance.id)
    if request is None:
        return
    if finished:
        stage = closing_stage(spec, instance, execution)
    else:
        stage = stage_of_ticket(spec, max(opened, key=lambda t: (t.created_at, t.id)))
    if stage == request.stage and not finished:
        return
    request.stage = stage
    publish(uow, request, "closed" if finished else "stage_changed")


def ticket_changed(uow: UnitOfWork, ticket: Ticket, what: str, **detail) -> None:
    """Something public happened on one of the instance's tickets (a public comment or file, a
    wait on the customer or its end)."""
    if what not in PUBLIC_TICKET_CHANGES:
        return
    request = request_of(uow.session, ticket.instance_id)
    if request is not None:
        publish(uow, request, what, **detail)


# Ticket progressions a requester sees (as "waiting on you" and "resumed" in their timeline).
PUBLIC_TICKET_CHANGES = ("waiting", "resumed", "public_comment", "public_attachment")
