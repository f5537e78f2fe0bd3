"""Assignment decisions (why a ticket went to whom) and the round-robin position per task."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, UTCDateTime, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .instance import Instance
    from .ticket import Ticket


class TicketAssignment(TenantOwned, Base):
    """One assignment of a ticket: the rule, the candidates weighed and the reason."""

    __tablename__ = "ticket_assignments"
    __table_args__ = (Index("ix_ticket_assignments_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    _ticket_first: Mapped["Ticket"] = written_after("Ticket")  # flush order only
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    # least_loaded, round_robin, manual (assign/transfer), delegated, resolved
    rule: Mapped[str] = mapped_column(String(30))
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    assigned_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # [{"name", "load", "last_active_at"}] for automatic rules; [] otherwise.
    candidates: Mapped[list] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentCursor(TenantOwned, Base):
    """Who got the last round-robin ticket of one task, so the next goes to the one after."""

    __tablename__ = "assignment_cursors"
    tenant_in_key = True

    process_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_assignee: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
