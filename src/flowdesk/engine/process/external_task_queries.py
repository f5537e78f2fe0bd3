"""Reading external tasks that are still open (available, locked, or waiting on an incident)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from ..access.principal import Principal, Role
from ..models import ExternalTask, ExternalTaskStatus
from ..models.external_task import OPEN_EXTERNAL_STATUSES
from ..store.errors import NotFound
from ..store.runtime import Runtime


@dataclass(frozen=True)
class ExternalTaskFilter:
    """What a list of open external tasks is narrowed to; None means "any"."""

    task_id: str | None = None
    topic: str | None = None
    worker_id: str | None = None
    instance_id: str | None = None
    element_id: str | None = None
    process_key: str | None = None
    business_key: str | None = None
    locked: bool | None = None  # True: held by an unexpired lock; False: not
    with_retries_left: bool | None = None  # True: retries unset or > 0; False: 0 (an incident)


def _allowed(query, principal: Principal):
    if principal.process_keys is not None:
        query = query.where(ExternalTask.process_key.in_(sorted(principal.process_keys)))
    if principal.topics is not None:
        query = query.where(ExternalTask.topic.in_(sorted(principal.topics)))
    return query


def _where(rt: Runtime, query, wanted: ExternalTaskFilter):
    query = query.where(ExternalTask.status.in_(OPEN_EXTERNAL_STATUSES))
    for column, value in ((ExternalTask.id, wanted.task_id), (ExternalTask.topic, wanted.topic),
                          (ExternalTask.worker_id, wanted.worker_id), (ExternalTask.instance_id, wanted.instance_id),
                          (ExternalTask.element_id, wanted.element_id),
                          (ExternalTask.process_key, wanted.process_key),
                          (ExternalTask.business_key, wanted.business_key)):
        if value is not None:
            query = query.where(column == value)
    held = and_(ExternalTask.status == ExternalTaskStatus.LOCKED.value, ExternalTask.lock_expires_at > rt.clock())
    if wanted.locked is True:
        query = query.where(held)
    elif wanted.locked is False:
        query = query.where(~held)
    no_retries = ExternalTask.status == ExternalTaskStatus.INCIDENT.value
    if wanted.with_retries_left is True:
        query = query.where(~no_retries)
    elif wanted.with_retries_left is False:
        query = query.where(no_retries)
    return query


def list_open(rt: Runtime, principal: Principal, wanted: ExternalTaskFilter, first: int = 0,
              limit: int | None = None) -> list[ExternalTask]:
    """Open external tasks matching ``wanted``, oldest first."""
    principal.require_reader(Role.SYSTEM, action="read external tasks")
    with rt.uow() as uow:
        query = _where(rt, _allowed(select(ExternalTask), principal), wanted)
        query = query.order_by(ExternalTask.created_at, ExternalTask.id).offset(first)
        if limit is not None:
            query = query.limit(limit)
        return list(uow.session.scalars(query))


def count_open(rt: Runtime, principal: Principal, wanted: ExternalTaskFilter) -> int:
    principal.require_reader(Role.SYSTEM, action="read external tasks")
    with rt.uow() as uow:
        return uow.session.scalar(_where(rt, _allowed(select(func.count()).select_from(ExternalTask), principal),
                                         wanted)) or 0


def get_open(rt: Runtime, principal: Principal, task_id: str) -> ExternalTask:
    found = list_open(rt, principal, ExternalTaskFilter(task_id=task_id))
    if not found:
        raise NotFound(f"external task '{task_id}' does not exist")
    return found[0]


def topic_names(rt: Runtime, principal: Principal, *, locked: bool | None = None, unlocked: bool | None = None,
                with_retries_left: bool | None = None) -> list[str]:
    """The topics of open external tasks, sorted; ``locked``/``unlocked`` keep tasks of that kind only."""
    principal.require_reader(Role.SYSTEM, action="read external tasks")
    with rt.uow() as uow:
        query = _allowed(select(ExternalTask.topic).distinct(), principal)
        query = _where(rt, query, ExternalTaskFilter(with_retries_left=with_retries_left or None))
        held = and_(ExternalTask.status == ExternalTaskStatus.LOCKED.value,
                    ExternalTask.lock_expires_at > rt.clock())
        kinds = ([held] if locked else []) + ([~held] if unlocked else [])
        if kinds:
            query = query.where(or_(*kinds))
        return sorted(uow.session.scalars(query))
