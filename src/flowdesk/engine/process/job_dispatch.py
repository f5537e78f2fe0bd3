"""The dispatcher's round: due retries, jobs whose enqueue was lost, and jobs whose worker died."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import Instance, InstanceStatus, Job, JobAttempt, JobKind, JobStatus
from ..store import counters
from ..store.claims import nothing_to_claim
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM
from .job_results import give_up


def dispatch_due(rt: Runtime, limit: int = 100) -> list[str]:
    """Enqueue due retries, jobs whose enqueue was lost and jobs whose worker died.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several dispatchers never hand out
    the same job twice in one round. Returns the ids to enqueue (after this commit).
    """
    now = rt.clock()
    stale = now - timedelta(seconds=rt.requeue_after)
    due = or_(
        and_(Job.status == JobStatus.PENDING.value, Job.next_attempt_at <= now,
             or_(Job.enqueued_at.is_(None), Job.enqueued_at <= stale, Job.enqueued_at < Job.next_attempt_at)),
        and_(Job.status == JobStatus.RUNNING.value, Job.lease_until < now),
    )
    # A suspended instance's calls wait; webhook deliveries about it still go out.
    held = select(Instance.id).where(Instance.status == InstanceStatus.SUSPENDED.value)
    not_held = or_(Job.kind != JobKind.ACTION.value, Job.instance_id.not_in(held))
    if nothing_to_claim(rt, select(Job).where(due, not_held)):
        return []
    with rt.uow(SYSTEM) as uow:
        jobs = list(uow.session.scalars(
            select(Job).where(due, not_held).order_by(Job.next_attempt_at).limit(limit)
            .with_for_update(skip_locked=True)))
        ids, lost = [], Counter()
        for job in jobs:
            if job.status == JobStatus.RUNNING.value:
                uow.scope_to(job.tenant_id)  # a lost attempt may open an incident: the job's tenant's
                worker = _lease_expired(uow.session, job, now)
                uow.scope_to(SYSTEM)
                if worker is not None:
                    lost[(job.tenant_id, (("host", worker), ("outcome", "lost")))] += 1
                if job.status != JobStatus.PENDING.value:
                    continue
            job.enqueued_at, job.updated_at = now, now
            ids.append(job.id)
            uow.enqueue_after_commit(job.id)
        counters.increment_all(uow.session, counters.JOB_ATTEMPTS, lost)
        uow.commit()
    return ids


def _lease_expired(session: Session, job: Job, now: datetime) -> str | None:
    """The worker holding the job vanished (killed, crashed): the attempt counts as failed.

    Returns the host of the attempt it closed as lost, for the caller to count (None: none).

    The last attempt opens an incident, which needs the instance. Every command locks the
    instance before its job, and the dispatcher already holds the job: so it only tries the
    instance (``SKIP LOCKED``), and while a command holds it (say, the worker reporting late
    after all) leaves the job for a later round instead of waiting in a deadlock.
    """
    if job.attempts >= job.max_attempts and job.instance_id is not None and session.scalar(
            select(Instance.id).where(Instance.id == job.instance_id).with_for_update(skip_locked=True)) is None:
        return None
    lost = None
    attempt = session.scalar(select(JobAttempt).where(JobAttempt.job_id == job.id, JobAttempt.number == job.attempts))
    if attempt is not None and attempt.finished_at is None:
        attempt.outcome, attempt.error, attempt.finished_at = "lost", "the worker stopped before reporting", now
        lost = attempt.worker or "unknown"
    job.last_error = "the worker stopped before reporting a result"
    if job.attempts < job.max_attempts:
        job.status, job.next_attempt_at, job.lease_until = JobStatus.PENDING.value, now, None
    else:
        give_up(session, job, now, job.last_error)
    return lost
