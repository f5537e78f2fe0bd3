"""Deployed process definitions: one row per (process key, version)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, JSONType, OrderedJSON, UTCDateTime, new_id, utcnow


class DefinitionVersion(TenantOwned, Base):
    """A process id at one content version, with its source XML and serialized spec."""

    __tablename__ = "definition_versions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "process_key", "version"),
        Index("ix_definition_versions_process_key_hash", "process_key", "content_hash"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    process_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[bytes] = mapped_column(LargeBinary)
    spec: Mapped[dict] = mapped_column(OrderedJSON)
    element_ids: Mapped[list] = mapped_column(JSONType, default=list)
    # Start events other than a plain one: {"messages": [...], "signals": [...], "timers": [...]}
    start_events: Mapped[dict | None] = mapped_column(JSONType, default=dict, nullable=True)
    # Processes called but deployed apart -> pinned version number, or None for "the latest".
    external_calls: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    deployed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Days its instances' history is kept (process property ``retention_days``); None: the global setting.
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
