"""External tasks over REST (Camunda 7 style): fetch-and-lock by topic, complete, fail, bpmn-error.

Delivery is at least once: a lock that expires makes the task fetchable again, so workers must
be idempotent; a completion from a worker that no longer holds the lock is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, false, or_, select

from ...bpmn import ExecutionError, TaskNotReady
from ...bpmn import external as bpmn_external
from ..access.principal import Principal, Role
from ..models import ExternalTask, ExternalTaskStatus, Incident, Instance, InstanceStatus
from ..models.external_task import OPEN_EXTERNAL_STATUSES as OPEN_STATUSES
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
    definition_version_id: str | None = None
    headers: dict = field(default_factory=dict)  # the model's task headers (zeebe:taskHeaders)
    local_variables: dict = field(default_factory=dict)  # the task's own: its input mappings


def _duration(ms, field_name: str) -> timedelta:
    if not isinstance(ms, int) or isinstance(ms, bool) or ms <= 0 or timedelta(milliseconds=ms) > MAX_LOCK:
        raise InvalidInput("invalid duration", {field_name: ["milliseconds between 1 and 86400000"]})
    return timedelta(milliseconds=ms)


def fetch_and_lock(rt: Runtime, principal: Principal, worker_id: str, max_tasks: int,
                   topics: list[dict], use_priority: bool = False) -> list[Locked]:
    """Lock up to ``max_tasks`` available tasks of the given topics for ``worker_id``: oldest
    first, or with ``use_priority`` the highest priority first (then the oldest)."""
    principal.require(Role.SYSTEM, action="work external tasks")
    if not topics:
        raise InvalidInput("no topics", {"topics": ["name at least one topic"]})
    durations = {t["topic_name"]: _duration(t.get("lock_duration"), "lock_duration") for t in topics}
    for topic in durations:
        if not principal.allows_topic(topic):
            raise Forbidden(f"'{principal.name}' may not work external tasks of topic '{topic}'", topic=topic)
    wanted = [_topic_filter(t, principal) for t in topics]
    with rt.uow() as uow:
        now = rt.clock()
        fetchable = or_(
            and_(ExternalTask.status == ExternalTaskStatus.AVAILABLE.value,
                 or_(ExternalTask.retry_at.is_(None), ExternalTask.retry_at <= now)),
            and_(ExternalTask.status == ExternalTaskStatus.LOCKED.value, ExternalTask.lock_expires_at <= now),
        )
        held = select(Instance.id).where(Instance.status != InstanceStatus.RUNNING.value)
        query = select(ExternalTask).where(fetchable, or_(*wanted), ExternalTask.instance_id.not_in(held))
        if principal.process_keys is not None:
            query = query.where(ExternalTask.process_key.in_(sorted(principal.process_keys)))
        rows = list(uow.session.scalars(
            query.order_by(*((ExternalTask.priority.desc(),) if use_priority else ()),
                           ExternalTask.created_at, ExternalTask.id).limit(max_tasks)
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
        found = waiting.get(row.task_id)
        result.append(Locked(row, found.variables if found else {}, instance.definition_version_id,
                             found.headers if found else {}, found.local_variables if found else {}))
    return result


def _topic_filter(topic: dict, principal: Principal):
    """The tasks one topic of a fetch asks for: its name, and optionally processes, business key, tenants."""
    condition = ExternalTask.topic == topic["topic_name"]
    if topic.get("process_keys") is not None:
        condition = and_(condition, ExternalTask.process_key.in_(list(topic["process_keys"])))
    if topic.get("business_key") is not None:
        condition = and_(condition, ExternalTask.business_key == topic["business_key"])
    if topic.get("tenant_ids") is not None and principal.tenant_id not in topic["tenant_ids"]:
        condition = false()  # the caller's rows are all of its own tenant
    return condition


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


def complete(rt: Runtime, principal: Principal, task_id: str, worker_id: str, variables: dict | None,
             local_variables: dict | None = None) -> ExternalTask:
    """The worker finished: merge its variables (``local_variables`` only into the task's own
    scope, for its output mappings) and move the instance on."""
    with rt.uow() as uow:
        row, instance = _held(uow, principal, task_id, worker_id, rt)
        execution = restore(rt, uow.session, instance)
        try:
            bpmn_external.complete(execution, row.task_id, variables or {}, local_variables)
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
            _open_incident(uow, principal, row, now)
        uow.commit()
        return row


def _open_incident(uow: UnitOfWork, principal: Principal, row: ExternalTask, now) -> None:
    row.status, row.worker_id, row.lock_expires_at = ExternalTaskStatus.INCIDENT.value, None, None
    incident = Incident(instance_id=row.instance_id, element_id=row.element_id, external_task_id=row.id,
                        message=f"external task failed: {row.error_message or 'no retries left'}", attempts=1,
                        created_at=now)
    uow.session.add(incident)
    audit.record(uow.session, "incident.created", principal.name, instance_id=row.instance_id,
                 external_task_id=row.id, message=incident.message)


def bpmn_error(rt: Runtime, principal: Principal, task_id: str, worker_id: str, error_code: str,
               error_message: str | None = None, variables: dict | None = None) -> ExternalTask:
    """The worker reports a business error: raise it as a BPMN error the diagram catches."""
    with rt.uow() as uow:
        row, instance = _held(uow, principal, task_id, worker_id, rt)
        execution = restore(rt, uow.session, instance)
        try:
            caught = bpmn_external.raise_error(execution, row.task_id, error_code, variables, error_message)
        except TaskNotReady as exc:
            raise Conflict(f"the task of external task '{task_id}' is no longer waiting") from exc
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


def _visible(uow: UnitOfWork, principal: Principal, task_id: str) -> ExternalTask:
    principal.require(Role.SYSTEM, action="work external tasks")
    row = uow.session.get(ExternalTask, task_id)
    if row is None or row.status not in OPEN_STATUSES or not (
            principal.allows_process(row.process_key) and principal.allows_topic(row.topic)):
        raise NotFound(f"external task '{task_id}' does not exist")
    return row


def unlock(rt: Runtime, principal: Principal, task_id: str) -> ExternalTask:
    """Release the lock whoever holds it: the task can be fetched again at once."""
    with rt.uow() as uow:
        row = _visible(uow, principal, task_id)
        lock_instance(uow.session, row.instance_id)
        uow.session.refresh(row)
        if row.status == ExternalTaskStatus.LOCKED.value:
            row.status, row.worker_id, row.lock_expires_at = ExternalTaskStatus.AVAILABLE.value, None, None
            row.updated_at = rt.clock()
            audit.record(uow.session, "external_task.unlocked", principal.name, instance_id=row.instance_id,
                         external_task_id=row.id)
        uow.commit()
        return row


def set_retries(rt: Runtime, principal: Principal, task_id: str, retries: int) -> ExternalTask:
    """Set the retries left: 0 opens an incident; more resolves an open one and frees the task."""
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise InvalidInput("invalid retries", {"retries": ["a whole number >= 0"]})
    with rt.uow() as uow:
        row = _visible(uow, principal, task_id)
        lock_instance(uow.session, row.instance_id)
        uow.session.refresh(row)
        now = rt.clock()
        row.retries, row.updated_at = retries, now
        if retries == 0 and row.status != ExternalTaskStatus.INCIDENT.value:
            _open_incident(uow, principal, row, now)
        elif retries > 0 and row.status == ExternalTaskStatus.INCIDENT.value:
            for incident in uow.session.scalars(select(Incident).where(
                    Incident.external_task_id == row.id, Incident.status == "open")):
                incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, principal.name
            row.status, row.retry_at = ExternalTaskStatus.AVAILABLE.value, None
        audit.record(uow.session, "external_task.retries_set", principal.name, instance_id=row.instance_id,
                     external_task_id=row.id, retries=retries)
        uow.commit()
        return row
