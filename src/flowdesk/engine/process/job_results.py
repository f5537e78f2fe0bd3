"""What happens when a worker reports back: resume the instance, retry, or open an incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ... import logs
from ...bpmn import ExecutionError, TaskNotReady
from ..access import signing, signing_keys
from ..models import Incident, Instance, Job, JobAttempt, JobKind, JobStatus
from ..store import audit, counters
from ..store.errors import Conflict, ExecutionFailed, NotFound, Unauthenticated
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM
from ..store.unit_of_work import UnitOfWork
from . import webhooks
from .cycle import execution_failed, restore, save
from .jobs import backoff

RETRYABLE_STATUS = {408, 425, 429}


@dataclass
class Outcome:
    """How one attempt ended, as the worker saw it."""

    kind: str  # "response" | "error" | "refused"
    status_code: int | None = None
    body: object = None
    message: str = ""
    retryable: bool = True

    @property
    def succeeded(self) -> bool:
        return self.kind == "response" and self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        if self.kind == "response":
            return self.message or f"action answered HTTP {self.status_code}"
        return self.message


def _error_code(job: Job, status_code: int | None) -> str | None:
    """The BPMN error an answer of ``status_code`` raises, if the model maps it to one.

    A code naming ``{status}`` (a SpiffArena connector's ``ServiceTaskHttpError{status}``) gets
    the status filled in, and is raised only once the retries of a status worth retrying are
    used up, as SpiffArena raises it after the connector's attempts.
    """
    errors = job.request.get("errors") or {}
    if status_code is None:
        return None
    code = errors.get(str(status_code)) or errors.get(f"{str(status_code)[0]}xx")
    if code and "{status}" in code:
        if _retryable_status(status_code) and job.attempts < job.max_attempts:
            return None
        code = code.replace("{status}", str(status_code))
    return code


def _retryable_status(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_STATUS


_ATTEMPTS = JobAttempt.__table__
# Built once: every report runs these, and building a statement costs more than running it.
_CLOSE_ATTEMPT = (
    _ATTEMPTS.update()
    .where(_ATTEMPTS.c.job_id == bindparam("job"), _ATTEMPTS.c.number == bindparam("attempt"),
           _ATTEMPTS.c.finished_at.is_(None))
    .values(outcome=bindparam("label"), status_code=bindparam("code"), finished_at=bindparam("now"),
            error=bindparam("message"))
    .returning(_ATTEMPTS.c.worker))
# One statement locks both rows. PostgreSQL takes a statement's row locks in the order of its
# FROM list, so the instance is locked before the job, as every other command does.
_LOCK_INSTANCE_AND_JOB = (select(Instance, Job).join(Job, Job.instance_id == Instance.id)
                          .where(Job.id == bindparam("job_id")).with_for_update()
                          .execution_options(populate_existing=True))
_LOCK_JOB = (select(Job).where(Job.id == bindparam("job_id")).with_for_update()
             .execution_options(populate_existing=True))


def _close_attempt(session: Session, job: Job, number: int, outcome: Outcome, label: str,
                   now: datetime) -> list[str | None]:
    """Record how attempt ``number`` ended, unless it ended already (one UPDATE, no read).

    Returns the worker of each attempt it closed (none when it had ended already), for
    :func:`_count_attempts` to count just before the commit.
    """
    return list(session.execute(_CLOSE_ATTEMPT, {
        "job": job.id, "attempt": number, "label": label, "code": outcome.status_code, "now": now,
        "message": None if outcome.succeeded else outcome.describe()[:2000]}).scalars())


def _count_attempts(session: Session, job: Job, workers: list[str | None], label: str) -> None:
    """Count the attempts just closed (the last write before the commit: the counter row stays
    locked until then, and other reports from the same host wait for it)."""
    for worker in workers:
        counters.increment(session, job.tenant_id, counters.JOB_ATTEMPTS,
                           {"host": worker or "unknown", "outcome": label})


def give_up(session: Session, job: Job, now: datetime, message: str, uow: UnitOfWork | None = None,
            element_id: str | None = None) -> None:
    """No more attempts: an action job becomes an incident, a webhook delivery failed."""
    job.finished_at, job.updated_at, job.lease_until = now, now, None
    if job.kind == JobKind.WEBHOOK.value:
        job.status = JobStatus.FAILED.value
        return
    job.status = JobStatus.INCIDENT.value
    _open_incident(session, job, now, message, uow, element_id)


def _open_incident(session: Session, job: Job, now: datetime, message: str, uow: UnitOfWork | None,
                   element_id: str | None = None) -> None:
    """An incident about ``job``, on ``element_id`` (the failing element) or else the job's own."""
    incident = Incident(instance_id=job.instance_id, element_id=element_id or job.element_id, job_id=job.id,
                        message=message[:2000], attempts=job.attempts, created_at=now)
    session.add(incident)
    session.flush()
    audit.record(session, "incident.created", None, instance_id=job.instance_id, job_id=job.id,
                 incident_id=incident.id, message=incident.message)
    if uow is not None:
        webhooks.emit(uow, "incident.created", {"incident_id": incident.id, "instance_id": job.instance_id,
                                                "element_id": incident.element_id, "message": incident.message})


def _retry_or_give_up(uow: UnitOfWork, job: Job, outcome: Outcome, now: datetime) -> None:
    job.last_error = outcome.describe()[:2000]
    if outcome.retryable and job.attempts < job.max_attempts:
        job.status, job.lease_until, job.enqueued_at = JobStatus.PENDING.value, None, None
        job.next_attempt_at = now + timedelta(seconds=backoff(job.attempts))
        job.updated_at = now
        return
    reason = job.last_error if not outcome.retryable else f"{job.last_error} (after {job.attempts} attempts)"
    give_up(uow.session, job, now, reason, uow)


def _resume_instance(rt: Runtime, uow: UnitOfWork, job: Job, instance: Instance, result) -> None:
    """Complete the job's task with the response and move the instance on.

    The action has answered: the job records its success whatever follows. When the step
    after it fails, nothing of that step is saved and an incident on the failing element
    keeps the answer; retrying the incident applies it again (:func:`apply_result`),
    it never calls the action again.
    """
    # Recorded first: the step's job projection must see it finished, not cancel it as moved on.
    job.status, job.result = JobStatus.SUCCEEDED.value, result if isinstance(result, (dict, list)) else None
    try:
        failure = apply_result(rt, uow, job, instance, result)
    except TaskNotReady:
        # The task stopped waiting (timer fired, cancelled): this late result changes nothing.
        job.status, job.result = JobStatus.CANCELLED.value, None
        return
    if failure is not None:
        _open_incident(uow.session, job, rt.clock(), f"the action answered, then {failure.detail}", uow,
                       failure.extra.get("element_id"))


def apply_result(rt: Runtime, uow: UnitOfWork, job: Job, instance: Instance, result) -> ExecutionFailed | None:
    """Complete the job's task with ``result`` and save the step; the failure (nothing saved) or None."""
    execution = restore(rt, uow.session, instance)
    try:
        execution.complete_action(job.task_id, result, job.request.get("result_variable"))
        save(rt, uow, instance, execution)
    except ExecutionError as exc:
        return execution_failed(exc)
    except ExecutionFailed as exc:
        return exc
    return None


def _throw(rt: Runtime, uow: UnitOfWork, job: Job, instance: Instance, code: str, outcome: Outcome) -> bool:
    execution = restore(rt, uow.session, instance)
    try:
        caught = execution.throw_error(job.task_id, code, {"status_code": outcome.status_code, "body": outcome.body})
        if caught:
            save(rt, uow, instance, execution)
    except TaskNotReady:
        job.status = JobStatus.CANCELLED.value
        return True
    except (ExecutionError, ExecutionFailed) as exc:
        # The action failed, so calling it again on a retry is right; nothing of the step was saved.
        failure = execution_failed(exc) if isinstance(exc, ExecutionError) else exc
        give_up(uow.session, job, rt.clock(), f"the action raised BPMN error '{code}', then {failure.detail}",
                uow, failure.extra.get("element_id"))
        return True
    if caught:
        job.status, job.last_error = JobStatus.FAILED.value, f"HTTP {outcome.status_code} raised BPMN error '{code}'"
    return caught


def _locked_job(uow: UnitOfWork, job_id: str) -> tuple[Job | None, Instance | None]:
    """Lock the job's instance first, then the job: the same order every command uses.

    An action job and its instance are locked by one statement; a job without an instance (a
    webhook delivery) by a second one. ``uow`` starts across tenants (a worker or callback
    knows only the job id) and acts for the job's tenant from here on. The caller keeps the
    instance: the session holds unchanged objects weakly, and a second read would cost a
    round trip.
    """
    row = uow.session.execute(_LOCK_INSTANCE_AND_JOB, {"job_id": job_id}).first()
    if row is not None:
        instance, job = row
    else:
        instance, job = None, uow.session.scalar(_LOCK_JOB, {"job_id": job_id})
        if job is None:
            return None, None
        if job.instance_id:
            raise NotFound(f"instance '{job.instance_id}' does not exist")
    if instance is not None:
        logs.instance_id.set(instance.id)
    uow.scope_to(job.tenant_id)
    return job, instance


def finish(rt: Runtime, job_id: str, attempt: int, outcome: Outcome) -> str:
    """Record how attempt ``attempt`` ended and act on it; returns the job's new status.

    A report for an attempt that is no longer the current one (the lease expired and another
    worker took over, or a callback already finished the task) changes nothing.
    """
    with rt.uow(SYSTEM) as uow:
        job, instance = _locked_job(uow, job_id)
        if job is None:
            return "missing"
        now = rt.clock()
        label = "succeeded" if outcome.succeeded else ("refused" if outcome.kind == "refused" else "failed")
        if job.status != JobStatus.RUNNING.value or job.attempts != attempt:
            closed = _close_attempt(uow.session, job, attempt, outcome, "late", now)
            _count_attempts(uow.session, job, closed, "late")
            uow.commit()
            return job.status
        closed = _close_attempt(uow.session, job, attempt, outcome, label, now)
        job.last_status_code, job.updated_at = outcome.status_code, now
        if outcome.succeeded:
            job.finished_at, job.lease_until = now, None
            if job.kind == JobKind.WEBHOOK.value:
                job.status = JobStatus.SUCCEEDED.value
            elif job.request.get("mode") == "async" and outcome.status_code == 202:
                job.status = JobStatus.WAITING.value
                job.finished_at = None
            else:
                _resume_instance(rt, uow, job, instance, outcome.body)
        elif outcome.kind == "response" and job.kind == JobKind.ACTION.value and \
                (code := _error_code(job, outcome.status_code)) and _throw(rt, uow, job, instance, code, outcome):
            job.finished_at, job.lease_until = now, None
        else:
            if outcome.kind == "response":
                status = outcome.status_code or 0
                outcome.retryable = _retryable_status(status)
                detail = outcome.message or (str(outcome.body)[:300] if outcome.body is not None else "")
                outcome.message = f"action answered HTTP {status}" + (f": {detail}" if detail else "")
            _retry_or_give_up(uow, job, outcome, now)
        audit.record(uow.session, "job.attempted", None, instance_id=job.instance_id, job_id=job.id,
                     attempt=attempt, outcome=label, status_code=outcome.status_code)
        _count_attempts(uow.session, job, closed, label)
        uow.commit()
        return job.status


def _token_matches(rt: Runtime, job_id: str, token: str) -> bool:
    """Whether ``token`` was minted for ``job_id`` with its tenant's callback key (current or,
    while a rotation overlaps, previous): another tenant's key never opens the job."""
    with rt.uow(SYSTEM) as uow:
        tenant_id = uow.session.scalar(select(Job.tenant_id).where(Job.id == job_id))
    if tenant_id is None:
        return False
    return any(signing.check_token(key, "job-callback", job_id, token)
               for key in signing_keys.keys_for(rt, tenant_id, signing_keys.JOB_CALLBACK))


def callback(rt: Runtime, job_id: str, token: str | None, result) -> Job:
    """An async action reports its result: complete the waiting task (once)."""
    if not token or not _token_matches(rt, job_id, token):
        raise Unauthenticated("the callback token is missing or does not match this job")
    with rt.uow(SYSTEM) as uow:
        job, instance = _locked_job(uow, job_id)
        if job is None or instance is None or job.kind != JobKind.ACTION.value:
            raise NotFound(f"job '{job_id}' does not exist")
        if job.status not in (JobStatus.WAITING.value, JobStatus.RUNNING.value):
            raise Conflict(f"job '{job_id}' is {job.status}; it takes no callback", job_status=job.status)
        now = rt.clock()
        job.finished_at, job.updated_at, job.lease_until = now, now, None
        _resume_instance(rt, uow, job, instance, result)
        audit.record(uow.session, "job.callback", None, instance_id=job.instance_id, job_id=job.id)
        uow.commit()
        return job


def hand_back(rt: Runtime, job_id: str, attempt: int, reason: str) -> bool:
    """The worker is stopping before attempt ``attempt`` could finish: give the job back now.

    The attempt is closed as ``interrupted`` and the job is pending again at once, so another
    worker takes it without waiting for the lease to expire. An interruption is not the
    action's fault, so it does not use up a retry. False when the attempt already ended.
    """
    with rt.uow(SYSTEM) as uow:
        job, _instance = _locked_job(uow, job_id)
        if job is None or job.status != JobStatus.RUNNING.value or job.attempts != attempt:
            return False
        now = rt.clock()
        closed = _close_attempt(uow.session, job, attempt, Outcome("error", message=reason), "interrupted", now)
        job.status, job.lease_until, job.enqueued_at = JobStatus.PENDING.value, None, None
        job.next_attempt_at, job.updated_at = now, now
        job.max_attempts += 1
        audit.record(uow.session, "job.handed_back", None, instance_id=job.instance_id, job_id=job.id,
                     attempt=attempt, reason=reason)
        _count_attempts(uow.session, job, closed, "interrupted")
        uow.commit()
        return True
