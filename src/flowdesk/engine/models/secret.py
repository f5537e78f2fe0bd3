"""Named secrets for action URLs and headers, stored encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, LargeBinary, String, true
from sqlalchemy.orm import Mapped, mapped_column

from .tenant import TenantOwned
from .base import Base, UTCDateTime, utcnow


class Secret(TenantOwned, Base):
    __tablename__ = "secrets"
    tenant_in_key = True

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The tenant's allow-list: a model's action URL or header may use the secret only when set.
    models_may_use: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
