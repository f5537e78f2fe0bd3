"""Starting process instances, reading them, and the load/apply/save cycle every command uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..bpmn import Execution, ExecutionError
from ..bpmn.serializer import STATE_FORMAT
from .. import logs
from . import added_rows, audit, idempotency, paging, sla, webhooks
from .definitions import latest_version, resolve_calls, spec_with_calls
from .errors import Conflict, ExecutionFailed, InvalidInput, NotFound
from .idempotency import IdempotentRequest, Replay
from .models import (ACTIVE_JOB_STATUSES, ACTIVE_STATUSES, Incident, Instance, InstanceStatus, Job, Message,
                     MessageStatus, Ticket)
from .models.base import new_id
from .principal import Principal, Role
from .jobs import active_jobs, sync_action_jobs
from .projection import active_external_tasks, sync_external_tasks, sync_tickets
from .runtime import Runtime
from .unit_of_work import UnitOfWork
from .visibility import visible_instances
from .waits import subscriptions_of, sync_waits

INSTANCE_STATUSES = tuple(s.value for s in InstanceStatus)


@dataclass
class InstanceView:
    """An instance with the tickets it is waiting on."""

    instance: Instance
    open_tickets: list[Ticket] = field(default_factory=list)
    jobs: list = field(default_factory=list)
    incidents: list = field(default_factory=list)
    timers: list = field(default_factory=list)
    external_tasks: list = field(default_factory=list)
    subscriptions: list = field(default_factory=list)
    history: list = field(default_factory=list)

    def __getattr__(self, name: str):
        # Read as the instance itself (id, status, variables...) plus ``open_tickets``.
        return getattr(self.instance, name)


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


def settle(execution: Execution) -> Step:
    """Derive the step's calls, throws and escalations, then its state; ExecutionFailed when one fails."""
    try:
        calls = execution.pending_actions()
    except ExecutionError as exc:
        raise execution_failed(exc) from exc
    thrown = execution.take_thrown_events()
    escalations = execution.take_escalations()
    return Step(execution.dump(), calls, thrown, escalations)


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
         step: Step | None = None) -> list[Ticket]:
    """Write state, status and projections (tickets, jobs, thrown events) back; bump the version.

    The one save path of every command: everything the step leads to is derived first
    (:func:`settle`, or ``step`` when the caller settled it already), so an ``ExecutionFailed``
    leaves nothing of the step written. Returns the instance's open tickets.
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
    if step.escalations:
        sla.record_escalations(uow, instance, step.escalations)  # before the projection cancels interrupted tickets
    tickets, opened = sync_tickets(session, instance, execution, now, "user_task" in loaded)
    for ticket in opened:
        webhooks.emit(uow, "ticket.created", {**event_data(instance), "ticket_id": ticket.id,
                                                  "element_id": ticket.element_id, "name": ticket.name})
    sync_external_tasks(session, instance, execution, now, "external_task" in loaded)
    sync_action_jobs(uow, instance, execution, step.calls, now, "action" in loaded)
    sync_waits(session, instance, execution, now, "event" in loaded)
    route_thrown(uow, instance, step.thrown, now)
    return tickets


def event_data(instance: Instance) -> dict:
    return {"instance_id": instance.id, "process_key": instance.process_key, "business_key": instance.business_key,
            "status": instance.status}


def start_instance(rt: Runtime, principal: Principal, process_key: str, variables: dict | None = None,
                   business_key: str | None = None, request: IdempotentRequest | None = None) -> InstanceView | Replay:
    """Start the latest version of ``process_key`` and run it to its first wait state."""
    principal.require(Role.SYSTEM, action="start processes")
    principal.require_process(process_key)
    if variables is not None and not isinstance(variables, dict):
        raise InvalidInput("variables must be an object", {"variables": ["must be a JSON object"]})
    with rt.uow() as uow:
        replay = idempotency.find(uow, principal, request)
        if replay is not None:
            return replay
        instance = create_instance(rt, uow, principal.name, latest_version(uow, process_key),
                                   variables or {}, business_key)
        view = view_of(uow.session, instance)
        idempotency.remember(uow, principal, request, view)
        uow.commit()
        return view


def create_instance(rt: Runtime, uow: UnitOfWork, started_by: str | None, version, variables: dict,
                    business_key: str | None, message: tuple[str, dict] | None = None,
                    by_timer: bool | str = False, signal: str | None = None) -> Instance:
    """Start ``version`` in the caller's transaction (API, message, signal or timer start)."""
    process_key = version.process_key
    spec, called = resolve_calls(rt, uow.session, version)
    try:
        execution = Execution.start(spec, variables, clock=rt.clock, message=message, by_timer=by_timer,
                                    limits=rt.step_limits)
        if signal is not None and not execution.broadcast_signal(signal, variables):
            raise ExecutionError(f"the process has no signal start event for '{signal}'")
    except ExecutionError as exc:
        raise execution_failed(exc) from exc
    step = settle(execution)  # fails before the instance is added: a failed start leaves nothing
    now = rt.clock()
    # The id is given here, not at the INSERT: nothing needs flushing before save() has the state,
    # so the new row is written once, complete.
    instance = Instance(
        id=new_id(), definition_version_id=version.id, process_key=process_key, process_version=version.version,
        business_key=business_key, status=InstanceStatus.RUNNING.value, state={},
        serializer_version=STATE_FORMAT, variables={}, start_variables=list(variables), version=0,
        started_by=started_by, created_at=now, updated_at=now, called_versions=called or None,
    )
    uow.session.add(instance)
    audit.record(uow.session, "instance.started", started_by, instance_id=instance.id,
                 process_key=process_key, version=version.version)
    webhooks.emit(uow, "instance.started", event_data(instance))
    save(rt, uow, instance, execution, step)
    return instance


def open_tickets(session: Session, instance_id: str) -> list[Ticket]:
    return list(session.scalars(
        select(Ticket).where(Ticket.instance_id == instance_id, Ticket.status.in_(ACTIVE_STATUSES))
        .order_by(Ticket.created_at, Ticket.id)
    ))


def view_of(session: Session, instance: Instance) -> InstanceView:
    from .incidents import open_incidents  # noqa: PLC0415 - incidents builds on this module

    if added_rows.is_new(session, instance):
        # Started in this transaction: everything about it was added here, and is at hand.
        session.flush()  # ids and defaults, as the queries below would have flushed anyway

        def added(kind, active):
            return sorted((row for row in added_rows.of_instance(session, kind, instance.id) if active(row)),
                          key=lambda row: (row.created_at, row.id))

        return InstanceView(instance, added(Ticket, lambda t: t.status in ACTIVE_STATUSES),
                            added(Job, lambda j: j.status in ACTIVE_JOB_STATUSES),
                            added(Incident, lambda i: i.status == "open"))
    return InstanceView(instance, open_tickets(session, instance.id), active_jobs(session, instance.id),
                        open_incidents(session, instance.id))


def get_instance(rt: Runtime, principal: Principal, instance_id: str) -> InstanceView:
    """The instance, where it waits (tickets, jobs, external tasks, timers, messages, incidents) and what it did."""
    with rt.uow() as uow:
        instance = uow.session.scalar(visible_instances(select(Instance).where(Instance.id == instance_id), principal))
        if instance is None:
            raise NotFound(f"instance '{instance_id}' does not exist")
        view = view_of(uow.session, instance)
        if instance.archived_at is None:  # archived: no state left to tell timers and history
            execution = restore(rt, uow.session, instance)
            view.timers = execution.waiting_timers()
            view.history = execution.completed_elements()
        view.subscriptions = subscriptions_of(uow.session, instance.id)
        view.external_tasks = active_external_tasks(uow.session, instance.id)
        return view


def list_instances(rt: Runtime, principal: Principal, *, process_key: str | None = None, status: str | None = None,
                   business_key: str | None = None, has_incident: bool | None = None, after: str | None = None,
                   limit: int | None = None, sort: str = "created", count: bool = False) -> paging.Page:
    """Instances matching the filters, oldest first (``sort="-created"``: newest), one page at a
    time; ``count`` adds the total. An instance with an incident keeps its status (it is still
    running, stuck at one element): ``has_incident`` finds those."""
    limit = paging.check_limit(limit)
    descending = paging.check_sort(sort)
    if status is not None and status not in INSTANCE_STATUSES:
        raise InvalidInput("unknown status", {"status": [f"must be one of {', '.join(INSTANCE_STATUSES)}"]})
    query = visible_instances(select(Instance), principal)
    if process_key:
        query = query.where(Instance.process_key == process_key)
    if status:
        query = query.where(Instance.status == status)
    if business_key:
        query = query.where(Instance.business_key == business_key)
    if has_incident is not None:
        stuck = select(Incident.id).where(Incident.instance_id == Instance.id, Incident.status == "open").exists()
        query = query.where(stuck if has_incident else ~stuck)
    with rt.uow() as uow:
        rows = list(uow.session.scalars(paging.apply(query, Instance, after, limit, descending)))
        page = paging.page_of(rows, limit)
        page.items = [view_of(uow.session, i) for i in page.items]
        if count:
            page.total, page.total_capped = paging.count(uow.session, query.with_only_columns(Instance.id))
        return page
