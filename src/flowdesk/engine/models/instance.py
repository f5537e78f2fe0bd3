"""Process instances: one locked state row each."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, JSONType, OrderedJSON, UTCDateTime, new_id, utcnow


# The instance list's variable filter on PostgreSQL: a GIN index (jsonb_path_ops) on variables,
# made by migration 0021. An operator class is beyond what the models describe, so the schema
# check leaves this name out; SQLite scans.
VARIABLE_INDEXES = ("ix_instances_variables_path_ops",)


class InstanceStatus(str, enum.Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"  # nothing moves (tickets, jobs, timers) until it is resumed


class Instance(TenantOwned, Base):
    """The SpiffWorkflow state (spec stripped) plus what lists and filters need."""

    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_process_key_status", "process_key", "status", "created_at"),
        Index("ix_instances_business_key", "business_key"),
        Index("ix_instances_created_at_id", "created_at", "id"),
        Index("ix_instances_next_timer_at", "next_timer_at"),
        Index("ix_instances_status_completed_at", "status", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    definition_version_id: Mapped[str] = mapped_column(ForeignKey("definition_versions.id"))
    process_key: Mapped[str] = mapped_column(String(255))
    process_version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=InstanceStatus.RUNNING.value)
    state: Mapped[dict] = mapped_column(OrderedJSON)
    serializer_version: Mapped[str] = mapped_column(String(20))
    variables: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The names of the variables it was started with, in the order given: the default case panel.
    start_variables: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the earliest waiting timer is due: the scheduler's only question to this table.
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Separately deployed processes its call activities call: process id -> definition version
    # id, fixed when the instance starts so a later deploy never changes a running instance.
    called_versions: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    # Set when retention emptied the state of a finished instance; the row and its projections stay.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
