"""When the scheduler should next start an instance of a process with a timer start event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, UTCDateTime


class TimerStartSchedule(TenantOwned, Base):
    __tablename__ = "timer_start_schedules"
    tenant_in_key = True
    __table_args__ = (Index("ix_timer_start_schedules_next_at", "next_at"),)

    process_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    definition_version_id: Mapped[str] = mapped_column(String(36))
    reference_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
