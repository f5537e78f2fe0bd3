"""Moving running instances onto another version of their process: one, in bulk, or as a deploy's dry run.

An instance moves only when nothing it waits on loses its element (see ``bpmn.migration``);
otherwise the answer is 409 with the reasons, and nothing changes. Open tickets keep their id
and holder but take what the new version says about their task (name, candidates, form,
priority, due date), with a ``migrated`` progression naming each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ...bpmn import ExecutionError, ParsedProcess, ProcessSpec, WaitingUserTask
from ...bpmn import migration as bpmn_migration
from ..access.principal import Principal, Role
from ..models import ACTIVE_STATUSES, DefinitionVersion, Instance, Request, Ticket, TicketCandidate
from ..process.cycle import lock_instance, restore, save
from ..process.definitions import parse_upload, resolve_calls, spec_of
from ..process.instances import InstanceView, view_of
from ..process.lifecycle import OPEN_STATUSES
from ..process.request_types import spec_of_version
from ..store import audit
from ..store.errors import Conflict, DomainError, InvalidInput, NotFound
from ..store.runtime import Runtime
from ..store.unit_of_work import UnitOfWork
from . import progressions, sla

MAX_BULK = 1000
DEFAULT_BULK = 100
# A dry run restores and checks at most this many instances per process (the count covers all).
DRY_RUN_CHECKS = 500


@dataclass
class MigrationOutcome:
    """One instance of a bulk migration: ``migrated`` or ``refused`` (with the reasons)."""

    instance_id: str
    status: str
    from_version: int | None
    to_version: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class DeployImpact:
    """What deploying one process would mean for the instances running older versions."""

    key: str
    would_create_version: bool
    current_version: int | None
    running_instances: int = 0
    migratable: int = 0
    not_migratable: list[dict] = field(default_factory=list)
    checked: int = 0


def _version(session, process_key: str, version: int, field_name: str) -> DefinitionVersion:
    row = session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.process_key == process_key, DefinitionVersion.version == version))
    if row is None:
        raise InvalidInput(f"process '{process_key}' has no version {version}",
                           {field_name: [f"process '{process_key}' has no version {version}"]})
    return row


def _refuse(instance: Instance, detail: str, reasons: list[str], affected: list[str] | None = None) -> Conflict:
    return Conflict(f"instance '{instance.id}' {detail}", instance_status=instance.status, reasons=reasons,
                    affected_elements=affected)


def _migrate_locked(rt: Runtime, uow: UnitOfWork, principal: Principal, instance: Instance,
                    target: DefinitionVersion) -> None:
    """Move the locked ``instance`` to ``target`` in the caller's transaction, or raise Conflict."""
    if instance.status not in OPEN_STATUSES:
        raise _refuse(instance, f"is {instance.status}", [f"only running or suspended instances move; "
                                                          f"this one is {instance.status}"])
    if instance.definition_version_id == target.id:
        raise _refuse(instance, f"already runs version {target.version}",
                      [f"the instance already runs version {target.version}"])
    if (spec_of_version(uow.session, target.id, target.process_key) is None
            and uow.session.get(Request, instance.id) is not None):
        # A requester follows this instance; a version that is not requestable has no stages or
        # closing words for them (and the save cycle skips request updates for such versions).
        raise _refuse(instance, f"cannot move to version {target.version}",
                      [f"the instance is a requester's request and version {target.version} is not requestable"])
    execution = restore(rt, uow.session, instance)
    before = {task.task_id: task for task in execution.user_tasks()}
    new_spec, called = resolve_calls(rt, uow.session, target)
    verdict = bpmn_migration.check(execution, new_spec)
    if not verdict.possible:
        raise _refuse(instance, f"cannot move to version {target.version}", verdict.reasons, verdict.affected_elements)
    try:
        migrated = bpmn_migration.migrate(execution, new_spec)
    except ExecutionError as exc:
        raise _refuse(instance, f"cannot move to version {target.version}",
                      getattr(exc, "reasons", [exc.message]), verdict.affected_elements) from exc
    from_version = instance.process_version
    instance.definition_version_id, instance.process_version = target.id, target.version
    instance.called_versions = called or None
    save(rt, uow, instance, migrated)
    _refresh_tickets(uow.session, instance, before, migrated.user_tasks(), principal, from_version)
    audit.record(uow.session, "instance.migrated", principal.name, instance_id=instance.id,
                 process_key=instance.process_key, from_version=from_version, to_version=target.version,
                 affected_elements=verdict.affected_elements)


def _candidates(task: WaitingUserTask) -> dict[str, list[str]]:
    return {"users": sorted(set(task.candidate_users)), "groups": sorted(set(task.candidate_groups))}


def _due_setting(task: WaitingUserTask) -> tuple:
    properties = task.properties or {}
    return (task.due_date or properties.get("dueDate") or properties.get("sla"), properties.get("calendar"))


def _refresh_tickets(session, instance: Instance, before: dict[str, WaitingUserTask], after: list[WaitingUserTask],
                     principal: Principal, from_version: int) -> None:
    """Open tickets take what changed about their task between the versions; each change is a progression.

    Only what the model changed is applied: a ticket's holder, and a due date already moved
    by waiting, stay unless the new version says something else about them.
    """
    tickets = {t.task_id: t for t in session.scalars(select(Ticket).where(
        Ticket.instance_id == instance.id, Ticket.status.in_(ACTIVE_STATUSES)))}
    for task in after:
        ticket, old = tickets.get(task.task_id), before.get(task.task_id)
        if ticket is None:
            continue
        changes: dict[str, dict] = {}
        if old is None or old.element_id != task.element_id:
            changes["element_id"] = {"from": ticket.element_id, "to": task.element_id}
            ticket.element_id = task.element_id
        for name, new_value in (("name", task.name), ("priority", task.priority), ("form", task.form),
                                ("lane", task.lane), ("documentation", task.documentation)):
            if old is None or getattr(old, name) != new_value:
                if getattr(ticket, name) != new_value:
                    changes[name] = {"from": getattr(ticket, name), "to": new_value}
                    setattr(ticket, name, new_value)
        if old is None or _candidates(old) != _candidates(task):
            current = {"users": sorted(ticket.candidate_users), "groups": sorted(ticket.candidate_groups)}
            wanted = _candidates(task)
            if current != wanted:
                changes["candidates"] = {"from": current, "to": wanted}
                ticket.candidates = ([TicketCandidate(kind="user", name=u) for u in wanted["users"]]
                                     + [TicketCandidate(kind="group", name=g) for g in wanted["groups"]])
        if old is None or _due_setting(old) != _due_setting(task):
            _redo_due(session, ticket, task, changes)
        ticket.process_version = instance.process_version
        if changes:
            ticket.version += 1
            progressions.record(session, ticket, "migrated", principal.name, ticket.status,
                                from_version=from_version, to_version=instance.process_version, changes=changes)


def _redo_due(session, ticket: Ticket, task: WaitingUserTask, changes: dict) -> None:
    """The due date the new version's setting gives, counted from when the ticket opened."""
    fresh = Ticket(due_at=None, calendar=None, sla_seconds=None, at_risk_at=None)
    sla.start(session, fresh, task, ticket.created_at)
    if (fresh.due_at, fresh.calendar) == (ticket.due_at, ticket.calendar):
        return
    changes["due_at"] = {"from": ticket.due_at.isoformat() if ticket.due_at else None,
                         "to": fresh.due_at.isoformat() if fresh.due_at else None}
    ticket.due_at, ticket.calendar = fresh.due_at, fresh.calendar
    ticket.sla_seconds, ticket.at_risk_at = fresh.sla_seconds, fresh.at_risk_at
    # A breach recorded under the old deadline does not hold under a new one.
    if ticket.sla_breached_at is not None and (fresh.due_at is None or fresh.due_at > ticket.sla_breached_at):
        ticket.sla_breached_at = None


def migrate(rt: Runtime, principal: Principal, instance_id: str, version: int) -> InstanceView:
    """Move one running or suspended instance to ``version`` of its process (modelers, admins)."""
    principal.require(Role.MODELER, action="migrate instances")
    with rt.uow() as uow:
        instance = lock_instance(uow.session, instance_id)
        target = _version(uow.session, instance.process_key, version, "version")
        _migrate_locked(rt, uow, principal, instance, target)
        uow.commit()
        return view_of(uow.session, instance)


def migrate_bulk(rt: Runtime, principal: Principal, process_key: str, from_version: int | None, to_version: int,
                 limit: int | None = None) -> list[MigrationOutcome]:
    """Move up to ``limit`` open instances of ``process_key`` (of ``from_version``, or of any other
    version) to ``to_version``, oldest first, each in its own transaction."""
    principal.require(Role.MODELER, action="migrate instances")
    limit = DEFAULT_BULK if limit is None else limit
    if not 1 <= limit <= MAX_BULK:
        raise InvalidInput("limit out of range", {"limit": [f"must be between 1 and {MAX_BULK}"]})
    if from_version is not None and from_version == to_version:
        raise InvalidInput("nothing to migrate", {"from_version": ["must differ from to_version"]})
    with rt.uow() as uow:
        if uow.session.scalar(select(DefinitionVersion.id).where(DefinitionVersion.process_key == process_key)
                              .limit(1)) is None:
            raise NotFound(f"no process '{process_key}' is deployed")
        target_id = _version(uow.session, process_key, to_version, "to_version").id
        query = select(Instance.id).where(Instance.process_key == process_key, Instance.status.in_(OPEN_STATUSES),
                                          Instance.definition_version_id != target_id)
        if from_version is not None:
            _version(uow.session, process_key, from_version, "from_version")
            query = query.where(Instance.process_version == from_version)
        ids = list(uow.session.scalars(query.order_by(Instance.created_at, Instance.id).limit(limit)))
    return [_migrate_one(rt, principal, instance_id, target_id) for instance_id in ids]


def _migrate_one(rt: Runtime, principal: Principal, instance_id: str, target_id: str) -> MigrationOutcome:
    with rt.uow() as uow:
        target = uow.session.get(DefinitionVersion, target_id)
        outcome = MigrationOutcome(instance_id, "migrated", None, target.version)
        try:
            instance = lock_instance(uow.session, instance_id)
            outcome.from_version = instance.process_version
            _migrate_locked(rt, uow, principal, instance, target)
            uow.commit()
        except DomainError as exc:  # refused, gone, or its save failed: this one stays as it was
            outcome.status, outcome.reasons = "refused", exc.extra.get("reasons") or [exc.detail]
        return outcome


def deploy_dry_run(rt: Runtime, principal: Principal, files: list[tuple[str, bytes]]) -> list[DeployImpact]:
    """What deploying ``files`` would do to running instances; checked like a deploy, nothing stored."""
    principal.require(Role.MODELER, action="deploy definitions")
    with rt.uow() as uow:
        return affected(rt, uow.session, parse_upload(rt, uow.session, files))


def affected(rt: Runtime, session, parsed: list[ParsedProcess]) -> list[DeployImpact]:
    """Per process: the open instances of other versions and whether each could move to this one."""
    impacts = []
    for process in parsed:
        latest = session.scalar(select(DefinitionVersion).where(DefinitionVersion.process_key == process.process_id)
                                .order_by(DefinitionVersion.version.desc()).limit(1))
        unchanged = latest is not None and latest.content_hash == process.content_hash
        impact = DeployImpact(process.process_id, not unchanged, latest.version if latest else None)
        impacts.append(impact)
        if latest is None:
            continue
        condition = (Instance.process_key == process.process_id) & Instance.status.in_(OPEN_STATUSES)
        if unchanged:  # the deploy keeps the latest version: the others are what could move to it
            condition &= Instance.definition_version_id != latest.id
        impact.running_instances = session.scalar(select(func.count()).select_from(Instance).where(condition))
        if not impact.running_instances:
            continue
        new_spec = resolve_calls(rt, session, latest)[0] if unchanged else _parsed_spec(rt, session, process)
        for instance in session.scalars(select(Instance).where(condition).order_by(Instance.created_at, Instance.id)
                                        .limit(DRY_RUN_CHECKS)):
            impact.checked += 1
            reasons = _reasons(rt, session, instance, new_spec)
            if reasons:
                impact.not_migratable.append({"instance_id": instance.id, "version": instance.process_version,
                                              "reasons": reasons})
            else:
                impact.migratable += 1
    return impacts


def _reasons(rt: Runtime, session, instance: Instance, new_spec: ProcessSpec) -> list[str]:
    try:
        return bpmn_migration.check(restore(rt, session, instance), new_spec).reasons
    except ExecutionError as exc:
        return [exc.message]


def _parsed_spec(rt: Runtime, session, process: ParsedProcess) -> ProcessSpec:
    """The spec an upload would deploy, with the processes it calls resolved as an instance start would."""
    spec = ProcessSpec.from_dict(process.process_id, process.spec_dict)
    pins = dict(process.external_calls)
    pending, done = set(spec.called_process_ids()), set()
    while pending:
        process_id = pending.pop()
        done.add(process_id)
        query = select(DefinitionVersion).where(DefinitionVersion.process_key == process_id)
        if pins.get(process_id) is not None:
            query = query.where(DefinitionVersion.version == pins[process_id])
        target = session.scalar(query.order_by(DefinitionVersion.version.desc()).limit(1))
        if target is None:
            continue  # parse_upload refuses a call to nothing; a deeper one fails at the instance's start
        spec = spec.with_called({process_id: spec_of(rt, session, target.id, target.process_key)})
        pins.update({k: v for k, v in (target.external_calls or {}).items() if k not in pins})
        pending |= spec.called_process_ids() - done
    return spec
