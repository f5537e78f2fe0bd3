"""The BPMN elements instances completed, one row each: history across instances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .tenant import TenantOwned


class CompletedActivity(TenantOwned, Base):
    """Written by the save that completed the element (append-only; retention removes old rows)."""

    __tablename__ = "completed_activities"
    __table_args__ = (
        Index("ix_completed_activities_process_key_finished_at_id", "process_key", "finished_at", "id"),
        Index("ix_completed_activities_finished_at_id", "finished_at", "id"),
        Index("ix_completed_activities_instance_id_id", "instance_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    process_key: Mapped[str] = mapped_column(String(255))
    process_version: Mapped[int] = mapped_column(Integer)
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    type: Mapped[str] = mapped_column(String(50))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
