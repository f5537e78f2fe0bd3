"""Messages received over the API or thrown by processes, kept for idempotency and buffering."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, JSONType, UTCDateTime, new_id, utcnow


class MessageStatus(str, enum.Enum):
    PENDING = "pending"  # thrown by a process; the scheduler routes it
    DELIVERED = "delivered"  # caught by instances and/or started processes
    BUFFERED = "buffered"  # nobody waited yet; delivered when someone does, until expires_at
    EXPIRED = "expired"  # buffered past its time to live
    UNDELIVERED = "undelivered"  # thrown by a process, nobody caught it


class Message(TenantOwned, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A message id is the sender's: another sender cannot claim it first and swallow the message.
        Index("ix_messages_tenant_id_sender_message_id", "tenant_id", "sender", "message_id", unique=True),
        Index("ix_messages_status_name", "status", "name"),
        Index("ix_messages_status_created_at", "status", "created_at"),  # retention cleanup
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="message")
    name: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    correlation_keys: Mapped[dict] = mapped_column(JSONType, default=dict)
    variables: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20))
    delivered_to: Mapped[list] = mapped_column(JSONType, default=list)
    started: Mapped[list] = mapped_column(JSONType, default=list)
    sender: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The sender's process allow-list (None: any): a buffered message reaches only those processes.
    allowed_processes: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    source_instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
