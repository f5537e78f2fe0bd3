"""The job outbox: writing jobs where the workflow waits, handing them out, re-enqueuing lost ones.

A job row is written in the same transaction that leaves a service task STARTED and is
enqueued only after that commit. Workers claim a job atomically (pending -> running), so
an enqueue that arrives twice runs once. The dispatcher re-enqueues what was lost.
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import Session

from ...bpmn import ActionCall, Execution
from ...bpmn.action import DEFAULT_TIMEOUT
from ..access import signing, signing_keys
from ..access.principal import Principal, Role
from ..models import ACTIVE_JOB_STATUSES, Instance, InstanceStatus, Job, JobAttempt, JobKind, JobStatus
from ..models.base import UTCDateTime, new_id
from ..store import audit
from ..store.errors import NotFound
from ..store.rows_at_hand import rows_at_hand
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM
from ..store.unit_of_work import UnitOfWork
from . import job_credentials
from .cycle import Step

LEASE_MARGIN = timedelta(seconds=30)
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0

# Statements are built once: building one and its cache key cost more than the database takes
# to run it. PostgreSQL claims with one (_CLAIM, below); SQLite with these three.
_READ_FOR_CLAIM = (
    select(Job.kind, Job.status, Job.attempts, Job.next_attempt_at, Job.request, Job.subscription_id,
           Job.tenant_id, Instance.status.label("instance_status"))
    .outerjoin(Instance, Instance.id == Job.instance_id)
    .where(Job.id == bindparam("job_id")).with_for_update(of=Job))
_MARK_RUNNING = (
    Job.__table__.update().where(Job.__table__.c.id == bindparam("job_id"))
    .values(status=JobStatus.RUNNING.value, attempts=bindparam("attempt"), updated_at=bindparam("now"),
            lease_until=bindparam("lease")))
_OPEN_ATTEMPT = JobAttempt.__table__.insert()


def _claim_in_one_statement():
    """PostgreSQL: mark the job running and open its attempt in one round trip.

    ``UPDATE ... WHERE status = 'pending'`` is the claim itself: a second worker blocks on the
    row lock, then finds the row running and gets nothing back. The attempt is written by a
    data-modifying CTE of the same statement, so there is no moment where one exists without
    the other. The lease is the call's timeout plus the margin, as on other databases.
    """
    jobs, attempts = Job.__table__, JobAttempt.__table__
    now = bindparam("now", type_=UTCDateTime())
    timeout = func.coalesce(func.nullif(jobs.c.request["timeout"].as_float(), 0), DEFAULT_TIMEOUT)
    suspended = exists().where(Instance.id == jobs.c.instance_id, Instance.status == InstanceStatus.SUSPENDED.value)
    claimed = (
        jobs.update()
        .where(jobs.c.id == bindparam("job_id"), jobs.c.status == JobStatus.PENDING.value,
               jobs.c.next_attempt_at <= bindparam("not_before", type_=UTCDateTime()),
               ~and_(jobs.c.kind == JobKind.ACTION.value, suspended))
        .values(status=JobStatus.RUNNING.value, attempts=jobs.c.attempts + 1, updated_at=now,
                lease_until=now + func.make_interval(0, 0, 0, 0, 0, 0, timeout + LEASE_MARGIN.total_seconds()))
        .returning(jobs.c.id, jobs.c.kind, jobs.c.attempts, jobs.c.request, jobs.c.subscription_id,
                   jobs.c.tenant_id)
        .cte("claimed"))
    opened = attempts.insert().from_select(
        ["job_id", "number", "worker", "started_at", "tenant_id"],
        select(claimed.c.id, claimed.c.attempts, bindparam("worker"), now, claimed.c.tenant_id)).cte("opened")
    return select(claimed).add_cte(opened)


_CLAIM = _claim_in_one_statement()


def _call_timeout(request: dict) -> float:
    """The call's timeout in seconds (the lease of ``_CLAIM`` computes the same in SQL)."""
    return float(request.get("timeout") or DEFAULT_TIMEOUT)


class _Claimed(NamedTuple):
    kind: str
    attempts: int  # this attempt's number
    request: dict
    subscription_id: str | None
    tenant_id: str | None


@dataclass
class ClaimedJob:
    """What a worker needs to make one attempt. Secrets are still unresolved references."""

    id: str
    kind: str
    attempt: int
    url: str
    method: str
    headers: dict[str, str]
    body: object
    timeout: float
    mode: str = "sync"
    subscription_id: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    tenant_id: str | None = None  # whose secrets the call may use
    result_shape: dict | None = None  # how the answer becomes the result (bpmn.connectors)


def worker_name() -> str:
    return socket.gethostname()


def backoff(attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1-based): exponential, capped, with jitter."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return delay * random.uniform(0.8, 1.2)


def sync_action_jobs(uow: UnitOfWork, instance: Instance, execution: Execution, pending: list[ActionCall],
                     now: datetime, may_have_rows: bool = True) -> list[Job]:
    """Write a job for each newly STARTED action task; cancel jobs whose task moved on.

    ``pending`` is ``execution.pending_actions()``, evaluated by the caller before it wrote
    anything. ``may_have_rows=False`` (the instance had no such task when loaded) skips the lookup.
    """
    session = uow.session
    calls = {call.task_id: call for call in pending}
    active = []
    if may_have_rows:
        active = rows_at_hand(session, Job, instance.id, execution.actions_when_loaded,
                              lambda job: job.status in ACTIVE_JOB_STATUSES,
                              belongs=lambda job: job.kind == JobKind.ACTION.value)
        if active is None:
            active = list(session.scalars(select(Job).where(
                Job.instance_id == instance.id, Job.kind == JobKind.ACTION.value,
                Job.status.in_(ACTIVE_JOB_STATUSES))))
    known = set()
    for job in active:
        if job.task_id in calls:
            known.add(job.task_id)
            continue
        job.status, job.finished_at, job.updated_at = JobStatus.CANCELLED.value, now, now
        audit.record(session, "job.cancelled", None, instance_id=instance.id, job_id=job.id,
                     reason="the task is no longer waiting")
    created = []
    for task_id, call in calls.items():
        if task_id in known:
            continue
        url, headers, body = job_credentials.seal_request(uow.secret_box, call.url, call.headers, call.body)
        job = Job(
            id=new_id(), kind=JobKind.ACTION.value, instance_id=instance.id, task_id=task_id,
            element_id=call.element_id,
            status=JobStatus.PENDING.value, attempts=0, max_attempts=call.retries + 1,
            request={"url": url, "method": call.method, "headers": headers, "body": body,
                     "timeout": call.timeout, "mode": call.mode, "result_variable": call.result_variable,
                     "errors": call.errors, "retries": call.retries, "result_shape": call.result_shape},
            next_attempt_at=now, enqueued_at=now, created_at=now, updated_at=now,
        )
        session.add(job)
        audit.record(session, "job.created", None, instance_id=instance.id, job_id=job.id, element_id=call.element_id)
        uow.enqueue_after_commit(job.id)
        created.append(job)
    return created


def project(uow: UnitOfWork, instance: Instance, execution: Execution, step: Step, now: datetime,
            loaded: frozenset) -> None:
    """The save cycle's action-job projection (``step.calls`` were derived before anything was written)."""
    sync_action_jobs(uow, instance, execution, step.calls, now, "action" in loaded)


def claim(rt: Runtime, job_id: str, worker: str | None = None) -> ClaimedJob | None:
    """Take a pending, due job for one attempt; None when it is not (duplicate or early enqueue)."""
    with rt.uow(SYSTEM) as uow:
        now = rt.clock()
        if uow.session.get_bind().dialect.name == "postgresql":
            row = uow.session.execute(_CLAIM, {"job_id": job_id, "now": now, "not_before": now + timedelta(seconds=1),
                                               "worker": worker or worker_name()}).first()
        else:
            row = _claim_in_three_statements(uow.session, job_id, now, worker)
        if row is None:
            return None
        uow.commit()
        request = row.request
        claimed = ClaimedJob(
            id=job_id, kind=row.kind, attempt=row.attempts, url=request["url"],
            method=request.get("method", "POST"), headers=dict(request.get("headers") or {}),
            body=request.get("body"), timeout=_call_timeout(request),
            mode=request.get("mode", "sync"), subscription_id=row.subscription_id, tenant_id=row.tenant_id,
            result_shape=request.get("result_shape"),
        )
        if row.kind == JobKind.ACTION.value and claimed.mode == "async":
            claimed.extra_headers = {
                "X-Flowdesk-Callback-Url": f"{rt.public_url}/api/v1/jobs/{job_id}/callback",
                "X-Flowdesk-Callback-Token": signing.token(
                    signing_keys.keys_for(rt, row.tenant_id, signing_keys.JOB_CALLBACK)[0], "job-callback", job_id),
            }
        return claimed


def _claim_in_three_statements(session: Session, job_id: str, now: datetime, worker: str | None):
    """Other databases: read and lock the job with its instance's status, mark it running, open
    the attempt. Returns the claimed row (``attempts`` already counting this one), or None."""
    row = session.execute(_READ_FOR_CLAIM, {"job_id": job_id}).first()
    if row is None or row.status != JobStatus.PENDING.value or row.next_attempt_at > now + timedelta(seconds=1):
        return None
    if row.kind == JobKind.ACTION.value and row.instance_status == InstanceStatus.SUSPENDED.value:
        return None  # resume() hands it out again
    attempt = row.attempts + 1
    session.execute(_MARK_RUNNING, {"job_id": job_id, "attempt": attempt, "now": now,
                                    "lease": now + timedelta(seconds=_call_timeout(row.request)) + LEASE_MARGIN})
    session.execute(_OPEN_ATTEMPT, {"job_id": job_id, "number": attempt, "worker": worker or worker_name(),
                                    "started_at": now, "tenant_id": row.tenant_id})
    return _Claimed(row.kind, attempt, row.request, row.subscription_id, row.tenant_id)


def get_job(rt: Runtime, principal: Principal, job_id: str) -> tuple[Job, list[JobAttempt]]:
    principal.require_reader(Role.SYSTEM, Role.MODELER, action="read jobs")
    with rt.uow() as uow:
        job = uow.session.get(Job, job_id)
        if job is None:
            raise NotFound(f"job '{job_id}' does not exist")
        attempts = list(uow.session.scalars(
            select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.number)))
        return job, attempts


def active_jobs(session: Session, instance_id: str) -> list[Job]:
    return list(session.scalars(select(Job).where(
        Job.instance_id == instance_id, Job.status.in_(ACTIVE_JOB_STATUSES)).order_by(Job.created_at, Job.id)))
