"""Operating on a whole instance: cancel it, suspend it, resume it."""

from __future__ import annotations

from sqlalchemy import select

from ..access.principal import Principal, Role
from ..models import InstanceStatus, Job, JobStatus
from ..store import audit
from ..store.errors import Conflict
from ..store.runtime import Runtime
from . import webhooks
from .cycle import event_data, lock_instance, require_running, restore, save
from .instances import InstanceView, view_of

OPEN_STATUSES = (InstanceStatus.RUNNING.value, InstanceStatus.SUSPENDED.value)


def cancel(rt: Runtime, principal: Principal, instance_id: str, reason: str | None = None) -> InstanceView:
    """Stop the instance for good: its tickets, jobs and external tasks are closed."""
    principal.require(Role.SYSTEM, action="cancel instances")
    with rt.uow() as uow:
        instance = lock_instance(uow.session, instance_id)
        principal.require_process(instance.process_key, "cancel instances of")
        if instance.status not in OPEN_STATUSES:
            raise Conflict(f"instance '{instance_id}' is {instance.status}", instance_status=instance.status)
        execution = restore(rt, uow.session, instance)
        execution.cancel()
        instance.status, instance.completed_at = InstanceStatus.CANCELLED.value, rt.clock()
        instance.error = reason
        save(rt, uow, instance, execution)
        audit.record(uow.session, "instance.cancelled", principal.name, instance_id=instance.id, reason=reason)
        webhooks.emit(uow, "instance.cancelled", event_data(instance))
        uow.commit()
        return view_of(uow.session, instance)


def suspend(rt: Runtime, principal: Principal, instance_id: str) -> InstanceView:
    """Hold the instance: tickets cannot be worked, jobs and timers wait."""
    principal.require(Role.SYSTEM, action="suspend instances")
    with rt.uow() as uow:
        instance = lock_instance(uow.session, instance_id)
        principal.require_process(instance.process_key, "suspend instances of")
        require_running(instance)
        instance.status, instance.version = InstanceStatus.SUSPENDED.value, instance.version + 1
        instance.updated_at = rt.clock()
        audit.record(uow.session, "instance.suspended", principal.name, instance_id=instance.id)
        uow.commit()
        return view_of(uow.session, instance)


def resume(rt: Runtime, principal: Principal, instance_id: str) -> InstanceView:
    """Let a suspended instance move again; its waiting jobs are handed to workers."""
    principal.require(Role.SYSTEM, action="resume instances")
    with rt.uow() as uow:
        instance = lock_instance(uow.session, instance_id)
        principal.require_process(instance.process_key, "resume instances of")
        if instance.status != InstanceStatus.SUSPENDED.value:
            raise Conflict(f"instance '{instance_id}' is not suspended", instance_status=instance.status)
        now = rt.clock()
        instance.status, instance.version, instance.updated_at = InstanceStatus.RUNNING.value, instance.version + 1, now
        for job in uow.session.scalars(select(Job).where(Job.instance_id == instance.id,
                                                         Job.status == JobStatus.PENDING.value)):
            job.enqueued_at = now
            uow.enqueue_after_commit(job.id)
        audit.record(uow.session, "instance.resumed", principal.name, instance_id=instance.id)
        uow.commit()
        return view_of(uow.session, instance)
