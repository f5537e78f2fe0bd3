"""JSON-schema forms deployed alongside the models that reference them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, OrderedJSON, UTCDateTime, utcnow


class FormSchema(TenantOwned, Base):
    """The latest deployed content of one form file (``formJsonSchemaFilename`` / ``formKey``)."""

    __tablename__ = "form_schemas"
    tenant_in_key = True

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    schema: Mapped[dict] = mapped_column(OrderedJSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    deployed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
