"""BPMN data stores in the database: the :class:`~flowdesk.bpmn.data_stores.DataStorePort` a
unit of work binds, so a store write commits or rolls back with the step that made it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import DataStore
from ..models.base import clock_of
from . import tenancy

_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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
