"""Counters /metrics reports as Prometheus counters, kept apart from the history they count."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base
from .tenant import TenantOwned


class MetricCounter(TenantOwned, Base):
    """How often something happened, per tenant, counter and label set; it only grows.

    Retention deletes the rows a count could be read from (job attempts), so the count is kept
    here, incremented in the transaction that records the event.
    """

    __tablename__ = "metric_counters"
    tenant_in_key = True

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    labels: Mapped[str] = mapped_column(String(500), primary_key=True)  # canonical JSON of the label values
    value: Mapped[int] = mapped_column(BigInteger, default=0)
