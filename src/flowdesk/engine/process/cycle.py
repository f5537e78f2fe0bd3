"""The load -> apply -> save cycle every command on an instance goes through.

A command locks the instance (:func:`lock_instance`), restores its workflow (:func:`restore`),
moves it on, and saves it (:func:`save`): state, status and version, then every projection of
what the workflow now waits for. The projections (tickets, SLA marks, external tasks, action
jobs, waits) are not imported here: they register with :func:`register_projection`, in the
order they must run (``flowdesk.engine.composition`` does so once, for the whole engine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ... import logs
from ...bpmn import Execution, ExecutionError
from ...bpmn.serializer import STATE_FORMAT
from ..models import Instance, InstanceStatus, Message, MessageStatus
from ..store import audit
from ..store.errors import Conflict, ExecutionFailed, NotFound
from ..store.runtime import Runtime
from ..store.unit_of_work import UnitOfWork
from . import webhooks
from .definitions import spec_with_calls


def execution_failed(exc: ExecutionError) -> ExecutionFailed:
    where = f" at element '{exc.element_id}'" if exc.element_id else ""
    line = f", line {exc.line}" if exc.line else ""
    failed = ExecutionFailed(f"the process failed{where}{line}: {exc.message}",
                             element_id=exc.element_id, line=exc.line)
    failed.__cause__ = exc  # also when raised later, outside the handler (the scheduler reads it)
    return failed


def require_running(instance: Instance) -> None:
    """Commands that move an instance on refuse a suspended or finished one."""
    if instance.status != InstanceStatus.RUNNING.value:
        raise Conflict(f"instance '{instance.id}' is {instance.status}", instance_status=instance.status)


_LOCK = (select(Instance).where(Instance.id == bindparam("instance_id")).with_for_update()
         .execution_options(populate_existing=True))  # built once: most commands start with it


def lock_instance(session: Session, instance_id: str) -> Instance:
    """Load the instance row for update: the one lock every command on an instance takes."""
    instance = session.scalar(_LOCK, {"instance_id": instance_id})
    if instance is None:
        raise NotFound(f"instance '{instance_id}' does not exist")
    logs.instance_id.set(instance.id)
    return instance


def restore(rt: Runtime, session: Session, instance: Instance) -> Execution:
    """The instance's workflow; an archived instance has none left, so every command on it is 409."""
    if instance.archived_at is not None:
        raise Conflict(f"instance '{instance.id}' is archived: its state was removed after the retention period",
                       instance_status=instance.status)
    spec = spec_with_calls(rt, session, instance.definition_version_id, instance.process_key,
                           instance.called_versions)
    return Execution.restore(spec, instance.state, instance.serializer_version, clock=rt.clock,
                             limits=rt.step_limits)


@dataclass
class Step:
    """Everything a step of the workflow leads to, derived before anything of it is written.

    Deriving can fail (an action body that raises); it fails here, while nothing is written
    yet. The thrown events are taken before the state is dumped, so the saved state no longer
    holds them and a later step cannot route them again.
    """

    state: dict
    calls: list
    thrown: list
    escalations: list
    completed: list = field(default_factory=list)  # the BPMN elements completed in this step


def settle(execution: Execution) -> Step:
    """Derive the step's calls, throws and escalations, then its state; ExecutionFailed when one fails."""
    try:
        calls = execution.pending_actions()
    except ExecutionError as exc:
        raise execution_failed(exc) from exc
    thrown = execution.take_thrown_events()
    escalations = execution.take_escalations()
    return Step(execution.dump(), calls, thrown, escalations, execution.take_completed_elements())


def route_thrown(uow: UnitOfWork, instance: Instance, thrown: list, now) -> None:
    """Messages and signals the instance threw go to an outbox the scheduler routes.

    Routing them here would lock other instances inside this command's transaction, and two
    instances messaging each other at the same moment would deadlock.
    """
    for event in thrown:
        if event.kind not in ("message", "signal"):
            continue
        uow.session.add(Message(kind=event.kind, name=event.name, variables=event.payload or {},
                                correlation_keys=event.correlations or {}, status=MessageStatus.PENDING.value,
                                source_instance_id=instance.id, business_key=instance.business_key,
                                created_at=now))


def save(rt: Runtime, uow: UnitOfWork, instance: Instance, execution: Execution,
         step: Step | None = None) -> dict[str, Any]:
    """Write state, status and projections (tickets, jobs, thrown events) back; bump the version.

    The one save path of every command: everything the step leads to is derived first
    (:func:`settle`, or ``step`` when the caller settled it already), so an ``ExecutionFailed``
    leaves nothing of the step written. Returns what each projection reported, by its name
    (``"tickets"``: the instance's open tickets).
    """
    step = step or settle(execution)
    session = uow.session
    now = rt.clock()
    instance.state = step.state
    instance.serializer_version = STATE_FORMAT
    instance.variables = execution.variables
    instance.updated_at = now
    instance.version = (instance.version or 0) + 1
    if execution.is_completed and instance.status == InstanceStatus.RUNNING.value:
        if execution.reached_end_event:
            instance.status = InstanceStatus.COMPLETED.value
            audit.record(session, "instance.completed", None, instance_id=instance.id)
        else:
            # 'Nothing left to do' without an end event is a broken model, never a success.
            instance.status = InstanceStatus.FAILED.value
            instance.error = "the process stopped without reaching an end event"
            audit.record(session, "instance.failed", None, instance_id=instance.id, error=instance.error)
        instance.completed_at = now
        webhooks.emit(uow, f"instance.{instance.status}", event_data(instance))
    instance.next_timer_at = execution.next_timer_due() if instance.status == InstanceStatus.RUNNING.value else None
    # Projections mirror what the instance waited for when loaded: a kind it did not wait for
    # then has no active rows, so its lookup is skipped (one round trip less per kind).
    loaded = execution.waits_when_loaded
    reported = {name: project(uow, instance, execution, step, now, loaded) for name, project in _PROJECTIONS.items()}
    route_thrown(uow, instance, step.thrown, now)
    return reported


def event_data(instance: Instance) -> dict:
    return {"instance_id": instance.id, "process_key": instance.process_key, "business_key": instance.business_key,
            "status": instance.status}


Projection = Callable[[UnitOfWork, Instance, Execution, "Step", datetime, frozenset], Any]
"""Refreshes one kind of row from what the saved workflow waits for: ``(uow, instance,
execution, step, now, loaded)``, where ``loaded`` names the kinds of wait the instance had
when it was loaded (a kind it had none of has no active rows to look up). What it returns,
the save returns under its name."""

_PROJECTIONS: dict[str, Projection] = {}


def register_projection(name: str, projection: Projection) -> None:
    """Have every save run ``projection``, after those registered before it."""
    if _PROJECTIONS.get(name, projection) is not projection:
        raise ValueError(f"another projection is registered as '{name}'")
    _PROJECTIONS[name] = projection


def projections() -> dict[str, Projection]:
    """The projections a save runs, by name, in order."""
    return dict(_PROJECTIONS)
