"""Ticket progressions: the immutable timeline of everything done to a ticket."""

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


class TicketProgression(TenantOwned, Base):
    """One step of a ticket: who did what, and the status before and after."""

    __tablename__ = "ticket_progressions"
    __table_args__ = (
        Index("ix_ticket_progressions_ticket_id_id", "ticket_id", "id"),
        Index("ix_ticket_progressions_instance_id_id", "instance_id", "id"),
        Index("ix_ticket_progressions_created_at", "created_at"),  # retention cleanup
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    _ticket_first: Mapped["Ticket"] = written_after("Ticket")  # flush order only
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    action: Mapped[str] = mapped_column(String(50))
    performed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    new_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # ``metadata`` is reserved on declarative classes, so the attribute has another name.
    details: Mapped[dict] = mapped_column("metadata", JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
