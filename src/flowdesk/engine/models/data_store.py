"""BPMN data stores: one JSON value per store name and tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, UTCDateTime, utcnow
from .tenant import TenantOwned


class DataStore(TenantOwned, Base):
    """The value a BPMN ``dataStore`` of this name holds for one tenant."""

    __tablename__ = "data_stores"
    tenant_in_key = True  # each tenant has its own store of a name

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
