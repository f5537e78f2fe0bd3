"""Undeploying: removing a process version, or a whole process, that no instance ever ran.

An instance keeps its version's spec for as long as its row exists (its history, tickets and
timeline are read through it), so a version any instance runs or ran, or called, stays: the
refusal is a 409 naming how many. Its timer start schedule goes with it; message and signal
starts are found through the latest version, so they follow the remaining versions by themselves.
"""

from __future__ import annotations

from sqlalchemy import String, cast, delete, func, or_, select

from ..access import audit_log
from ..access.principal import Principal, Role
from ..models import DefinitionVersion, Instance, TimerStartSchedule
from ..store import audit
from ..store.errors import Conflict, NotFound
from ..store.runtime import Runtime
from .definitions import schedule_timer_starts


def _instances_using(session, version_ids: list[str]) -> int:
    """Instances (any status) that run one of ``version_ids`` or fixed one as a called process."""
    calls = [cast(Instance.called_versions, String).like(f'%"{version_id}"%') for version_id in version_ids]
    return session.scalar(select(func.count()).select_from(Instance).where(or_(
        Instance.definition_version_id.in_(version_ids),
        Instance.called_versions.is_not(None) & or_(*calls)))) or 0


def _locked_versions(session, process_key: str, version: int | None) -> list[DefinitionVersion]:
    # Locked: an instance starting on one of them now waits (its row refers to the version) and
    # either is counted below or fails to refer to a version that is gone.
    query = select(DefinitionVersion).where(DefinitionVersion.process_key == process_key)
    if version is not None:
        query = query.where(DefinitionVersion.version == version)
    return list(session.scalars(query.with_for_update()))


def undeploy(rt: Runtime, principal: Principal, process_key: str, version: int | None = None) -> None:
    """Remove ``version`` of ``process_key`` (every version when None); 409 while instances use it."""
    principal.require(Role.MODELER, action="undeploy definitions")
    principal.require_process(process_key, action="undeploy")
    with rt.uow() as uow:
        session = uow.session
        rows = _locked_versions(session, process_key, version)
        if not rows:
            raise NotFound(f"process '{process_key}' has no version {version}" if version is not None
                           else f"no process '{process_key}' is deployed")
        ids = [row.id for row in rows]
        using = _instances_using(session, ids)
        if using:
            what = f"version {version} of process '{process_key}'" if version is not None else f"process '{process_key}'"
            raise Conflict(f"{what} is used by {using} instance(s), running or finished: it stays deployed",
                           instances=using)
        removed_latest = max(row.version for row in rows) == session.scalar(
            select(func.max(DefinitionVersion.version)).where(DefinitionVersion.process_key == process_key))
        session.execute(delete(TimerStartSchedule).where(TimerStartSchedule.definition_version_id.in_(ids)))
        for row in rows:
            session.delete(row)
        session.flush()
        remaining = session.scalar(select(DefinitionVersion).where(DefinitionVersion.process_key == process_key)
                                   .order_by(DefinitionVersion.version.desc()).limit(1))
        if removed_latest and remaining is not None:
            # The newest version owns the timer start schedule: now the highest remaining one.
            schedule_timer_starts(session, remaining, rt.clock())
        versions = sorted(row.version for row in rows)
        audit.record(session, "definition.undeployed", principal.name, process_key=process_key, versions=versions)
        audit_log.record(session, principal.name, "definition.undeployed", "definition", process_key,
                         versions=versions)
        uow.commit()
