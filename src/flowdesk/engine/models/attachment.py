"""Files attached to tickets, and the table the default store keeps their bytes in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, new_id, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .ticket import Ticket


class TicketAttachment(TenantOwned, Base):
    """What is known about an uploaded file; its bytes live in an attachment store under ``storage_key``."""

    __tablename__ = "ticket_attachments"
    __table_args__ = (Index("ix_ticket_attachments_ticket_id_created_at", "ticket_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    _ticket_first: Mapped["Ticket"] = written_after("Ticket")  # flush order only
    filename: Mapped[str] = mapped_column(String(255))  # display name only, never a path
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    # Fit to show the requester (their own uploads, or the desk's marked public), like a public comment.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttachmentBlob(TenantOwned, Base):
    """Bytes of attachments for the database store (the default)."""

    __tablename__ = "attachment_blobs"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
