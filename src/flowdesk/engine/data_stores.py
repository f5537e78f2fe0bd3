"""BPMN data stores in the database: the :class:`~flowdesk.bpmn.data_stores.DataStorePort` of a
unit of work (so a store write commits or rolls back with the step that made it), and what
operators do with stores over the API: list, read, seed or replace, delete."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from . import audit, tenancy
from .errors import InvalidInput, NotFound
from .models import DataStore
from .models.base import clock_of
from .principal import Principal, Role

if TYPE_CHECKING:  # the runtime's unit of work binds this module's port: no import cycle at run time
    from .runtime import Runtime

_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# A data store is named by its BPMN id (an XML NCName; the colon is left out).
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$")


class DatabaseDataStores:
    """Named JSON stores of one tenant, read and written in ``session``'s transaction."""

    def __init__(self, session: Session, tenant_id: str | None = None):
        self.session = session
        self._tenant_id = tenant_id

    @property
    def tenant_id(self) -> str:
        """The given tenant, else the one the unit of work acts for now (it may change by scope_to)."""
        return self._tenant_id or tenancy.scope_of(self.session)

    def read(self, name: str) -> Any:
        """The store's value, or None when nothing was written to it yet."""
        # The column, not the entity: a value written earlier in this transaction is what counts.
        return self.session.execute(select(DataStore.value).where(
            DataStore.tenant_id == self.tenant_id, DataStore.name == name)).scalar_one_or_none()

    def write(self, name: str, value: Any) -> None:
        """Replace the store's value (an upsert: two first writes at once do not collide)."""
        now = clock_of(self.session)  # the runtime's clock, as for every other row
        insert = _UPSERT[self.session.get_bind().dialect.name]
        statement = insert(DataStore).values(tenant_id=self.tenant_id, name=name, value=value,
                                             created_at=now, updated_at=now)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=[DataStore.tenant_id, DataStore.name],
            set_={"value": statement.excluded.value, "updated_at": now}))

    def values(self) -> dict[str, Any]:
        """Every store of the tenant by name."""
        rows = self.session.execute(select(DataStore.name, DataStore.value)
                                    .where(DataStore.tenant_id == self.tenant_id).order_by(DataStore.name))
        return {name: value for name, value in rows}


def _checked_name(name: str) -> str:
    if not NAME.match(name):
        message = ("not a data store name (the dataStore id of a model: a letter or '_', then letters, "
                   "digits, '_', '.', '-')")
        raise InvalidInput(f"'{name}' is {message}", errors={"name": [message]})
    return name


def list_data_stores(rt: Runtime, principal: Principal) -> list[DataStore]:
    """Every data store of the tenant (admins and modelers: stores hold business data)."""
    principal.require(Role.ADMIN, Role.MODELER, action="read data stores")
    with rt.uow() as uow:
        return list(uow.session.scalars(select(DataStore)
                                        .order_by(DataStore.name)))


def get_data_store(rt: Runtime, principal: Principal, name: str) -> DataStore:
    principal.require(Role.ADMIN, Role.MODELER, action="read data stores")
    with rt.uow() as uow:
        row = uow.session.get(DataStore, tenancy.key(uow.session, name=name))
        if row is None:
            raise NotFound(f"data store '{name}' does not exist (nothing was written to it)")
        return row


def put_data_store(rt: Runtime, principal: Principal, name: str, value: Any) -> tuple[DataStore, bool]:
    """Seed or replace a store's value (admins); True when the store is new."""
    principal.require(Role.ADMIN, action="write data stores")
    _checked_name(name)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a data store holds a JSON value: {exc}", errors={"value": [str(exc)]}) from None
    with rt.uow() as uow:
        created = uow.session.get(DataStore, tenancy.key(uow.session, name=name)) is None
        DatabaseDataStores(uow.session).write(name, value)
        audit.record(uow.session, "data_store.saved", principal.name, data_store=name, created=created)
        uow.commit()
    with rt.uow() as uow:
        return uow.session.get(DataStore, tenancy.key(uow.session, name=name)), created


def delete_data_store(rt: Runtime, principal: Principal, name: str) -> None:
    """Empty a store (admins): the next instance that reads it gets None."""
    principal.require(Role.ADMIN, action="write data stores")
    with rt.uow() as uow:
        removed = uow.session.execute(delete(DataStore).where(DataStore.name == name)).rowcount
        if not removed:
            raise NotFound(f"data store '{name}' does not exist (nothing was written to it)")
        audit.record(uow.session, "data_store.deleted", principal.name, data_store=name)
        uow.commit()
