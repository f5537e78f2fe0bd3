"""The external-task projection: a row for each service task an external worker must fetch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...bpmn import Execution
from ...bpmn import external as bpmn_external
from ..models import ACTIVE_EXTERNAL_STATUSES, ExternalTask, ExternalTaskStatus, Instance
from ..store.unit_of_work import UnitOfWork
from .cycle import Step


def sync_external_tasks(session: Session, instance: Instance, execution: Execution, now: datetime,
                        may_have_rows: bool = True) -> None:
    """Open a row for each newly waiting external task; cancel rows whose task moved on."""
    waiting = {w.task_id: w for w in bpmn_external.waiting(execution)}
    active = list(session.scalars(select(ExternalTask).where(
        ExternalTask.instance_id == instance.id, ExternalTask.status.in_(ACTIVE_EXTERNAL_STATUSES)))) \
        if may_have_rows else []
    known = set()
    for row in active:
        if row.task_id in waiting:
            known.add(row.task_id)
        else:
            row.status, row.updated_at = ExternalTaskStatus.CANCELLED.value, now
    for task_id, task in waiting.items():
        if task_id not in known:
            session.add(ExternalTask(instance_id=instance.id, task_id=task_id, element_id=task.element_id,
                                     topic=task.topic, process_key=instance.process_key, retries=task.retries,
                                     priority=task.priority,
                                     business_key=instance.business_key, created_at=now, updated_at=now))


def active_external_tasks(session: Session, instance_id: str) -> list[ExternalTask]:
    """The instance's external tasks waiting for a worker (available) or held by one (locked)."""
    return list(session.scalars(select(ExternalTask).where(
        ExternalTask.instance_id == instance_id, ExternalTask.status.in_(ACTIVE_EXTERNAL_STATUSES))
        .order_by(ExternalTask.created_at, ExternalTask.id)))


def project(uow: UnitOfWork, instance: Instance, execution: Execution, step: Step, now: datetime,
            loaded: frozenset) -> None:
    """The save cycle's external-task projection."""
    sync_external_tasks(uow.session, instance, execution, now, "external_task" in loaded)
