"""What instances wait for besides people and workers: message and signal catches."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, UTCDateTime, utcnow, written_after
from .tenant import TenantOwned

if TYPE_CHECKING:  # the flush-order links name these
    from .instance import Instance


class EventSubscription(TenantOwned, Base):
    """A projection row: instance X can catch message/signal ``name`` (with these correlations)."""

    __tablename__ = "event_subscriptions"
    __table_args__ = (Index("ix_event_subscriptions_kind_name", "kind", "name", "business_key"),
                      Index("ix_event_subscriptions_instance_id", "instance_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    _instance_first: Mapped["Instance"] = written_after("Instance")  # flush order only
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    element_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    business_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    correlations: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
