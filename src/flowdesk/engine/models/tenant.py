"""Tenants, and the mixin every row that belongs to one carries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .base import Base, UTCDateTime, utcnow

# The tenant of a single-tenant installation: every row belongs to it unless told otherwise.
DEFAULT_TENANT = "default"


class Tenant(Base):
    """A company that owns its users, definitions, instances and tickets."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its signing and callback keys are derived from the master key, the id and this generation
    # (see flowdesk.engine.access.signing_keys); the previous generation's stay valid until previous_key_until.
    signing_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    previous_key_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TenantOwned:
    """A row that belongs to one tenant: reads see only the current tenant's rows, and new
    rows get the current tenant stamped on them (see :mod:`flowdesk.engine.store.tenancy`).

    Rows keyed by a name (secrets, calendars...) set ``tenant_in_key``: the tenant becomes part
    of their primary key, so two tenants may each have a secret called ``token``.
    """

    tenant_in_key = False

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:  # noqa: N805 - declared_attr passes the class
        if cls.tenant_in_key:
            return mapped_column(String(64), ForeignKey("tenants.id"), primary_key=True,
                                 server_default=DEFAULT_TENANT)
        return mapped_column(String(64), ForeignKey("tenants.id"), index=True, server_default=DEFAULT_TENANT)
