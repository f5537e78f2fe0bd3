"""Requests: what a requester (customer) does — open one from a request type's form, follow their
own, reply, attach a file, cancel. Each requester sees only the requests they opened, in their
tenant; everything else answers 404 as if it did not exist.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from ..access import idempotency
from ..access.idempotency import IdempotentRequest, Replay
from ..access.principal import Principal
from ..models import ACTIVE_STATUSES, Instance, InstanceStatus, Request, Ticket, TicketAttachment, TicketComment, TicketStatus
from ..process.cycle import lock_instance
from ..process.forms import check as check_form, schema_of
from ..process.instances import create_instance
from ..process.messages import deliver
from ..process.request_types import find_type, spec_of_version
from ..store import paging
from ..store.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..store.runtime import Runtime
from . import attachments, progressions, request_feed, ticket_progress
from .comments import checked_body
from .request_views import RequestView, active_tickets, detail, is_requester_task, views

INITIATOR = "initiator"  # the variable naming who opened the request (``${initiator}`` in the model)
REQUEST_STATES = ("open", "closed")


def require_requester(principal: Principal) -> None:
    if not principal.is_requester:
        raise Forbidden(f"role '{principal.role}' has no requests; requests are the requester role's")


def _subject(spec, data: dict) -> str:
    value = data.get(spec.subject_field)
    text = value.strip() if isinstance(value, str) else ""
    return (text or spec.name)[:255]


def open_request(rt: Runtime, principal: Principal, process_key: str, data: dict | None,
                 request: IdempotentRequest | None = None) -> RequestView | Replay:
    """Start the request type ``process_key`` with the start form's ``data``, validated like a
    ticket form; the requester is the instance's initiator."""
    require_requester(principal)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be a JSON object"]})
    if INITIATOR in data:
        raise InvalidInput("'initiator' is set by flowdesk", {INITIATOR: ["is the requester; do not send it"]})
    with rt.uow() as uow:
        replay = idempotency.find(uow, principal, request)
        if replay is not None:
            return replay
        version, spec = find_type(uow, principal, process_key)
        schema = schema_of(uow.session, spec.form)
        if spec.form and schema is None:
            # A declared form that is not deployed cannot be checked: accept nothing rather than anything.
            raise Conflict(f"the form of request type '{process_key}' is not deployed")
        if schema is None and data:
            raise InvalidInput("this request type has no form", {"data": ["must be empty"]})
        check_form(schema, data)
        instance = create_instance(rt, uow, principal.name, version, {**data, INITIATOR: principal.name}, None)
        now = rt.clock()
        opened = active_tickets(uow.session, [instance.id])[instance.id]
        if instance.status in (InstanceStatus.COMPLETED.value, InstanceStatus.CANCELLED.value):
            stage = request_feed.closing_stage(spec, instance)
        elif opened:
            stage = request_feed.stage_of_ticket(spec, max(opened, key=lambda t: (t.created_at, t.id)))
        else:
            stage = "Submitted"
        row = Request(id=instance.id, requester=principal.name, process_key=process_key,
                      subject=_subject(spec, data), stage=stage, created_at=instance.created_at, updated_at=now)
        uow.session.add(row)
        request_feed.publish(uow, row, "submitted")
        result = detail(uow.session, row, instance, now)
        idempotency.remember(uow, principal, request, result)
        uow.commit()
        return result


def _mine(session, principal: Principal, request_id: str) -> Request:
    row = session.scalar(select(Request).where(Request.id == request_id, Request.requester == principal.name))
    if row is None:
        raise NotFound(f"request '{request_id}' does not exist")
    return row


def _instance(session, request_id: str) -> Instance:
    return session.scalar(select(Instance).where(Instance.id == request_id))


def get_request(rt: Runtime, principal: Principal, request_id: str) -> RequestView:
    require_requester(principal)
    with rt.uow() as uow:
        row = _mine(uow.session, principal, request_id)
        return detail(uow.session, row, _instance(uow.session, request_id), rt.clock())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def list_requests(rt: Runtime, principal: Principal, *, q: str | None = None, state: str | None = None,
                  after: str | None = None, limit: int | None = None) -> paging.Page:
    """My requests, newest first; ``q`` searches subject, stage and type, ``state`` is open or closed."""
    require_requester(principal)
    limit = paging.check_limit(limit)
    if state is not None and state not in REQUEST_STATES:
        raise InvalidInput("unknown state", {"state": [f"one of {', '.join(REQUEST_STATES)}"]})
    query = (select(Request, Instance).join(Instance, Instance.id == Request.id)
             .where(Request.requester == principal.name))
    if q and q.strip():
        pattern = _like(q.strip())
        query = query.where(or_(func.lower(Request.subject).like(pattern, escape="\\"),
                                func.lower(Request.stage).like(pattern, escape="\\"),
                                func.lower(Request.process_key).like(pattern, escape="\\")))
    finished = Instance.status.in_((InstanceStatus.COMPLETED.value, InstanceStatus.CANCELLED.value))
    if state == "closed":
        query = query.where(finished)
    elif state == "open":
        query = query.where(~finished)
    if after:
        created_at, id_ = paging.decode_cursor(after)
        query = query.where(or_(Request.created_at < created_at,
                                and_(Request.created_at == created_at, Request.id < id_)))
    query = query.order_by(Request.created_at.desc(), Request.id.desc()).limit(limit + 1)
    with rt.uow() as uow:
        rows = list(uow.session.execute(query))
        more = len(rows) > limit
        rows = [tuple(row) for row in rows[:limit]]
        items = views(uow.session, rows, rt.clock())
        cursor = paging.encode_cursor(rows[-1][0].created_at, rows[-1][0].id) if more else None
        return paging.Page(items, cursor)


def _locked_mine(uow, principal: Principal, request_id: str) -> tuple[Request, Instance]:
    row = _mine(uow.session, principal, request_id)
    instance = lock_instance(uow.session, request_id)
    if instance.status != InstanceStatus.RUNNING.value:
        raise Conflict(f"request '{request_id}' is {'closed' if instance.status != 'suspended' else 'on hold'}",
                       request_state=instance.status)
    return row, instance


def _reply_target(session, instance_id: str, requester: str) -> Ticket:
    """Where a reply goes: the newest open desk ticket, else the desk ticket worked last (its
    agents see it there), else the newest ticket of the request."""
    tickets = list(session.scalars(select(Ticket).where(Ticket.instance_id == instance_id)
                                   .order_by(Ticket.created_at.desc(), Ticket.id.desc())))
    desk = [t for t in tickets if not is_requester_task(t, requester)]
    open_desk = [t for t in desk if t.status in ACTIVE_STATUSES]
    target = (open_desk or desk or tickets or [None])[0]
    if target is None:
        raise Conflict("nobody at the desk works on this request yet; reply once it has reached the desk")
    return target


def _resume_waiting(rt: Runtime, uow, instance: Instance, by: str, reply: str) -> list[str]:
    """The desk waited on the customer: their reply resumes each waiting ticket (the SLA clock restarts)."""
    waiting = list(uow.session.scalars(select(Ticket).where(Ticket.instance_id == instance.id,
                                                             Ticket.status == TicketStatus.WAITING.value)))
    for ticket in waiting:
        ticket_progress.resume_for_customer(rt, uow, ticket, instance, by, reply=reply)
    return [t.id for t in waiting]


def reply(rt: Runtime, principal: Principal, request_id: str, body: str) -> RequestView:
    """A public comment by the requester on their request; it resumes the desk's wait on them."""
    require_requester(principal)
    body = checked_body(body)
    with rt.uow() as uow:
        row, instance = _locked_mine(uow, principal, request_id)
        ticket = _reply_target(uow.session, instance.id, principal.name)
        comment = TicketComment(ticket_id=ticket.id, author=principal.name, body=body, public=True,
                                created_at=rt.clock())
        uow.session.add(comment)
        uow.session.flush()
        progressions.record(uow.session, ticket, "commented", principal.name, ticket.status,
                            comment_id=comment.id, public=True, by_requester=True)
        resumed = _resume_waiting(rt, uow, instance, principal.name, "comment")
        request_feed.publish(uow, row, "public_comment", author=principal.name, body=body, resumed=bool(resumed))
        result = detail(uow.session, row, instance, rt.clock())
        uow.commit()
        return result


def attach(rt: Runtime, principal: Principal, request_id: str, filename: str | None, data: bytes,
           claimed_type: str | None = None) -> TicketAttachment:
    """A file from the requester, public on their request; like a reply, it resumes a wait on them."""
    require_requester(principal)
    attachments.check_size(rt, data)
    with rt.uow() as uow:
        _, instance = _locked_mine(uow, principal, request_id)
        ticket = _reply_target(uow.session, instance.id, principal.name)
        _resume_waiting(rt, uow, instance, principal.name, "attachment")
        return attachments.attach(rt, uow, ticket, principal.name, filename, data, claimed_type, public=True)


def download(rt: Runtime, principal: Principal, request_id: str, attachment_id: str) -> tuple[TicketAttachment, bytes]:
    """A public file of my request (anything else: 404)."""
    require_requester(principal)
    with rt.uow() as uow:
        _mine(uow.session, principal, request_id)
        attachment = uow.session.scalar(
            select(TicketAttachment).join(Ticket, Ticket.id == TicketAttachment.ticket_id)
            .where(TicketAttachment.id == attachment_id, TicketAttachment.public.is_(True),
                   Ticket.instance_id == request_id))
        if attachment is None:
            raise NotFound(f"attachment '{attachment_id}' does not exist on request '{request_id}'")
        return attachment, attachments.content_of(rt, uow.session, attachment)


def cancel(rt: Runtime, principal: Principal, request_id: str) -> RequestView:
    """Send the message or signal the model names for cancelling, to this request's instance only."""
    require_requester(principal)
    with rt.uow() as uow:
        row, instance = _locked_mine(uow, principal, request_id)
        spec = spec_of_version(uow.session, instance.definition_version_id, instance.process_key)
        if spec is None or spec.cancel is None:
            raise Conflict(f"request '{request_id}' cannot be cancelled: its model offers no way to", can_cancel=False)
        kind, name = spec.cancel
        delivery = deliver(rt, uow, kind, name, {}, instance_id=instance.id, start_processes=False)
        if not delivery.delivered_to:
            raise Conflict(f"request '{request_id}' cannot be cancelled at this stage", can_cancel=False)
        if instance.status == InstanceStatus.RUNNING.value:  # the model goes on (say, to confirm it)
            request_feed.publish(uow, row, "cancel_requested")
        result = detail(uow.session, row, _instance(uow.session, request_id), rt.clock())
        uow.commit()
        return result
