"""Creating and listing tenants (the ``flowdesk tenants`` command)."""

from __future__ import annotations

from sqlalchemy import select

from ..models import Tenant
from ..store.errors import Conflict, InvalidInput, NotFound
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM, TENANT_ID


def create_tenant(rt: Runtime, tenant_id: str, name: str | None = None) -> Tenant:
    """A new tenant: ``tenant_id`` is a short lowercase slug (``acme``), ``name`` its display name."""
    if not TENANT_ID.match(tenant_id or ""):
        raise InvalidInput("invalid tenant id", {"id": ["1 to 64 of a-z, 0-9, '-', '_', starting with a letter or digit"]})
    with rt.uow(SYSTEM) as uow:
        if uow.session.get(Tenant, tenant_id) is not None:
            raise Conflict(f"tenant '{tenant_id}' already exists")
        tenant = Tenant(id=tenant_id, name=name or tenant_id)
        uow.session.add(tenant)
        uow.commit()
        return tenant


def list_tenants(rt: Runtime) -> list[Tenant]:
    with rt.uow(SYSTEM) as uow:
        return list(uow.session.scalars(select(Tenant).order_by(Tenant.id)))


def require_tenant(rt: Runtime, tenant_id: str) -> None:
    """Raise :class:`NotFound` unless ``tenant_id`` exists."""
    with rt.uow(SYSTEM) as uow:
        if uow.session.get(Tenant, tenant_id) is None:
            raise NotFound(f"tenant '{tenant_id}' does not exist")
