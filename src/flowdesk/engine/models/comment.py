"""Comments on tickets; deleting one keeps its place in the list but drops its body."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, new_id, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .ticket import Ticket


class TicketComment(TenantOwned, Base):
    __tablename__ = "ticket_comments"
    __table_args__ = (Index("ix_ticket_comments_ticket_id_created_at", "ticket_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    _ticket_first: Mapped["Ticket"] = written_after("Ticket")  # flush order only
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None
