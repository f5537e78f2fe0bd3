"""Approvals: deciding approval tickets, four-eyes, and an instance's approval levels.

A user task with the extension property ``approval: true`` (optional ``level``, default 1) is
decided with approve or reject. The decision completes the task and lands in process variables
the next exclusive gateway reads:

* ``approved``: true only for an approval;
* ``changes_requested``: true when the approver sent the request back for changes;
* ``<element_id>_decision``: ``approved``, ``rejected`` or ``changes_requested``.

Four-eyes: the requester (who started the instance) and anyone who approved a lower level of the
same instance may not decide. Every decision is kept in ``approvals``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ...bpmn import human_tasks
from ..access import idempotency
from ..access.idempotency import IdempotentRequest, Replay
from ..access.principal import Principal
from ..models import ACTIVE_STATUSES, Approval, Instance, InstanceStatus, Ticket
from ..process.cycle import restore
from ..process.instances import get_instance
from ..store.errors import Conflict, InvalidInput
from ..store.runtime import Runtime
from . import progressions
from .tickets import Completion, check_workable, finish, locked

APPROVED, REJECTED, CHANGES_REQUESTED = "approved", "rejected", "changes_requested"
DECISIONS = (APPROVED, REJECTED, CHANGES_REQUESTED)


@dataclass
class InstanceApprovals:
    """Decided levels (oldest first), approval tickets open now, and approval tasks still ahead."""

    instance_id: str
    decided: list[Approval] = field(default_factory=list)
    pending: list[Ticket] = field(default_factory=list)
    ahead: list[human_tasks.ApprovalStep] = field(default_factory=list)


def variables_for(element_id: str, decision: str) -> dict:
    """The process variables a decision sets (what the gateway after the task reads)."""
    return {"approved": decision == APPROVED, "changes_requested": decision == CHANGES_REQUESTED,
            f"{element_id}_decision": decision}


def _four_eyes(session, principal: Principal, ticket: Ticket, instance: Instance) -> None:
    if instance.started_by is not None and principal.name == instance.started_by:
        raise Conflict(f"four-eyes: {principal.name} requested this (started instance '{instance.id}') and may "
                       f"not decide on it", reason="requester")
    earlier = session.scalar(select(Approval.level).where(
        Approval.instance_id == instance.id, Approval.approver == principal.name, Approval.decision == APPROVED,
        Approval.level < ticket.approval_level).order_by(Approval.level).limit(1))
    if earlier is not None:
        raise Conflict(f"four-eyes: {principal.name} already approved level {earlier} of this request; level "
                       f"{ticket.approval_level} needs another approver", reason="approved_lower_level",
                       approved_level=earlier)


def decide(rt: Runtime, principal: Principal, ticket_id: str, decision: str, comment: str | None = None,
           if_match: str | None = None, request: IdempotentRequest | None = None) -> Completion | Replay:
    """Approve, reject or request changes: record the decision and complete the task with it."""
    if decision not in DECISIONS:
        raise InvalidInput("unknown decision", {"decision": [f"one of {', '.join(DECISIONS)}"]})
    if decision != APPROVED and not (comment or "").strip():
        raise InvalidInput("a rejection needs a reason", {"comment": ["say why (the requester reads it)"]})
    with rt.uow() as uow:
        replay = idempotency.find(uow, principal, request)
        if replay is not None:
            return replay
        ticket, instance = locked(uow.session, principal, ticket_id)
        check_workable(ticket, principal, if_match, "decide")
        if ticket.approval_level is None:
            raise Conflict(f"ticket '{ticket.id}' is not an approval task; complete it instead",
                           allowed_actions=["complete"])
        _four_eyes(uow.session, principal, ticket, instance)
        now = rt.clock()
        uow.session.add(Approval(ticket_id=ticket.id, instance_id=instance.id, element_id=ticket.element_id,
                                 level=ticket.approval_level, approver=principal.name, decision=decision,
                                 comment=comment, created_at=now))
        progressions.record(uow.session, ticket, decision, principal.name, ticket.status, comment,
                            level=ticket.approval_level)
        result = finish(rt, uow, principal, ticket, instance, variables_for(ticket.element_id, decision), comment)
        idempotency.remember(uow, principal, request, result)
        uow.commit()
        return result


def for_instance(rt: Runtime, principal: Principal, instance_id: str) -> InstanceApprovals:
    """The instance's approval levels: decided, pending now and, where the diagram tells, still ahead."""
    get_instance(rt, principal, instance_id)  # the one visibility rule for instances: 404 if not yours
    with rt.uow() as uow:
        session = uow.session
        decided = list(session.scalars(select(Approval).where(Approval.instance_id == instance_id)
                                       .order_by(Approval.created_at, Approval.id)))
        approval_tickets = list(session.scalars(
            select(Ticket).where(Ticket.instance_id == instance_id, Ticket.approval_level.is_not(None))
            .order_by(Ticket.created_at, Ticket.id)))
        pending = [t for t in approval_tickets if t.status in ACTIVE_STATUSES]
        names = {t.id: t.name for t in approval_tickets}
        for approval in decided:
            approval.name = names.get(approval.ticket_id)  # the task's name, as people read it
        instance = session.get(Instance, instance_id)
        ahead = []
        if instance.status in (InstanceStatus.RUNNING.value, InstanceStatus.SUSPENDED.value):
            reached = {t.element_id for t in approval_tickets}
            ahead = human_tasks.approvals_ahead(restore(rt, session, instance), reached)
        return InstanceApprovals(instance_id, decided, pending, ahead)
