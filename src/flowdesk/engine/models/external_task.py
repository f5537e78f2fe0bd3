"""External tasks: service tasks waiting for a worker outside flowdesk to fetch and lock them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, new_id, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .instance import Instance


class ExternalTaskStatus(str, enum.Enum):
    AVAILABLE = "available"  # may be fetched (again, once retry_at has passed)
    LOCKED = "locked"  # a worker holds it until lock_expires_at
    COMPLETED = "completed"
    INCIDENT = "incident"  # the worker reported failure with no retries left
    CANCELLED = "cancelled"  # its task stopped waiting


ACTIVE_EXTERNAL_STATUSES = (ExternalTaskStatus.AVAILABLE.value, ExternalTaskStatus.LOCKED.value)
# Tasks a worker or an operator can still act on (Camunda lists these; finished ones are gone).
OPEN_EXTERNAL_STATUSES = ACTIVE_EXTERNAL_STATUSES + (ExternalTaskStatus.INCIDENT.value,)


class ExternalTask(TenantOwned, Base):
    __tablename__ = "external_tasks"
    __table_args__ = (
        Index("ix_external_tasks_topic_status", "topic", "status", "retry_at"),
        Index("ix_external_tasks_instance_id_status", "instance_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    process_key: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=ExternalTaskStatus.AVAILABLE.value)
    worker_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # camunda:taskPriority of its service task: fetches with usePriority take higher ones first.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_details: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
