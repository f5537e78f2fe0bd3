"""Inbox filters a user saved under a name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, JSONType, UTCDateTime, new_id, utcnow


class SavedFilter(TenantOwned, Base):
    __tablename__ = "saved_filters"
    # No foreign key to users: a user signed in with an identity provider's token has no row there.
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict] = mapped_column(JSONType, default=dict)  # GET /tickets parameters
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
