"""Requests: process instances a requester (customer) started from a request type."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .instance import Instance


class Request(TenantOwned, Base):
    """One per request; its id is its instance's id. "My requests" is one range of one index."""

    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_tenant_id_requester_created_at_id", "tenant_id", "requester", "created_at", "id"),)

    id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    requester: Mapped[str] = mapped_column(String(100))
    process_key: Mapped[str] = mapped_column(String(255))
    # What the requester's list shows and searches: the form's subject, else the request type's name.
    subject: Mapped[str] = mapped_column(String(255))
    # Its status in the model's words: the stage open now (a task's ``stage`` property or name),
    # or the end event it closed at. Kept here, so the list needs no workflow state.
    stage: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last time something the requester may see happened (a public comment, a stage change...).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
