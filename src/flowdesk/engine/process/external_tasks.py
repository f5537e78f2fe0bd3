"""External tasks over REST (Camunda 7 style): fetch-and-lock by topic, complete, fail, bpmn-error.

Delivery is at least once: a lock that expires makes the task fetchable again, so workers must
be idempotent; a completion from a worker that no longer holds the lock is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, or_, select

from ...bpmn import ExecutionError, TaskNotReady
from ...bpmn import external as bpmn_external
from ..access.principal import Principal, Role
from ..models import ExternalTask, ExternalTaskStatus, Incident, Instance, InstanceStatus
from ..store import audit
from ..store.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..store.runtime import Runtime
from ..store.unit_of_work import UnitOfWork
from .cycle import execution_failed, lock_instance, require_running, restore, save

MAX_LOCK = timedelta(hours=24)


@dataclass
class Locked:
    """A fetched task as the worker sees it."""

    task: ExternalTask
    variables: dict = field(default_factory=dict)


def _duration(ms, field_name: str) -> timedelta:
    if not isinstance(ms, int) or isinstance(ms, bool) or ms <= 0 or timedelta(milliseconds=ms) > MAX_LOCK:
        raise InvalidInput("invalid duration", {field_name: ["milliseconds between 1 and 86400000"]})
    return timedelta(milliseconds=ms)


def fetch_and_lock(rt: Runtime, principal: Principal, worker_id: str, max_tasks: int,
                   topics: list[dict]) -> list[Locked]:
    """Lock up to ``max_tasks`` available tasks of the given topics for ``worker_id``."""
    principal.require(Role.SYSTEM, action="work external tasks")
    if not topics:
        raise InvalidInput("no topics", {"topics": ["name at least one topic"]})
    durations = {t["topic_name"]: _duration(t.get("lock_duration"), "lock_duration") for t in topics}
    for topic in durations:
        if not principal.allows_topic(topic):
            raise Forbidden(f"'{principal.name}' may not work external tasks of topic '{topic}'", topic=topic)
    with rt.uow() as uow:
        now = rt.clock()
        fetchable = or_(
            and_(ExternalTask.status == ExternalTaskStatus.AVAILABLE.value,
                 or_(ExternalTask.retry_at.is_(None), ExternalTask.retry_at <= now)),
            and_(ExternalTask.status == ExternalTaskStatus.LOCKED.value, ExternalTask.lock_expires_at <= now),
        )
        held = select(Instance.id).where(Instance.status != InstanceStatus.RUNNING.value)
        query = select(ExternalTask).where(fetchable, ExternalTask.topic.in_(list(durations)),
                                           ExternalTask.instance_id.not_in(held))
        if principal.process_keys is not None:
            query = query.where(ExternalTask.process_key.in_(sorted(principal.process_keys)))
        rows = list(uow.session.scalars(
            query.order_by(ExternalTask.created_at, ExternalTask.id).limit(max_tasks)
            .with_for_update(skip_locked=True)))
        locked = []
        for row in rows:
            row.status, row.worker_id = ExternalTaskStatus.LOCKED.value, worker_id
            row.lock_expires_at, row.updated_at = now + durations[row.topic], now
            locked.append(row)
        uow.commit()
    result = []
    for row in locked:
        with rt.uow() as uow:
            instance = uow.session.get(Instance, row.instance_id)
            waiting = {w.task_id: w for w in bpmn_external.waiting(restore(rt, uow.session, instance))}
        result.append(Locked(row, waiting.get(row.task_id).variables if row.task_id in waiting else {}))
    return result


def _held(uow: UnitOfWork, principal: Principal, task_id: str, worker_id: str, rt: Runtime):
    principal.require(Role.SYSTEM, action="work external tasks")
    row = uow.session.get(ExternalTask, task_id)
    # A task of a process or topic outside the caller's allow-lists is not theirs to see.
    if row is None or not (principal.allows_process(row.process_key) and principal.allows_topic(row.topic)):
        raise NotFound(f"external task '{task_id}' does not exist")
    instance = lock_instance(uow.session, row.instance_id)
    require_running(instance)
    row = uow.session.scalar(select(ExternalTask).where(ExternalTask.id == task_id)
                             .execution_options(populate_existing=True))
    if row.status != ExternalTaskStatus.LOCKED.value or row.worker_id != worker_id:
        raise Conflict(f"external task '{task_id}' is not locked by worker '{worker_id}'", task_status=row.status)
    if row.lock_expires_at is not None and row.lock_expires_at <= rt.clock():
        raise Conflict(f"the lock of worker '{worker_id}' on external task '{task_id}' has expired")
    return row, instance


def complete(rt: Runtime, principal: Principal, task_id: str, worker_id: str, variables: dict | None) -> ExternalTask:
    """The worker finished: merge its variables and move the instance on."""
    with rt.uow() as uow:
        row, instance = _held(uow, principal, task_id, worker_id, rt)
        execution = restore(rt, uow.session, instance)
        try:
            bpmn_external.complete(execution, row.task_id, variables or {})
        except TaskNotReady as exc:
            raise Conflict(f"the task of external task '{task_id}' is no longer waiting") from exc
        except ExecutionError as exc:
            raise execution_failed(exc) from exc
        row.status, row.updated_at, row.lock_expires_at = ExternalTaskStatus.COMPLETED.value, rt.clock(), None
        audit.record(uow.session, "external_task.completed", principal.name, instance_id=instance.id,
                     external_task_id=row.id, worker_id=worker_id)
        save(rt, uow, instance, execution)
        uow.commit()
        return row


def failure(rt: Runtime, principal: Principal, task_id: str, worker_id: str, error_message: str,
            error_details: str | None, retries: int, retry_timeout: int = 0) -> ExternalTask:
    """The worker failed: make it fetchable again after ``retry_timeout`` ms, or open an incident."""
    if not isinstance(retries, int) or retries < 0:
        raise InvalidInput("invalid retries", {"retries": ["a whole number >= 0"]})
    with rt.uow() as uow:
        row, instance = _held(uow, principal, task_id, worker_id, rt)
        now = rt.clock()
        row.error_message, row.error_details, row.retries = (error_message or "")[:2000], error_details, retries
        row.worker_id, row.lock_expires_at, row.updated_at = None, None, now
        if retries > 0:
            row.status = ExternalTaskStatus.AVAILABLE.value
            row.retry_at = now + timedelta(milliseconds=max(0, int(retry_timeout or 0)))
        else:
            row.status = ExternalTaskStatus.INCIDENT.value
            incident = Incident(instance_id=instance.id, element_id=row.element_id, external_task_id=row.id,
                                message=f"external task failed: {row.error_message}", attempts=1, created_at=now)
            uow.session.add(incident)
            audit.record(uow.session, "incident.created", principal.name, instance_id=instance.id,
                         external_task_id=row.id, message=incident.message)
        uow.commit()
        return row


def bpmn_error(rt: Runtime, principal: Principal, task_id: str, worker_id: str, error_code: str,
               error_message: str | None = None, variables: dict | None = None) -> ExternalTask:
    """The worker reports a business error: raise it as a BPMN error the diagram catches."""
    with rt.uow() as uow:
        row, instance = _held(uow, principal, task_id, worker_id, rt)
        execution = restore(rt, uow.session, instance)
        try:
            caught = execution.throw_error(row.task_id, error_code, {**(variables or {}),
                                                                    "error_message": error_message})
        except ExecutionError as exc:
            raise execution_failed(exc) from exc
        if not caught:
            raise Conflict(f"no error event in the process catches '{error_code}'")
        row.status, row.updated_at = ExternalTaskStatus.COMPLETED.value, rt.clock()
        row.error_message = f"BPMN error '{error_code}'" + (f": {error_message}" if error_message else "")
        save(rt, uow, instance, execution)
        uow.commit()
        return row


def extend_lock(rt: Runtime, principal: Principal, task_id: str, worker_id: str, new_duration: int) -> ExternalTask:
    """Keep holding the task for ``new_duration`` ms from now."""
    duration = _duration(new_duration, "new_duration")
    with rt.uow() as uow:
        row, _ = _held(uow, principal, task_id, worker_id, rt)
        row.lock_expires_at = rt.clock() + duration
        uow.commit()
        return row
