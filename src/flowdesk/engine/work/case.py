"""The case a ticket is about: the variables its model names, and earlier approval decisions.

The fields are taken when the ticket opens (``caseFields`` on the task or its process, else the
instance's start variables) and kept on the ticket, so the inbox lists them without reading
the task's data.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...bpmn import case_fields
from ..models import Approval, Instance, Ticket

# A case value is for reading at a glance; a longer text stays in the task's data.
MAX_TEXT = 500


def _shown(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def snapshot(instance: Instance, properties: dict, data: dict) -> list[dict]:
    """The case fields of a ticket opening now on a task with ``properties`` over ``data``."""
    try:
        fields = case_fields.parse(properties.get(case_fields.PROPERTY))
    except ValueError:  # absent (deploys refuse a bad list): the start variables
        fields = [{"name": name, "label": case_fields.label_of(name)} for name in instance.start_variables or ()]
    return [{**field, "value": _shown(case_fields.value_at(data, field["name"]))} for field in fields]


def earlier_decisions(session: Session, ticket: Ticket) -> list[Approval]:
    """An approval ticket's instance's decisions on other tickets, oldest first, each with ``name``:
    the task's name, as people read it."""
    if ticket.approval_level is None:
        return []
    rows = session.execute(select(Approval, Ticket.name).join(Ticket, Ticket.id == Approval.ticket_id)
                           .where(Approval.instance_id == ticket.instance_id, Approval.ticket_id != ticket.id)
                           .order_by(Approval.created_at, Approval.id))
    decisions = []
    for approval, name in rows:
        approval.name = name
        decisions.append(approval)
    return decisions
