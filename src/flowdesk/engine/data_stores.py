"""The database behind BPMN data stores: the :class:`~flowdesk.bpmn.data_stores.DataStorePort`
of a unit of work, so a store write commits or rolls back with the step that made it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import DEFAULT_TENANT, DataStore
from .models.base import utcnow


class DatabaseDataStores:
    """Named JSON stores of one tenant, read and written in ``session``'s transaction."""

    def __init__(self, session: Session, tenant_id: str = DEFAULT_TENANT):
        self.session = session
        self.tenant_id = tenant_id

    def _row(self, name: str, for_update: bool = False) -> DataStore | None:
        query = select(DataStore).where(DataStore.tenant_id == self.tenant_id, DataStore.name == name)
        # Writers of one store queue up on PostgreSQL; a concurrent first write is a 409 at commit.
        return self.session.scalar(query.with_for_update() if for_update else query)

    def read(self, name: str) -> Any:
        """The store's value, or None when nothing was written to it yet."""
        row = self._row(name)
        return None if row is None else row.value

    def write(self, name: str, value: Any) -> None:
        """Replace the store's value."""
        row = self._row(name, for_update=True)
        now = utcnow()
        if row is None:
            self.session.add(DataStore(tenant_id=self.tenant_id, name=name, value=value, created_at=now,
                                       updated_at=now))
        else:
            row.value = value
            row.updated_at = now
        self.session.flush()

    def values(self) -> dict[str, Any]:
        """Every store of the tenant by name."""
        rows = self.session.scalars(select(DataStore).where(DataStore.tenant_id == self.tenant_id)
                                    .order_by(DataStore.name))
        return {row.name: row.value for row in rows}
