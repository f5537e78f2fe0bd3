"""What every handler needs: the database, the spec cache, the clock and the job queue port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from . import schema
from .database import make_engine, make_session_factory
from .models.base import utcnow
from .spec_cache import SpecCache
from .unit_of_work import UnitOfWork


class JobQueue(Protocol):
    """The port through which the engine hands work to workers (RQ, or threads in embedded mode)."""

    def enqueue(self, job_id: str) -> None: ...


class NullQueue:
    """A queue that drops nothing because nothing is sent yet: the core loop has no jobs."""

    def enqueue(self, job_id: str) -> None:  # pragma: no cover - no job producers yet
        raise RuntimeError("no job queue configured")


class Runtime:
    """Created once per process (API, worker, scheduler) and shared by its threads."""

    def __init__(self, database_url: str, *, clock: Callable[[], datetime] = utcnow,
                 queue: JobQueue | None = None, max_upload_bytes: int = 2 * 1024 * 1024):
        self.database_url = database_url
        self.db = make_engine(database_url)
        self.session_factory = make_session_factory(self.db)
        self.specs = SpecCache()
        self.clock = clock
        self.queue: JobQueue = queue or NullQueue()
        self.max_upload_bytes = max_upload_bytes

    def uow(self) -> UnitOfWork:
        """A new unit of work; use it as ``with rt.uow() as uow: ... uow.commit()``."""
        return UnitOfWork(self.session_factory)

    def upgrade_schema(self) -> None:
        schema.upgrade(self.db)

    def close(self) -> None:
        self.db.dispose()
