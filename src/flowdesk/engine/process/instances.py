"""Starting process instances and reading them (the cycle every command uses is :mod:`.cycle`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...bpmn import Execution, ExecutionError
from ...bpmn.serializer import STATE_FORMAT
from ..access import idempotency
from ..access.idempotency import IdempotentRequest, Replay
from ..access.principal import Principal, Role
from ..access.visibility import visible_instances
from ..models import ACTIVE_JOB_STATUSES, ACTIVE_STATUSES, Incident, Instance, InstanceStatus, Job, Ticket
from ..models.base import new_id
from ..store import added_rows, audit, paging
from ..store.errors import InvalidInput, NotFound
from ..store.runtime import Runtime
from ..store.unit_of_work import UnitOfWork
from . import forms, instance_filters, webhooks
from .cycle import event_data, execution_failed, restore, save, settle
from .definitions import latest_version, resolve_calls, start_form_schema, version_ref
from .external_task_projection import active_external_tasks
from .jobs import active_jobs
from .waits import subscriptions_of

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


def start_instance(rt: Runtime, principal: Principal, process_key: str | None, variables: dict | None = None,
                   business_key: str | None = None, request: IdempotentRequest | None = None, *,
                   version: int | None = None, version_id: str | None = None) -> InstanceView | Replay:
    """Start ``process_key`` (its latest version, or ``version``; or the version ``version_id``)
    and run it to its first wait state. ``variables`` must fit the start form, if it has one."""
    principal.require(Role.SYSTEM, action="start processes")
    if process_key is not None:
        principal.require_process(process_key)
    if variables is not None and not isinstance(variables, dict):
        raise InvalidInput("variables must be an object", {"variables": ["must be a JSON object"]})
    with rt.uow() as uow:
        replay = idempotency.find(uow, principal, request)
        if replay is not None:
            return replay
        if version is None and version_id is None:
            ref = latest_version(uow, process_key)
        else:
            ref = version_ref(uow, process_key, version, version_id)
        principal.require_process(ref.process_key)
        _check_start_form(start_form_schema(uow.session, ref.id), variables or {})
        instance = create_instance(rt, uow, principal.name, ref, variables or {}, business_key)
        view = view_of(uow.session, instance)
        idempotency.remember(uow, principal, request, view)
        uow.commit()
        return view


def _check_start_form(schema: dict | None, variables: dict) -> None:
    """The browser checks the start form too, but any client may call: the server decides. The
    form's fields must fit it; other variables may come along (a trusted starter's, as the start
    page's "more variables" sends them; a requester's request takes the form's fields only)."""
    if schema is not None:
        schema = {key: value for key, value in schema.items() if key != "additionalProperties"}
    forms.check(schema, variables, "the process's start form")


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


def open_incidents(session: Session, instance_id: str) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.instance_id == instance_id, Incident.status == "open")
                                .order_by(Incident.created_at)))


def view_of(session: Session, instance: Instance) -> InstanceView:
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
                   limit: int | None = None, sort: str = "created", count: bool = False,
                   var: list[str] | None = None, started_after: datetime | None = None,
                   started_before: datetime | None = None, ended_after: datetime | None = None,
                   ended_before: datetime | None = None) -> paging.Page:
    """Instances matching the filters, oldest first (``sort="-created"``: newest), one page at a
    time; ``count`` adds the total. An instance with an incident keeps its status (it is still
    running, stuck at one element): ``has_incident`` finds those. ``var`` holds ``name:op:value``
    conditions on variables (:mod:`.instance_filters`); the dates bound when it started and ended
    (``*_after`` inclusive, ``*_before`` exclusive)."""
    limit = paging.check_limit(limit)
    descending = paging.check_sort(sort)
    if status is not None and status not in INSTANCE_STATUSES:
        raise InvalidInput("unknown status", {"status": [f"must be one of {', '.join(INSTANCE_STATUSES)}"]})
    wanted = [instance_filters.parse(text) for text in var or []]
    query = visible_instances(select(Instance), principal)
    for condition in (instance_filters.condition(rt.db.dialect.name, w) for w in wanted):
        query = query.where(condition)
    for column, bound, later in ((Instance.created_at, started_after, True), (Instance.created_at, started_before, False),
                                 (Instance.completed_at, ended_after, True), (Instance.completed_at, ended_before, False)):
        if bound is not None:
            query = query.where(column >= bound if later else column < bound)
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
