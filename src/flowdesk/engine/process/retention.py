"""Retention: history past its time is removed in small batches, finished instances archived.

History is ticket progressions, assignment decisions, audit events, job attempts, webhook
deliveries (finished webhook jobs) and handled messages. Rows tied to an instance (a message:
the instance that threw it, else the one it was sent to) are kept as long as its process says
(the ``retention_days`` property of the process's latest version), the rest as long as
``FLOWDESK_RETENTION_DAYS``; ``0`` keeps them for good. Each batch deletes at most
``batch_size`` rows by primary key and commits, so the API never waits long for a lock.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, true, update

from ..models import (
    ACTIVE_JOB_STATUSES,
    AuditEvent,
    CompletedActivity,
    DefinitionVersion,
    IdempotencyRecord,
    Instance,
    InstanceStatus,
    Job,
    JobAttempt,
    JobKind,
    Message,
    MessageStatus,
    TicketAssignment,
    TicketProgression,
)
from ..models import Tenant
from ..store import tenancy
from ..store.runtime import Runtime

log = logging.getLogger(__name__)

FINISHED_INSTANCES = (InstanceStatus.COMPLETED.value, InstanceStatus.CANCELLED.value, InstanceStatus.FAILED.value)
HANDLED_MESSAGES = (MessageStatus.DELIVERED.value, MessageStatus.EXPIRED.value, MessageStatus.UNDELIVERED.value)
# The scheduler runs the cleanup at most this often, and gives it this many seconds a run
# (a large backlog is what `flowdesk cleanup` is for).
# Answers kept for Idempotency-Key retries (with their variables): a retry later than this runs again.
IDEMPOTENCY_WINDOW = timedelta(days=7)
SCHEDULED_EVERY = timedelta(hours=1)
SCHEDULED_BUDGET = 10.0
SCHEDULED_BATCH_SIZE = 500


@dataclass
class CleanupReport:
    """What a cleanup removed (or, in a dry run, would remove)."""

    dry_run: bool = False
    ticket_progressions: int = 0
    ticket_assignments: int = 0
    audit_events: int = 0
    completed_activities: int = 0
    job_attempts: int = 0
    webhook_deliveries: int = 0
    messages: int = 0
    idempotency_records: int = 0
    archived_instances: int = 0
    batches: int = 0  # transactions that deleted or archived something
    complete: bool = True  # False: the time budget ran out first; the next run goes on

    @property
    def total(self) -> int:
        return sum(v for k, v in asdict(self).items() if k not in ("dry_run", "batches", "complete"))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Group:
    """Rows older than ``cutoff`` whose instance's process matches (``keys`` None: every other one)."""

    cutoff: datetime
    keys: list[str] | None
    other_keys: list[str]

    def instances(self, instance_id):
        """Condition on an ``instance_id`` column: the row belongs to this group."""
        if self.keys is not None:
            return instance_id.in_(select(Instance.id).where(Instance.process_key.in_(self.keys)))
        if not self.other_keys:
            return true()
        return or_(instance_id.is_(None),
                   instance_id.not_in(select(Instance.id).where(Instance.process_key.in_(self.other_keys))))

    def processes(self, process_key):
        if self.keys is not None:
            return process_key.in_(self.keys)
        return process_key.not_in(self.other_keys) if self.other_keys else true()


def _groups(rt: Runtime, session, now: datetime) -> tuple[list[_Group], _Group | None]:
    """Per-process groups plus the global one (None when the global setting keeps everything)."""
    latest = (select(DefinitionVersion.process_key, func.max(DefinitionVersion.version).label("v"))
              .group_by(DefinitionVersion.process_key).subquery())
    rows = session.execute(select(DefinitionVersion.process_key, DefinitionVersion.retention_days).join(
        latest, (DefinitionVersion.process_key == latest.c.process_key) & (DefinitionVersion.version == latest.c.v),
    ).where(DefinitionVersion.retention_days.is_not(None))).all()
    by_days: dict[int, list[str]] = {}
    for key, days in rows:
        by_days.setdefault(days, []).append(key)
    overridden = sorted(key for key, _ in rows)
    groups = [_Group(now - timedelta(days=days), sorted(keys), overridden)
              for days, keys in sorted(by_days.items()) if days > 0]
    default = _Group(now - timedelta(days=rt.retention_days), None, overridden) if rt.retention_days > 0 else None
    return groups, default


def _history(group: _Group) -> list[tuple[str, object, object]]:
    """(report field, primary key column, condition) for every kind of history in ``group``."""
    finished_job = Job.status.not_in(ACTIVE_JOB_STATUSES)
    return [
        ("ticket_progressions", TicketProgression.id,
         (TicketProgression.created_at < group.cutoff) & group.instances(TicketProgression.instance_id)),
        ("ticket_assignments", TicketAssignment.id,
         (TicketAssignment.created_at < group.cutoff) & group.instances(TicketAssignment.instance_id)),
        ("audit_events", AuditEvent.id,
         (AuditEvent.created_at < group.cutoff) & group.instances(AuditEvent.instance_id)),
        ("completed_activities", CompletedActivity.id,
         (CompletedActivity.finished_at < group.cutoff) & group.instances(CompletedActivity.instance_id)),
        ("job_attempts", JobAttempt.id, (JobAttempt.started_at < group.cutoff) & JobAttempt.job_id.in_(
            select(Job.id).where(finished_job, group.instances(Job.instance_id)))),
        ("webhook_deliveries", Job.id, (Job.kind == JobKind.WEBHOOK.value) & finished_job
         & (Job.finished_at < group.cutoff) & group.instances(Job.instance_id)),
        ("messages", Message.id, Message.status.in_(HANDLED_MESSAGES) & (Message.created_at < group.cutoff)
         & group.instances(func.coalesce(Message.source_instance_id, Message.instance_id))),
    ]


class _Budget:
    def __init__(self, seconds: float | None):
        self.ends = None if seconds is None else time.monotonic() + seconds

    @property
    def spent(self) -> bool:
        return self.ends is not None and time.monotonic() >= self.ends


def cleanup(rt: Runtime, now: datetime, batch_size: int = 500, dry_run: bool = False,
            budget: float | None = None) -> CleanupReport:
    """Remove the history past retention and archive old finished instances, ``batch_size`` rows a transaction.

    ``dry_run`` only counts. ``budget`` (seconds) stops between batches once spent.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report, clock = CleanupReport(dry_run=dry_run), _Budget(budget)
    with rt.uow(tenancy.SYSTEM) as uow:
        tenants = list(uow.session.scalars(select(Tenant.id).order_by(Tenant.id)))
    # Per tenant: each has its own processes, with their own retention days, under the same keys.
    for tenant in tenants:
        with tenancy.acting_for(tenant):
            _cleanup_tenant(rt, report, clock, now, batch_size)
    return report


def _cleanup_tenant(rt: Runtime, report: CleanupReport, clock: _Budget, now: datetime, batch_size: int) -> None:
    with rt.uow() as uow:
        groups, default = _groups(rt, uow.session, now)
    for group in groups + ([default] if default else []):
        for name, pk, condition in _history(group):
            _purge(rt, report, name, pk, condition, batch_size, clock)
        _archive(rt, report, group, now, batch_size, clock)
    _purge(rt, report, "idempotency_records", IdempotencyRecord.id,
           IdempotencyRecord.created_at < now - IDEMPOTENCY_WINDOW, batch_size, clock)


def _in_batches(rt: Runtime, report: CleanupReport, clock: _Budget, batch_size: int, one_batch) -> int:
    """Run ``one_batch(session) -> rows`` in a transaction of its own until a batch comes back short."""
    done = 0
    while True:
        if clock.spent:
            report.complete = False
            return done
        with rt.uow() as uow:
            rows = one_batch(uow.session)
            if rows:
                uow.commit()
        if rows:
            report.batches += 1
        done += rows
        if rows < batch_size:
            return done


def _purge(rt: Runtime, report: CleanupReport, name: str, pk, condition, batch_size: int, clock: _Budget) -> None:
    table = pk.class_
    if report.dry_run:
        with rt.uow() as uow:
            found = uow.session.scalar(select(func.count()).select_from(table).where(condition))
    else:
        def one_batch(session) -> int:
            ids = list(session.scalars(select(pk).where(condition).order_by(pk).limit(batch_size)))
            if ids:
                session.execute(delete(table).where(pk.in_(ids)).execution_options(synchronize_session=False))
            return len(ids)
        found = _in_batches(rt, report, clock, batch_size, one_batch)
    setattr(report, name, getattr(report, name) + found)


def _archive(rt: Runtime, report: CleanupReport, group: _Group, now: datetime, batch_size: int,
             clock: _Budget) -> None:
    """Empty the state of finished instances older than retention; rows, variables and tickets stay."""
    condition = (Instance.status.in_(FINISHED_INSTANCES) & Instance.archived_at.is_(None)
                 & (Instance.completed_at < group.cutoff) & group.processes(Instance.process_key))
    if report.dry_run:
        with rt.uow() as uow:
            report.archived_instances += uow.session.scalar(select(func.count()).select_from(Instance).where(condition))
        return

    def one_batch(session) -> int:
        ids = list(session.scalars(select(Instance.id).where(condition).order_by(Instance.id)
                                   .limit(batch_size).with_for_update(skip_locked=True)))
        if ids:
            session.execute(update(Instance).where(Instance.id.in_(ids)).values(
                state={}, archived_at=now, updated_at=now, version=Instance.version + 1,
            ).execution_options(synchronize_session=False))
        return len(ids)
    report.archived_instances += _in_batches(rt, report, clock, batch_size, one_batch)


def cleanup_if_due(rt: Runtime) -> CleanupReport | None:
    """The scheduler's cleanup: at most once per :data:`SCHEDULED_EVERY` in this process, time-boxed."""
    now = rt.clock()
    if rt.last_cleanup_at is not None and now - rt.last_cleanup_at < SCHEDULED_EVERY:
        return None
    rt.last_cleanup_at = now
    try:
        report = cleanup(rt, now, SCHEDULED_BATCH_SIZE, budget=SCHEDULED_BUDGET)
    except Exception:  # noqa: BLE001 - a failed cleanup must not stop timers and messages
        log.exception("retention cleanup failed; it runs again in an hour")
        return None
    if report.total:
        log.info("retention cleanup", extra={"report": report.as_dict()})
    return report
