"""Approval decisions: one row per decided approval ticket, kept after the instance ends."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, new_id, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .instance import Instance
    from .ticket import Ticket


class Approval(TenantOwned, Base):
    __tablename__ = "approvals"
    __table_args__ = (
        Index("ix_approvals_instance_id_created_at", "instance_id", "created_at"),
        Index("ix_approvals_instance_id_approver_level", "instance_id", "approver", "level"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    _ticket_first: Mapped["Ticket"] = written_after("Ticket")  # flush order only
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    element_id: Mapped[str] = mapped_column(String(255))
    level: Mapped[int] = mapped_column(Integer)
    approver: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(30))  # approved, rejected, changes_requested
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
