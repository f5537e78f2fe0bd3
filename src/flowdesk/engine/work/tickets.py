"""The work queue: reading, claiming, unclaiming and completing tickets (the inbox list: inbox.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ... import logs
from ...bpmn import ExecutionError, TaskNotReady
from ..access import idempotency
from ..access.idempotency import IdempotentRequest, Replay
from ..access.principal import Principal
from ..access.visibility import group_names, ticket_seen_by, visible_tickets
from ..models import ACTIVE_STATUSES, Instance, Ticket, TicketStatus
from ..process import forms, webhooks
from ..process.cycle import execution_failed, require_running, restore, save
from ..store import audit
from ..store.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from ..store.runtime import Runtime
from . import progressions

TICKET_STATUSES = tuple(s.value for s in TicketStatus)
DELEGATION_PENDING = "pending"


@dataclass
class Completion:
    """A completed ticket, its instance afterwards and the tickets that opened next."""

    ticket: Ticket
    instance: Instance
    open_tickets: list[Ticket] = field(default_factory=list)


def visible(query, principal: Principal):
    """Admins see every ticket; everyone else the ones they hold, own (delegated) or are a candidate for."""
    return visible_tickets(query, principal)


def may_work(ticket: Ticket, principal: Principal) -> bool:
    if principal.is_admin or ticket.assignee == principal.name:
        return True
    return principal.name in ticket.candidate_users or bool(principal.groups & set(ticket.candidate_groups))


# Every ticket command reads its ticket, so the statements are built once (building one took
# longer than running it). The candidates come joined (a ticket has a few), not by a second SELECT.
_TICKET = (select(Ticket).where(Ticket.id == bindparam("ticket_id")).options(joinedload(Ticket.candidates))
           .execution_options(populate_existing=True))
_VISIBLE_TICKET = _TICKET.where(ticket_seen_by(bindparam("name"), bindparam("groups", expanding=True)))
_INSTANCE_OF_TICKET = (
    select(Instance).where(Instance.id == select(Ticket.instance_id).where(Ticket.id == bindparam("ticket_id"))
                           .scalar_subquery())
    .with_for_update().execution_options(populate_existing=True))


def find_visible(session, principal: Principal, ticket_id: str) -> Ticket:
    """The ticket if ``principal`` may see it (as :func:`visible` says), else 404."""
    if principal.reads_everything:
        result = session.scalars(_TICKET, {"ticket_id": ticket_id})
    else:
        result = session.scalars(_VISIBLE_TICKET, {"ticket_id": ticket_id, "name": principal.name,
                                                   "groups": group_names(principal)})
    ticket = result.unique().first()
    if ticket is None:
        raise NotFound(f"ticket '{ticket_id}' does not exist")
    return ticket


def get_ticket(rt: Runtime, principal: Principal, ticket_id: str) -> Ticket:
    """One visible ticket, with ``form_schema``: the JSON schema its completion data must fit, and
    ``form_fields``: its field names in the order to show them, with ``form_ui_schema``."""
    with rt.uow() as uow:
        ticket = find_visible(uow.session, principal, ticket_id)
        ticket.form_schema = forms.schema_of(uow.session, ticket.form)
        ticket.form_ui_schema = forms.ui_schema_of(uow.session, ticket.form)
        ticket.form_fields = forms.field_order(ticket.form_schema, ticket.form_ui_schema)
        return ticket


def check_precondition(ticket: Ticket, if_match: str | None) -> None:
    if if_match and if_match.strip() != "*" and ticket.etag not in [t.strip() for t in if_match.split(",")]:
        raise PreconditionFailed(f"ticket '{ticket.id}' changed since it was read (ETag is now {ticket.etag})")


def locked(session, principal: Principal, ticket_id: str) -> tuple[Ticket, Instance]:
    """Lock the ticket's instance, then read the ticket under that lock (so it is current)."""
    # One statement finds and locks the instance: a ticket never changes instance.
    instance = session.scalar(_INSTANCE_OF_TICKET, {"ticket_id": ticket_id})
    if instance is None:
        raise NotFound(f"ticket '{ticket_id}' does not exist")
    logs.instance_id.set(instance.id)
    ticket = find_visible(session, principal, ticket_id)  # 404 if not yours; the lock ends with the command
    require_running(instance)
    return ticket, instance


def require_active(ticket: Ticket) -> None:
    if ticket.status not in ACTIVE_STATUSES:
        raise Conflict(f"ticket '{ticket.id}' is {ticket.status}", ticket_status=ticket.status)


def _refuse_waiting(ticket: Ticket, command: str) -> None:
    # Waiting means paused on someone outside: it must be resumed, never worked around.
    if ticket.status == TicketStatus.WAITING.value:
        raise Conflict(f"ticket '{ticket.id}' is waiting; resume it before you {command} it",
                       ticket_status=ticket.status, allowed_actions=["resume"])


def _refuse_delegated(ticket: Ticket, command: str) -> None:
    # A delegate works the ticket for its owner and hands it back (resolve); only then it moves on.
    if ticket.delegation_state == DELEGATION_PENDING:
        raise Conflict(f"ticket '{ticket.id}' is delegated to {ticket.assignee}; it must be resolved back to "
                       f"{ticket.owner} before you {command} it", assignee=ticket.assignee, owner=ticket.owner,
                       allowed_actions=["resolve"])


def check_workable(ticket: Ticket, principal: Principal, if_match: str | None, command: str = "complete") -> None:
    """What completing (or deciding) a ticket needs: active, not paused or delegated, held or offered to you."""
    require_active(ticket)
    _refuse_waiting(ticket, command)
    _refuse_delegated(ticket, command)
    check_precondition(ticket, if_match)
    if ticket.assignee is not None and ticket.assignee != principal.name and not principal.is_admin:
        raise Conflict(f"ticket '{ticket.id}' is claimed by {ticket.assignee}", assignee=ticket.assignee)
    if not may_work(ticket, principal):
        raise Forbidden(f"you are not a candidate for ticket '{ticket.id}'")


def _changed_variables(before: dict, after: dict) -> dict:
    """``{name: {"from": old, "to": new}}`` for each variable that differs; a missing side is left out."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        if name in before and name in after and before[name] == after[name]:
            continue
        change = {}
        if name in before:
            change["from"] = before[name]
        if name in after:
            change["to"] = after[name]
        changes[name] = change
    return changes


def claim(rt: Runtime, principal: Principal, ticket_id: str, if_match: str | None = None) -> Ticket:
    """Take an open ticket; claiming one you already hold changes nothing."""
    with rt.uow() as uow:
        ticket, _ = locked(uow.session, principal, ticket_id)
        require_active(ticket)
        _refuse_waiting(ticket, "claim")
        check_precondition(ticket, if_match)
        if ticket.assignee == principal.name:
            return ticket
        if ticket.assignee is not None:
            raise Conflict(f"ticket '{ticket.id}' is claimed by {ticket.assignee}", assignee=ticket.assignee)
        if not may_work(ticket, principal):
            raise Forbidden(f"you are not a candidate for ticket '{ticket.id}'")
        ticket.assignee, ticket.status, ticket.claimed_at = principal.name, TicketStatus.CLAIMED.value, rt.clock()
        ticket.version += 1
        audit.record(uow.session, "ticket.claimed", principal.name, instance_id=ticket.instance_id, ticket_id=ticket.id)
        progressions.record(uow.session, ticket, "claimed", principal.name, TicketStatus.OPEN.value)
        uow.commit()
        return ticket


def unclaim(rt: Runtime, principal: Principal, ticket_id: str, if_match: str | None = None) -> Ticket:
    """Give a claimed ticket back to its candidates (the holder or an admin)."""
    with rt.uow() as uow:
        ticket, _ = locked(uow.session, principal, ticket_id)
        require_active(ticket)
        _refuse_waiting(ticket, "unclaim")
        _refuse_delegated(ticket, "unclaim")
        check_precondition(ticket, if_match)
        if ticket.assignee is None:
            raise Conflict(f"ticket '{ticket.id}' is not claimed")
        if ticket.assignee != principal.name and not principal.is_admin:
            raise Conflict(f"ticket '{ticket.id}' is claimed by {ticket.assignee}", assignee=ticket.assignee)
        previous = ticket.assignee
        ticket.assignee, ticket.status, ticket.claimed_at = None, TicketStatus.OPEN.value, None
        ticket.version += 1
        audit.record(uow.session, "ticket.unclaimed", principal.name, instance_id=ticket.instance_id,
                     ticket_id=ticket.id, previous_assignee=previous)
        progressions.record(uow.session, ticket, "unclaimed", principal.name, TicketStatus.CLAIMED.value,
                            previous_assignee=previous)
        uow.commit()
        return ticket


def complete(rt: Runtime, principal: Principal, ticket_id: str, data: dict | None = None, comment: str | None = None,
             if_match: str | None = None, request: IdempotentRequest | None = None) -> Completion | Replay:
    """Complete the ticket's task with ``data`` and move the instance to its next wait state."""
    data = data or {}
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be a JSON object"]})
    with rt.uow() as uow:
        replay = idempotency.find(uow, principal, request)
        if replay is not None:
            return replay
        ticket, instance = locked(uow.session, principal, ticket_id)
        check_workable(ticket, principal, if_match)
        if ticket.approval_level is not None:
            raise Conflict(f"ticket '{ticket.id}' is an approval task: approve or reject it instead",
                           allowed_actions=["approve", "reject"])
        forms.check(forms.schema_of(uow.session, ticket.form), data)
        result = finish(rt, uow, principal, ticket, instance, data, comment)
        idempotency.remember(uow, principal, request, result)
        uow.commit()
        return result


def finish(rt: Runtime, uow, principal: Principal, ticket: Ticket, instance: Instance, data: dict,
           comment: str | None) -> Completion:
    """Complete ``ticket``'s task with ``data`` in the caller's transaction (its instance locked, checks done)."""
    execution = restore(rt, uow.session, instance)
    variables_before = dict(instance.variables or {})
    try:
        execution.complete_user_task(ticket.task_id, data)
    except TaskNotReady as exc:
        raise Conflict(f"the task of ticket '{ticket.id}' is no longer waiting") from exc
    except ExecutionError as exc:
        raise execution_failed(exc) from exc
    now = rt.clock()
    previous_status = ticket.status
    ticket.status, ticket.completed_at, ticket.completed_by = TicketStatus.COMPLETED.value, now, principal.name
    ticket.assignee = ticket.assignee or principal.name
    ticket.result, ticket.comment = data, comment
    ticket.version += 1
    audit.record(uow.session, "ticket.completed", principal.name, instance_id=instance.id, ticket_id=ticket.id,
                 data=data, comment=comment)
    progressions.record(uow.session, ticket, "completed", principal.name, previous_status, comment, data=data,
                        changed_variables=_changed_variables(variables_before, execution.variables))
    webhooks.emit(uow, "ticket.completed", {"instance_id": instance.id, "process_key": instance.process_key,
                                            "business_key": instance.business_key, "ticket_id": ticket.id,
                                            "element_id": ticket.element_id, "completed_by": principal.name})
    return Completion(ticket, instance, save(rt, uow, instance, execution)["tickets"])
