"""Business-hours calendars that SLA durations count in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, JSONType, UTCDateTime, utcnow


class BusinessCalendar(TenantOwned, Base):
    __tablename__ = "business_calendars"
    tenant_in_key = True

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    working_days: Mapped[list] = mapped_column(JSONType)  # ISO weekdays, 1 = Monday
    hours: Mapped[list] = mapped_column(JSONType)  # ["09:00", "17:00"]
    holidays: Mapped[list] = mapped_column(JSONType, default=list)  # ["2026-12-25", ...]
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
