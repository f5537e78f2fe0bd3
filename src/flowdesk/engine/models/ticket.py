"""Tickets: the projection of READY user/manual tasks into a work queue."""

from __future__ import annotations

import enum
import math
from datetime import datetime
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, JSONType, UTCDateTime, clock_of, new_id, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .instance import Instance


class TicketStatus(str, enum.Enum):
    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    WAITING = "waiting"  # paused on someone outside (the customer) until resumed


# Not finished: the task is still waiting for a person.
ACTIVE_STATUSES = (TicketStatus.OPEN.value, TicketStatus.CLAIMED.value, TicketStatus.WAITING.value)


# The inbox's text search on PostgreSQL: GIN trigram indexes on lower(name) and lower(business_key),
# made by migration 0014 where pg_trgm is available. Expression indexes with an operator class of an
# extension are beyond what the models describe, so the schema check leaves these names out.
TEXT_SEARCH_INDEXES = ("ix_tickets_name_trgm", "ix_tickets_business_key_trgm", "ix_tickets_case_text_trgm")


class Ticket(TenantOwned, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_created_at_id", "status", "created_at", "id"),
        Index("ix_tickets_instance_id_status", "instance_id", "status"),
        Index("ix_tickets_task_id", "task_id"),
        # The inbox: each common filter leads, its sort key and the id (keyset tie-break) follow.
        Index("ix_tickets_status_due_at_id", "status", "due_at", "id"),
        Index("ix_tickets_status_priority_id", "status", "priority", "id"),
        Index("ix_tickets_assignee_status_due_at_id", "assignee", "status", "due_at", "id"),
        Index("ix_tickets_owner_status", "owner", "status"),
        Index("ix_tickets_process_key_process_version_status", "process_key", "process_version", "status"),
        Index("ix_tickets_element_id_status", "element_id", "status"),
        Index("ix_tickets_business_key", "business_key"),
        # The SLA scheduler step: active, not yet marked, due before now.
        Index("ix_tickets_status_sla_breached_at_due_at", "status", "sla_breached_at", "due_at"),
        # Automatic assignment: an agent's last assignment and last completion (longest idle).
        Index("ix_tickets_assignee_claimed_at", "assignee", "claimed_at"),
        Index("ix_tickets_completed_by_completed_at", "completed_by", "completed_at"),
        # History across instances: completed tickets in completion order (migration 0021).
        Index("ix_tickets_status_completed_at_id", "status", "completed_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    process_key: Mapped[str] = mapped_column(String(255))
    process_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    business_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN.value)
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When to look at it again (a Camunda follow-up date); unlike due_at, no SLA hangs on it.
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lane: Mapped[str | None] = mapped_column(String(255), nullable=True)
    documentation: Mapped[str | None] = mapped_column(Text, nullable=True)
    form: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    result: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The case it shows ([{name, label, value}]) as it was when the ticket opened (engine.work.case).
    case_fields: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    # Projections of case_fields kept by :func:`_copy_inbox_keys`: the values as lower-case text
    # for the inbox's ``q`` (trigram-indexed on PostgreSQL), and each field's sort key.
    case_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    case_keys: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Delegation, Camunda style: the owner keeps the ticket while the assignee (delegate) works it.
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    delegation_state: Mapped[str | None] = mapped_column(String(20), nullable=True)  # pending, resolved
    # Set on approval tasks (extension property ``approval``): decided with approve/reject.
    approval_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # SLA: allowed time (working seconds with a calendar), when 75% of it is used up, pauses.
    calendar: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sla_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    candidates: Mapped[list["TicketCandidate"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TicketCandidate.name"
    )

    @property
    def candidate_users(self) -> list[str]:
        return [c.name for c in self.candidates if c.kind == "user"]

    @property
    def candidate_groups(self) -> list[str]:
        return [c.name for c in self.candidates if c.kind == "group"]

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.version}"'


class TicketCandidate(TenantOwned, Base):
    """Who may work a ticket: a user or a group. A table, so the inbox filter is an index.

    It repeats the ticket's status and sort keys (kept equal by :func:`_copy_inbox_keys`), so "open
    tickets of group G by due date" is one range of one index, whatever the group's history.
    """

    __tablename__ = "ticket_candidates"
    __table_args__ = (
        # The tenant leads: every inbox read is scoped to one, and stays one range of one index.
        Index("ix_ticket_candidates_tenant_kind_name_status_due_at",
              "tenant_id", "kind", "name", "status", "due_at", "ticket_id"),
        Index("ix_ticket_candidates_tenant_kind_name_status_priority",
              "tenant_id", "kind", "name", "status", "priority", "ticket_id"),
        Index("ix_ticket_candidates_tenant_kind_name_status_created_at",
              "tenant_id", "kind", "name", "status", "created_at", "ticket_id"),
    )

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Copies of the ticket's columns of the same name.
    status: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


INBOX_KEYS = ("status", "due_at", "priority", "created_at")
# Numbers sort by value within this magnitude; beyond it they sort as its bound.
_NUMBER_BOUND = Decimal(10) ** 20


def case_text_of(fields: list | None) -> str | None:
    """The case values a text search matches: lower-case, one a line (objects and lists left out)."""
    values = [str(f.get("value")).lower() for f in fields or ()
              if isinstance(f.get("value"), (str, int, float)) and not isinstance(f.get("value"), bool)]
    return "\n".join(values) or None


def case_sort_key(value) -> str | None:
    """A text that sorts as ``value`` does, whatever the database's JSON and collation: numbers by
    value (``n``egative, then ``p``ositive, fixed width), then text case-insensitively (``s``);
    booleans first (``b``). None (no value, or an object or list) sorts last."""
    if isinstance(value, bool):
        return f"b{int(value)}"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        number = max(-_NUMBER_BOUND + 1, min(_NUMBER_BOUND - 1, Decimal(repr(value))))
        sign, number = ("n", number + _NUMBER_BOUND) if number < 0 else ("p", number)
        return f"{sign}{number:028.6f}"
    if isinstance(value, str):
        return "s" + value.casefold()[:200]
    return None


def case_keys_of(fields: list | None) -> dict | None:
    keys = {f["name"]: key for f in fields or () if (key := case_sort_key(f.get("value"))) is not None}
    return keys or None


@event.listens_for(Session, "before_flush")
def _copy_inbox_keys(session: Session, flush_context, instances) -> None:
    """Every write of a ticket goes through a flush: copy its inbox keys onto its candidates there,
    and project its case fields onto its own row."""
    for ticket in chain(session.new, session.dirty):
        if not isinstance(ticket, Ticket):
            continue
        # Column defaults apply only at INSERT; the candidates need the values now.
        if ticket.status is None:
            ticket.status = TicketStatus.OPEN.value
        if ticket.created_at is None:
            ticket.created_at = clock_of(session)
        if inspect(ticket).attrs.case_fields.history.has_changes():
            ticket.case_text, ticket.case_keys = case_text_of(ticket.case_fields), case_keys_of(ticket.case_fields)
        for candidate in ticket.candidates:
            for key in INBOX_KEYS:
                value = getattr(ticket, key)
                if getattr(candidate, key) != value:
                    setattr(candidate, key, value)
