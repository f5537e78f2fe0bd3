"""Writing the variables of a running instance: an administrator's correction, audited."""

from __future__ import annotations

from ...bpmn import variable_writes
from ..access import audit_log
from ..access.principal import Principal, Role
from ..store import audit
from ..store.errors import InvalidInput
from ..store.runtime import Runtime
from .cycle import lock_instance, require_running, restore, save
from .instances import InstanceView, view_of


def write_variables(rt: Runtime, principal: Principal, instance_id: str, updates: dict | None = None,
                    deletions: list[str] | None = None) -> InstanceView:
    """Set ``updates`` and remove ``deletions`` on the running instance; the audit log names the
    variables changed (not their values, which may be personal data)."""
    principal.require(Role.ADMIN, action="write instance variables")
    updates, deletions = dict(updates or {}), list(deletions or [])
    if not all(isinstance(name, str) and name for name in [*updates, *deletions]):
        raise InvalidInput("variable names must be non-empty text", {"variables": ["names must be text"]})
    with rt.uow() as uow:
        instance = lock_instance(uow.session, instance_id)
        require_running(instance)
        execution = restore(rt, uow.session, instance)
        variable_writes.write(execution, updates, deletions)
        save(rt, uow, instance, execution)
        audit.record(uow.session, "instance.variables_written", principal.name, instance_id=instance.id,
                     set=sorted(updates), removed=sorted(deletions))
        audit_log.record(uow.session, principal.name, "instance.variables_written", "instance", instance.id,
                         set=sorted(updates), removed=sorted(deletions))
        uow.commit()
        return view_of(uow.session, instance)
