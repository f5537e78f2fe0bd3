"""Projections of the message and signal catches an instance waits for (its next timer is set by save())."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...bpmn import Execution
from ..models import EventSubscription, Instance
from ..store.unit_of_work import UnitOfWork
from .cycle import Step


def sync_waits(session: Session, instance: Instance, execution: Execution, now: datetime,
               may_have_rows: bool = True) -> None:
    """Refresh the instance's event subscriptions from the workflow.

    A row is kept while the instance goes on waiting for the same catch, so its ``created_at``
    says since when it waits (an uncorrelated message goes to the one that waited longest).
    """
    # A catch without a name (no messageRef/signalRef) can never be sent to: nothing to project.
    wanted = [("message", m.name, m.task_id, m.element_id, m.correlations)
              for m in execution.waiting_messages() if m.name]
    wanted += [("signal", name, None, None, {}) for name in execution.waiting_signals() if name]
    if not wanted and not may_have_rows:
        return
    current = {(s.kind, s.name, s.task_id): s for s in session.scalars(
        select(EventSubscription).where(EventSubscription.instance_id == instance.id))} if may_have_rows else {}
    keep = set()
    for kind, name, task_id, element_id, correlations in wanted:
        key = (kind, name, task_id)
        keep.add(key)
        row = current.get(key)
        if row is None:
            session.add(EventSubscription(instance_id=instance.id, kind=kind, name=name, task_id=task_id,
                                          element_id=element_id, business_key=instance.business_key,
                                          correlations=correlations or {}, created_at=now))
        elif row.correlations != (correlations or {}):
            row.correlations = correlations or {}
    stale = [row.id for key, row in current.items() if key not in keep]
    if stale:
        session.execute(delete(EventSubscription).where(EventSubscription.id.in_(stale)))


def project(uow: UnitOfWork, instance: Instance, execution: Execution, step: Step, now: datetime,
            loaded: frozenset) -> None:
    """The save cycle's projection of message and signal catches."""
    sync_waits(uow.session, instance, execution, now, "event" in loaded)


def subscriptions_of(session: Session, instance_id: str) -> list[EventSubscription]:
    return list(session.scalars(select(EventSubscription).where(EventSubscription.instance_id == instance_id)
                                .order_by(EventSubscription.kind, EventSubscription.name)))
