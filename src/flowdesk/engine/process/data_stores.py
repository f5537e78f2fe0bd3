"""What operators do with BPMN data stores over the API: list, read, seed or replace, delete
(the workflow reaches them through :mod:`.data_store_port`)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import delete, select

from ..access.principal import Principal, Role
from ..models import DataStore
from ..store import audit, paging, tenancy
from ..store.data_store_port import DatabaseDataStores
from ..store.errors import InvalidInput, NotFound
from ..store.runtime import Runtime


# A data store is named by its BPMN id (an XML NCName; the colon is left out).
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$")


def _checked_name(name: str) -> str:
    if not NAME.match(name):
        message = ("not a data store name (the dataStore id of a model: a letter or '_', then letters, "
                   "digits, '_', '.', '-')")
        raise InvalidInput(f"'{name}' is {message}", errors={"name": [message]})
    return name


def list_data_stores(rt: Runtime, principal: Principal, after: str | None = None,
                     limit: int | None = None) -> paging.Page:
    """A page of the tenant's data stores, by name (admins and modelers: stores hold business data)."""
    principal.require(Role.ADMIN, Role.MODELER, action="read data stores")
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        query = paging.apply_by_name(select(DataStore), DataStore.name, after, limit)
        return paging.page_by_name(list(uow.session.scalars(query)), limit)


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
