"""What every handler needs: the database, the spec cache, the clock and the job queue port."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ...bpmn import StepLimits
from ...bpmn.sandbox import pool as sandbox_pool
from ..models.base import utcnow
from . import added_rows, audit, changes, schema, tenancy
from .changes import ChangeFeed
from .database import DEFAULT_SQLITE_BUSY_TIMEOUT, make_engine, make_session_factory
from .external_task_waits import FetchableSignal
from .heartbeats import Heartbeats
from .keys import SecretBox, load_master_key
from .read_cache import ReadCache
from .spec_cache import SpecCache
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class JobQueue(Protocol):
    """The port through which the engine hands work to workers (RQ, or threads in embedded mode)."""

    def enqueue(self, job_id: str) -> None: ...

    def ping(self) -> None:
        """Raise if the queue cannot take jobs right now."""
        ...


class NullQueue:
    """No queue attached: jobs wait in the outbox until a dispatcher enqueues them."""

    def enqueue(self, job_id: str) -> None:
        return None

    def ping(self) -> None:
        return None


class Runtime:
    """Created once per process (API, worker, scheduler) and shared by its threads."""

    def __init__(self, database_url: str, *, clock: Callable[[], datetime] = utcnow,
                 queue: JobQueue | None = None, max_upload_bytes: int = 2 * 1024 * 1024,
                 master_key: bytes | None = None, action_allow_hosts: tuple[str, ...] = (),
                 public_url: str = "http://127.0.0.1:8000", requeue_after: float = 30.0,
                 max_attachment_bytes: int = 10 * 1024 * 1024, attachment_dir: str | None = None,
                 retention_days: int = 90, step_limits: StepLimits | None = None,
                 sqlite_busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT):
        self.database_url = database_url
        self.db = make_engine(database_url, sqlite_busy_timeout)
        self.session_factory = make_session_factory(self.db)
        tenancy.install(self.session_factory)
        added_rows.install(self.session_factory)
        audit.install(self.session_factory)
        # Wakes long-polling external task fetches of this process when a task becomes fetchable.
        self.fetchable = FetchableSignal()
        self.fetchable.install(self.session_factory)
        self.specs = SpecCache()
        # Keys, webhook subscriptions and latest versions, kept while a change feed tells this process about
        # changes made by the others (attach_change_feed); without one, nothing is kept.
        self.reads = ReadCache()
        self.change_feed: ChangeFeed | None = None
        changes.install(self.session_factory, self._committed)
        self.clock = clock
        self.queue: JobQueue = queue or NullQueue()
        self.max_upload_bytes = max_upload_bytes
        self.master_key = master_key or load_master_key(None)
        self.secret_box = SecretBox(self.master_key)
        self.action_allow_hosts = action_allow_hosts
        self.public_url = public_url.rstrip("/")
        # A pending job not picked up this long after its enqueue is enqueued again (lost
        # enqueue, Redis restarted empty); duplicates are harmless because claiming is atomic.
        self.requeue_after = requeue_after
        self.max_attachment_bytes = max_attachment_bytes
        # Attachment bytes go to files under this directory when set, else to the database.
        self.attachment_dir = attachment_dir
        # History older than this is removed and finished instances archived (0: keep everything).
        self.retention_days = retention_days
        # A sandbox process serves one tenant at a time: it learns whose code it runs from here.
        sandbox_pool.set_tenant_source(tenancy.current)
        # How deep call activities may nest and how long one command may step an instance.
        self.step_limits = step_limits or StepLimits()
        # When this process last ran the retention cleanup (the scheduler runs it hourly).
        self.last_cleanup_at: datetime | None = None
        # The long-running loops of this process (scheduler, dispatcher, worker), which /ready reports.
        self.heartbeats = Heartbeats()
        self._closers: list[Callable[[], None]] = []

    @classmethod
    def from_settings(cls, settings, **overrides) -> "Runtime":
        """The runtime an API, worker or scheduler process builds from its settings."""
        options = dict(
            max_upload_bytes=settings.max_upload_bytes,
            master_key=load_master_key(settings.secret_key),
            action_allow_hosts=settings.action_allow_hosts,
            public_url=settings.public_url,
            max_attachment_bytes=settings.max_attachment_bytes,
            attachment_dir=settings.attachment_dir,
            retention_days=settings.retention_days,
            step_limits=StepLimits(settings.max_call_depth, settings.step_budget_seconds),
            sqlite_busy_timeout=settings.sqlite_busy_timeout,
        )
        options.update(overrides)
        return cls(settings.database_url, **options)

    def uow(self, tenant: str | None = None) -> UnitOfWork:
        """A new unit of work; use it as ``with rt.uow() as uow: ... uow.commit()``.

        It acts for ``tenant`` (``tenancy.SYSTEM``: across tenants), by default for the tenant
        the caller acts for.
        """
        return UnitOfWork(self.session_factory, self.queue, tenant, self.clock, self.reads, self.secret_box)

    def attach_change_feed(self, feed: ChangeFeed, listen: bool = True) -> None:
        """Tell the other processes about changes to what they keep in their :attr:`reads` and,
        with ``listen``, hear about theirs (which turns this process's cache on)."""
        self.change_feed = feed
        if listen:
            feed.listen(self.reads.invalidate, self.reads.set_enabled)
        self.on_close(feed.close)

    def _committed(self, topics: set[str]) -> None:
        self.reads.invalidate(topics)
        if self.change_feed is not None:
            try:
                self.change_feed.publish(topics)
            except Exception:  # noqa: BLE001 - the change is committed; the others catch up within MAX_AGE
                log.warning("could not publish a change of %s to the other processes", sorted(topics), exc_info=True)

    def upgrade_schema(self) -> None:
        schema.upgrade(self.db)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (stop a background thread...) when the runtime closes."""
        self._closers.append(callback)

    def close(self) -> None:
        for callback in reversed(self._closers):
            callback()
        self._closers.clear()
        self.db.dispose()
