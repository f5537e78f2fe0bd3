"""Incidents: listing them, retrying what stopped (a job, an external task, a timer step, a delivery),
or closing them without a retry."""

from __future__ import annotations

from sqlalchemy import select

from ...bpmn import TaskNotReady
from ..access import audit_log
from ..access.principal import Principal, Role
from ..models import ExternalTask, ExternalTaskStatus, Incident, Job, JobStatus, Message, MessageStatus
from ..store import audit, paging
from ..store.errors import Conflict, InvalidInput, NotFound
from ..store.runtime import Runtime
from .cycle import lock_instance, restore
from .job_results import apply_result
from .messages import deliver

INCIDENT_STATUSES = ("open", "resolved")


def list_incidents(rt: Runtime, principal: Principal, *, status: str | None = None, instance_id: str | None = None,
                   after: str | None = None, limit: int | None = None, sort: str = "created",
                   count: bool = False) -> paging.Page:
    """Incidents, oldest first (``sort="-created"``: newest); ``count`` adds the total."""
    principal.require_reader(Role.SYSTEM, Role.MODELER, action="read incidents")
    limit = paging.check_limit(limit)
    descending = paging.check_sort(sort)
    if status and status not in INCIDENT_STATUSES:
        raise InvalidInput("unknown status", {"status": ["must be open or resolved"]})
    query = select(Incident)
    if status:
        query = query.where(Incident.status == status)
    if instance_id:
        query = query.where(Incident.instance_id == instance_id)
    with rt.uow() as uow:
        page = paging.page_of(list(uow.session.scalars(paging.apply(query, Incident, after, limit, descending))), limit)
        if count:
            page.total, page.total_capped = paging.count(uow.session, query.with_only_columns(Incident.id))
        return page


def get_incident(rt: Runtime, principal: Principal, incident_id: str) -> Incident:
    principal.require_reader(Role.SYSTEM, Role.MODELER, action="read incidents")
    with rt.uow() as uow:
        incident = uow.session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"incident '{incident_id}' does not exist")
        return incident


def retry(rt: Runtime, principal: Principal, incident_id: str) -> Incident:
    """Resolve the incident and retry what stopped: give its job a fresh round of attempts, make
    its external task fetchable, deliver its message again, or let the scheduler redo a timer step."""
    principal.require(action="retry incidents")
    with rt.uow() as uow:
        incident = _open_incident(uow.session, incident_id)
        if incident.instance_id is None:
            raise Conflict(f"incident '{incident_id}' is about a process start that left no instance: "
                           "there is nothing to retry; the start happens again when next due")
        instance = lock_instance(uow.session, incident.instance_id)
        now = rt.clock()
        if incident.external_task_id:
            _reopen_external_task(uow.session, incident.external_task_id, now)
        elif incident.job_id:
            _rerun_job(rt, uow, instance, incident.job_id, now)
        elif incident.delivery_id:
            _deliver_again(rt, uow, instance, incident.delivery_id, now)
        else:
            instance.next_timer_at = now  # a failed timer step: the scheduler tries it again
        incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, principal.name
        audit.record(uow.session, "incident.retried", principal.name, instance_id=incident.instance_id,
                     incident_id=incident.id, job_id=incident.job_id, external_task_id=incident.external_task_id)
        audit_log.record(uow.session, principal.name, "incident.retried", "incident", incident.id,
                         instance_id=incident.instance_id)
        uow.commit()
        return incident


def resolve(rt: Runtime, principal: Principal, incident_id: str, note: str | None = None) -> Incident:
    """Mark the incident resolved without retrying anything (the failed work was done by hand,
    or is no longer wanted).

    As Camunda 7 resolves an incident: only the incident closes. The instance stays as it is, at
    the element that failed; its job (or external task) is not run again, and the instance's own
    admin actions (cancel, migrate, set variables...) are how it moves on, if it should.
    """
    principal.require(action="resolve incidents")
    with rt.uow() as uow:
        incident = _open_incident(uow.session, incident_id)
        if incident.instance_id is not None:
            lock_instance(uow.session, incident.instance_id)  # the same lock order as a retry
        incident.status, incident.resolved_at, incident.resolved_by = "resolved", rt.clock(), principal.name
        audit.record(uow.session, "incident.resolved", principal.name, instance_id=incident.instance_id,
                     incident_id=incident.id, job_id=incident.job_id, external_task_id=incident.external_task_id,
                     note=note)
        audit_log.record(uow.session, principal.name, "incident.resolved", "incident", incident.id,
                         instance_id=incident.instance_id, note=note)
        uow.commit()
        return incident


def _open_incident(session, incident_id: str) -> Incident:
    """The incident, still open (404 when there is none, 409 when it was resolved)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident '{incident_id}' does not exist")
    if incident.status != "open":
        raise Conflict(f"incident '{incident_id}' is already {incident.status}")
    return incident


def _reopen_external_task(session, external_task_id: str, now) -> None:
    row = session.get(ExternalTask, external_task_id)
    if row is None or row.status != ExternalTaskStatus.INCIDENT.value:
        raise Conflict("the external task of this incident is no longer waiting for a retry")
    row.status, row.retries, row.retry_at, row.updated_at = ExternalTaskStatus.AVAILABLE.value, 1, None, now


def _rerun_job(rt: Runtime, uow, instance, job_id: str, now) -> None:
    """Give the incident's job a fresh round of attempts and wake a worker (or re-apply its answer)."""
    job = uow.session.scalar(select(Job).where(Job.id == job_id).with_for_update())
    if job is not None and job.status == JobStatus.SUCCEEDED.value:
        # The action answered and the step after it failed: apply the recorded answer again,
        # never call the action again. Failing again fails the retry (422), changing nothing.
        try:
            failure = apply_result(rt, uow, job, instance, job.result)
        except TaskNotReady as exc:
            raise Conflict("the task of this incident is no longer waiting for its action's answer") from exc
        if failure is not None:
            raise failure
        return
    if job is None or job.status != JobStatus.INCIDENT.value:
        raise Conflict("the job of this incident is no longer waiting for a retry")
    waiting = {call.task_id for call in restore(rt, uow.session, instance).pending_actions()}
    if job.task_id not in waiting:
        raise Conflict("the task of this incident is no longer waiting for its action")
    retries = int(job.request.get("retries", job.max_attempts - 1) or 0)
    job.status, job.max_attempts = JobStatus.PENDING.value, job.attempts + retries + 1
    job.next_attempt_at, job.enqueued_at, job.finished_at, job.updated_at = now, now, None, now
    uow.enqueue_after_commit(job.id)


def _deliver_again(rt: Runtime, uow, instance, message_row_id: str, now) -> None:
    """Offer the instance the message or signal it failed to catch once more, as it was sent.

    It catches it now (the message then counts as delivered to it), or the retry fails and
    changes nothing: the step failing again is a 422, an instance no longer waiting a 409.
    """
    message = uow.session.get(Message, message_row_id)
    if message is None:
        raise Conflict("the message of this incident was removed by retention: there is nothing to deliver again")
    result = deliver(rt, uow, message.kind, message.name, message.variables or {},
                     correlation_keys=message.correlation_keys or None, instance_id=instance.id,
                     start_processes=False, allowed_processes=message.allowed_processes)
    if not result.delivered_to:
        raise Conflict(f"instance '{instance.id}' is not waiting for {message.kind} '{message.name}' any more")
    message.status, message.delivered_at = MessageStatus.DELIVERED.value, now
    message.delivered_to = [*(message.delivered_to or []), instance.id]
