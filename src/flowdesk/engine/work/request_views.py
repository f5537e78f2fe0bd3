"""A request as its requester sees it: status in the model's words, the SLA promised, public
variables and the public timeline. Never internal comments, private files or other variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..models import (ACTIVE_STATUSES, EventSubscription, Instance, InstanceStatus, Request, Ticket, TicketAttachment,
                     TicketComment, TicketProgression, TicketStatus)
from ..process import forms
from ..process.request_types import spec_of_version
from . import sla
from .request_feed import stage_of_ticket

FINISHED = {InstanceStatus.COMPLETED.value: "closed", InstanceStatus.CANCELLED.value: "cancelled"}


@dataclass
class RequestView:
    request: Request
    instance: Instance
    type_name: str
    state: str  # open, closed or cancelled
    waiting_on_you: bool
    can_cancel: bool
    sla: dict | None = None
    variables: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # public variable -> its start form label
    open_tasks: list = field(default_factory=list)  # tickets the requester is to complete
    timeline: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.request.id

    def __getattr__(self, name: str):
        return getattr(self.request, name)  # subject, stage, process_key, created_at, updated_at

    @property
    def closed_at(self) -> datetime | None:
        return self.instance.completed_at if self.state != "open" else None


def is_requester_task(ticket: Ticket, requester: str) -> bool:
    """A task for the requester: held by them, or offered to them by name."""
    return ticket.assignee == requester or requester in ticket.candidate_users


def _sla(desk: list[Ticket], now: datetime) -> dict | None:
    """The promise of the newest open desk ticket with an SLA: pending until accepted, then its state."""
    promised = [t for t in desk if t.sla_seconds is not None or t.due_at is not None]
    if not promised:
        return None
    ticket = max(promised, key=lambda t: (t.created_at, t.id))
    if ticket.due_at is None:
        return {"started": False, "state": "pending", "due_at": None, "remaining_seconds": None,
                "allowed_seconds": ticket.sla_seconds, "paused": ticket.paused_at is not None}
    status = sla.status_of(ticket, now)
    return {"started": True, "state": status.state, "due_at": status.due_at,
            "remaining_seconds": status.remaining_seconds, "allowed_seconds": ticket.sla_seconds,
            "paused": status.paused}


def view(session, request: Request, instance: Instance, active: list[Ticket], now: datetime,
         waits_for: set[tuple[str, str]]) -> RequestView:
    """The list entry of one request (``active``: its instance's active tickets; ``waits_for``:
    the (kind, name) of the messages and signals it waits for)."""
    spec = spec_of_version(session, instance.definition_version_id, instance.process_key)
    mine = [t for t in active if is_requester_task(t, request.requester)]
    desk = [t for t in active if t not in mine]
    state = FINISHED.get(instance.status, "open")
    waiting = bool(mine) or any(t.status == TicketStatus.WAITING.value for t in desk)
    # Cancelling is offered where the model allows it now: the instance waits for its cancel event.
    can_cancel = state == "open" and instance.status == InstanceStatus.RUNNING.value and \
        bool(spec and spec.cancel) and spec.cancel in waits_for
    result = RequestView(request, instance, spec.name if spec else request.process_key, state, waiting, can_cancel)
    result.sla = _sla(desk, now) if state == "open" else None
    result.open_tasks = sorted(mine, key=lambda t: (t.created_at, t.id))
    return result


def waited_events(session, instance_ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """The (kind, name) of the messages and signals each instance waits for."""
    found: dict[str, set[tuple[str, str]]] = {i: set() for i in instance_ids}
    if instance_ids:
        for instance_id, kind, name in session.execute(select(
                EventSubscription.instance_id, EventSubscription.kind, EventSubscription.name)
                .where(EventSubscription.instance_id.in_(instance_ids))):
            found[instance_id].add((kind, name))
    return found


def views(session, rows: list[tuple[Request, Instance]], now: datetime) -> list[RequestView]:
    """List entries of several requests, with three queries in all."""
    ids = [request.id for request, _ in rows]
    tickets, waits = active_tickets(session, ids), waited_events(session, ids)
    return [view(session, request, instance, tickets[request.id], now, waits[request.id]) for request, instance in rows]


def active_tickets(session, instance_ids: list[str]) -> dict[str, list[Ticket]]:
    found: dict[str, list[Ticket]] = {i: [] for i in instance_ids}
    if instance_ids:
        for ticket in session.scalars(select(Ticket).where(Ticket.instance_id.in_(instance_ids),
                                                           Ticket.status.in_(ACTIVE_STATUSES))):
            found[ticket.instance_id].append(ticket)
    return found


def detail(session, request: Request, instance: Instance, now: datetime) -> RequestView:
    """One request with its public variables and public timeline."""
    [result] = views(session, [(request, instance)], now)
    spec = spec_of_version(session, instance.definition_version_id, instance.process_key)
    variables = instance.variables or {}
    result.variables = {name: variables[name] for name in (spec.public_variables if spec else ()) if name in variables}
    properties = (forms.schema_of(session, spec.form) or {}).get("properties", {}) if spec else {}
    result.labels = {name: properties[name]["title"] for name in result.variables
                     if isinstance(properties.get(name), dict) and isinstance(properties[name].get("title"), str)}
    result.timeline = timeline(session, request, instance, spec)
    return result


def timeline(session, request: Request, instance: Instance, spec) -> list[dict]:
    """What happened that the requester may see, oldest first."""
    tickets = list(session.scalars(select(Ticket).where(Ticket.instance_id == instance.id)
                                   .order_by(Ticket.created_at, Ticket.id)))
    entries = [{"kind": "submitted", "at": instance.created_at, "by": request.requester}]
    last_stage = None
    for ticket in tickets:
        stage = stage_of_ticket(spec, ticket)
        if stage != last_stage:
            entries.append({"kind": "stage", "at": ticket.created_at, "stage": stage})
            last_stage = stage
        if ticket.status == TicketStatus.COMPLETED.value and ticket.completed_by == request.requester:
            entries.append({"kind": "task_completed", "at": ticket.completed_at, "by": request.requester,
                            "task": ticket.name})
    ids = [t.id for t in tickets]
    if ids:
        for comment in session.scalars(select(TicketComment).where(
                TicketComment.ticket_id.in_(ids), TicketComment.public.is_(True), TicketComment.deleted_at.is_(None))
                .order_by(TicketComment.created_at, TicketComment.id)):
            entries.append({"kind": "comment", "at": comment.created_at, "by": comment.author, "id": comment.id,
                            "body": comment.body})
        for attachment in session.scalars(select(TicketAttachment).where(
                TicketAttachment.ticket_id.in_(ids), TicketAttachment.public.is_(True))
                .order_by(TicketAttachment.created_at, TicketAttachment.id)):
            entries.append({"kind": "attachment", "at": attachment.created_at, "by": attachment.uploaded_by,
                            "id": attachment.id, "filename": attachment.filename, "size": attachment.size,
                            "content_type": attachment.content_type})
        for step in session.scalars(select(TicketProgression).where(
                TicketProgression.instance_id == instance.id,
                TicketProgression.action.in_(("waiting", "resumed", "sla_started")))
                .order_by(TicketProgression.id)):
            kind = {"waiting": "waiting_on_you", "resumed": "resumed", "sla_started": "accepted"}[step.action]
            entry = {"kind": kind, "at": step.created_at, "by": step.performed_by}
            if kind == "accepted":
                due = (step.details or {}).get("due_at")
                entry["due_at"] = datetime.fromisoformat(due) if due else None
            entries.append(entry)
    if instance.status in FINISHED and instance.completed_at is not None:
        entries.append({"kind": "closed", "at": instance.completed_at, "stage": request.stage})
    order = {kind: n for n, kind in enumerate(("submitted", "stage", "accepted", "waiting_on_you", "comment",
                                                "attachment", "resumed", "task_completed", "closed"))}
    return sorted(entries, key=lambda e: (e["at"], order[e["kind"]]))
