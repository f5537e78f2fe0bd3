"""Tenant isolation in the data layer, so no view or handler filters by tenant by hand.

Every unit of work runs for one tenant (the caller's, from :func:`acting_for`, the default
tenant otherwise). A ``do_orm_execute`` hook adds ``tenant_id = <tenant>`` to every ORM
select, update and delete touching a :class:`TenantOwned` model, and new rows are stamped with
the tenant when they are added to the session (so one transaction can write rows of several
tenants in turn without flushing in between). Core statements on a ``Table`` are not ORM
statements and are not scoped: the few hot ones key their rows by id or name the tenant.
Background rounds that must see every tenant (the scheduler, the dispatcher) open their unit
of work with :data:`SYSTEM`, claim rows, and then act for each row's tenant in turn
(:meth:`~flowdesk.engine.store.unit_of_work.UnitOfWork.scope_to`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import bindparam, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from ..models import DEFAULT_TENANT, TenantOwned

# Not a valid tenant id: the scope of rounds that claim work across tenants.
SYSTEM = "*"
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

_acting_for: ContextVar[str] = ContextVar("flowdesk_tenant", default=DEFAULT_TENANT)


def current() -> str:
    """The tenant new units of work run for in this thread or task."""
    return _acting_for.get()


@contextmanager
def acting_for(tenant_id: str) -> Iterator[None]:
    """Run the units of work opened inside the block for ``tenant_id``."""
    token = _acting_for.set(tenant_id)
    try:
        yield
    finally:
        _acting_for.reset(token)


def begin_acting_for(tenant_id: str):
    """Like :func:`acting_for` across callbacks (a request): returns the token for :func:`end_acting`."""
    return _acting_for.set(tenant_id)


def end_acting(token) -> None:
    _acting_for.reset(token)


def scope_of(session: Session) -> str:
    """The tenant ``session`` reads and writes for (:data:`SYSTEM`: all of them)."""
    return session.info.get("tenant", DEFAULT_TENANT)


def set_scope(session: Session, tenant_id: str) -> None:
    session.info["tenant"] = tenant_id


def key(session: Session, **columns) -> dict:
    """The primary key of a row keyed by name within the session's tenant (for ``session.get``)."""
    return {"tenant_id": scope_of(session), **columns}


def install(factory: sessionmaker[Session]) -> None:
    """Enforce tenant scopes on every session ``factory`` makes."""
    event.listen(factory, "do_orm_execute", _scope_statement)
    event.listen(factory, "transient_to_pending", _stamp_added_row)
    event.listen(factory, "before_flush", _check_new_rows)


# One criteria option for every tenant: the tenant travels as a bound parameter of the
# execution. A new option (and lambda) per statement cost ~0.1 ms of CPU each time.
_TENANT_PARAMETER = "flowdesk_tenant"
_TENANT_CRITERIA = with_loader_criteria(
    # The name is written out: a lambda criteria tracks the globals it reads as parameters.
    TenantOwned, lambda cls: cls.tenant_id == bindparam("flowdesk_tenant"), include_aliases=True)


def _scope_statement(state: ORMExecuteState) -> None:
    tenant = scope_of(state.session)
    if tenant == SYSTEM or not state.is_orm_statement:
        return  # a Core statement ignores the option: adding it only rebuilt its cache key
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(_TENANT_CRITERIA)
    parameters = state.parameters
    if isinstance(parameters, list):  # executemany: every set of parameters needs it
        state.parameters = [{**each, _TENANT_PARAMETER: tenant} for each in parameters]
    else:
        state.parameters = {**(parameters or {}), _TENANT_PARAMETER: tenant}


def _stamp_added_row(session: Session, row) -> None:
    """A row added (or cascaded) into the session belongs to the tenant in scope at that moment."""
    if not isinstance(row, TenantOwned):
        return
    tenant = scope_of(session)
    if tenant == SYSTEM:
        return  # claimed across tenants: it must name its tenant by the flush
    if row.tenant_id is None:
        row.tenant_id = tenant
    elif row.tenant_id != tenant:
        raise RuntimeError(f"a {type(row).__name__} row of tenant '{row.tenant_id}' "
                           f"was written in the scope of tenant '{tenant}'")


def _check_new_rows(session: Session, _flush_context, _instances) -> None:
    tenant = scope_of(session)
    for row in session.new:
        if isinstance(row, TenantOwned) and row.tenant_id is None:
            if tenant == SYSTEM:
                raise RuntimeError(f"a new {type(row).__name__} row was written outside any tenant's scope")
            row.tenant_id = tenant
