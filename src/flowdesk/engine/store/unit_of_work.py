"""The unit of work: one transaction per command, and the only place that commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ...bpmn import data_stores
from ..models.base import utcnow
from . import database, tenancy
from .data_store_port import DatabaseDataStores
from .errors import Conflict
from .read_cache import ReadCache

log = logging.getLogger(__name__)


class UnitOfWork:
    """``with runtime.uow() as uow: ...; uow.commit()`` — leaving without commit rolls back.

    Work that must only happen once the transaction is durable (enqueuing a job, waking a
    worker) is registered with :meth:`after_commit`. It reads and writes the rows of one
    tenant: ``tenant``, else the one the caller acts for (:func:`tenancy.acting_for`). BPMN
    data stores read and write through this transaction (and tenant) while it is open.
    """

    def __init__(self, session_factory: sessionmaker[Session], queue=None, tenant: str | None = None,
                 clock: Callable[[], datetime] = utcnow, reads: ReadCache | None = None, secret_box=None):
        self._session_factory = session_factory
        # Seals what must not rest in plain text in a row this transaction writes (job credentials).
        self.secret_box = secret_box
        # Rows kept across transactions (see read_cache); a bare unit of work keeps nothing.
        self.reads = reads or ReadCache()
        self._queue = queue
        self._tenant = tenant
        self._clock = clock
        self.session: Session
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self.session.info["clock"] = self._clock
        tenancy.set_scope(self.session, self._tenant or tenancy.current())
        self._after_commit = []
        self._data_stores = data_stores.bind(DatabaseDataStores(self.session))
        return self

    @property
    def tenant(self) -> str:
        """The tenant this unit of work acts for (:data:`tenancy.SYSTEM`: claiming across tenants)."""
        return tenancy.scope_of(self.session)

    def scope_to(self, tenant_id: str) -> None:
        """Act for ``tenant_id`` from here on: a round that claimed a row across tenants handles it."""
        # Rows added so far were stamped with the tenant they were added for: no flush needed.
        tenancy.set_scope(self.session, tenant_id)

    def __exit__(self, *exc_info) -> None:
        data_stores.unbind(self._data_stores)
        # close() rolls back anything uncommitted but, unlike rollback(), leaves loaded
        # objects readable, so handlers can return what they read.
        self.session.close()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def enqueue_after_commit(self, job_id: str) -> None:
        """Hand ``job_id`` to the queue once its row is durable (the outbox pattern)."""
        if self._queue is not None:
            self._after_commit.append(lambda: _enqueue(self._queue, job_id))

    def commit(self) -> None:
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            if not _is_unique_violation(exc):
                raise  # a NOT NULL or foreign key violation is a bug, not a race: let it show
            raise Conflict("the change conflicts with a concurrent one; retry the request") from exc
        except OperationalError as exc:
            self.session.rollback()
            if database.is_unavailable(exc):
                raise  # busy past the wait, storage full or away: 503, retry later
            if "deadlock" in str(exc).lower():
                raise Conflict("the database was busy with a concurrent change; retry the request") from exc
            raise
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


def _is_unique_violation(exc: IntegrityError) -> bool:
    """Two requests inserted the same key at once (PostgreSQL 23505, SQLite UNIQUE)."""
    code = getattr(exc.orig, "pgcode", None)
    if code is not None:
        return code == "23505"
    return "UNIQUE constraint failed" in str(exc.orig)


def _enqueue(queue, job_id: str) -> None:
    # The row is committed; if the queue is down the dispatcher enqueues it later.
    try:
        queue.enqueue(job_id)
    except Exception:  # noqa: BLE001 - a lost enqueue is recovered, never fatal to the command
        log.warning("could not enqueue job %s; the dispatcher will retry", job_id, exc_info=True)
