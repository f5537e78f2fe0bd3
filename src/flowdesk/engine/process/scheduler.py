"""The scheduler's rounds: due timers, timer-started processes, thrown and buffered messages.

Every round claims its rows with ``FOR UPDATE SKIP LOCKED``, so several schedulers can run side
by side without double work; due timers are fired in batches, one transaction per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from ...bpmn import ExecutionError
from ..models import DefinitionVersion, EventSubscription, Incident, Instance, InstanceStatus, Message, MessageStatus
from ..models import TimerStartSchedule
from ..store import audit, database
from ..store.claims import nothing_to_claim
from ..store.errors import ExecutionFailed
from ..store.runtime import Runtime
from ..store.tenancy import SYSTEM
from .cycle import restore, save
from .definitions import spec_of
from .instances import create_instance
from .messages import deliver
from .retention import cleanup_if_due

log = logging.getLogger(__name__)


@dataclass
class Round:
    timers: int = 0
    started: int = 0
    messages: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.timers or self.started or self.messages)


def fire_due_timers(rt: Runtime, limit: int = 200, batch: int = 25) -> int:
    """Wake instances whose next timer is due; returns how many were stepped.

    Up to ``batch`` due instances are claimed per transaction (``SKIP LOCKED``, so another
    scheduler takes the next ones): one commit per batch instead of one per timer. A step
    that fails does so before anything of it is written (``save`` derives everything first),
    so it costs no savepoint and the rest of the batch is kept; the failed instance gets an incident.
    """
    done, seen = 0, []
    if nothing_to_claim(rt, select(Instance).where(Instance.status == InstanceStatus.RUNNING.value,
                                                   Instance.next_timer_at <= rt.clock())):
        return 0
    while done < limit:
        failures: list[tuple[str, str, ExecutionError]] = []
        with rt.uow(SYSTEM) as uow:
            now = rt.clock()
            # Each instance once per round: a timer that is not due by the instance's own reckoning
            # must not be picked again and again.
            query = select(Instance).where(Instance.status == InstanceStatus.RUNNING.value,
                                           Instance.next_timer_at <= now)
            if seen:
                query = query.where(Instance.id.not_in(seen))
            instances = list(uow.session.scalars(query.order_by(Instance.next_timer_at)
                                                 .limit(min(batch, limit - done)).with_for_update(skip_locked=True)))
            if not instances:
                return done
            stepped = 0
            for instance in instances:
                instance_id, tenant_id = instance.id, instance.tenant_id
                seen.append(instance_id)
                stepped += 1
                uow.scope_to(tenant_id)  # claimed across tenants, stepped in its own
                failure = _fire(rt, uow, instance)
                if failure is not None:
                    failures.append((tenant_id, instance_id, failure))
            uow.commit()
        # The incident is written after the batch's transaction is closed: on SQLite it would
        # otherwise still hold the write lock the incident's transaction waits for.
        for tenant_id, instance_id, failure in failures:
            _timer_incident(rt, tenant_id, instance_id, failure)
        done += stepped
    return done


def _fire(rt: Runtime, uow, instance: Instance) -> ExecutionError | None:
    """Step one claimed instance and save it; the failure (with nothing written) or None."""
    try:
        execution = restore(rt, uow.session, instance)
        execution.run()
        save(rt, uow, instance, execution)
    except ExecutionError as exc:
        return exc
    except ExecutionFailed as exc:
        return exc.__cause__
    audit.record(uow.session, "timer.fired", None, instance_id=instance.id)
    return None


def _timer_incident(rt: Runtime, tenant_id: str, instance_id: str, exc: ExecutionError) -> None:
    """A step after a timer failed: park the instance's timers and tell a person why."""
    with rt.uow(tenant_id) as uow:
        instance = uow.session.get(Instance, instance_id)
        instance.next_timer_at = None
        where = f" at '{exc.element_id}'" if exc.element_id else ""
        uow.session.add(Incident(instance_id=instance_id, element_id=exc.element_id,
                                 message=f"the process failed after a timer{where}: {exc.message}"[:2000],
                                 created_at=rt.clock()))
        audit.record(uow.session, "incident.created", None, instance_id=instance_id, message=exc.message)
        uow.commit()


def start_timer_processes(rt: Runtime, limit: int = 20) -> int:
    """Start instances of processes whose timer start event is due, and schedule the next start.

    Returns how many instances were started. A start that fails leaves no instance, only an
    incident; the schedule moves on to its next due time either way.
    """
    started = 0
    if nothing_to_claim(rt, select(TimerStartSchedule).where(TimerStartSchedule.next_at <= rt.clock())):
        return 0
    with rt.uow(SYSTEM) as uow:
        now = rt.clock()
        rows = list(uow.session.scalars(
            select(TimerStartSchedule).where(TimerStartSchedule.next_at <= now).order_by(TimerStartSchedule.next_at)
            .limit(limit).with_for_update(skip_locked=True)))
        for row in rows:
            uow.scope_to(row.tenant_id)
            version = uow.session.get(DefinitionVersion, row.definition_version_id)
            spec = spec_of(rt, uow.session, version.id, version.process_key)
            start = next((t for t in spec.timer_starts() if t.element_id == row.element_id), None)
            try:
                with uow.session.begin_nested():  # a failure drops this start only
                    create_instance(rt, uow, None, version, {}, None, by_timer=row.element_id)
                started += 1
            except ExecutionFailed as exc:
                _start_incident(rt, uow, version.process_key, f"timer start '{row.element_id}'", exc)
            except Exception:  # noqa: BLE001 - one broken model must not stop the others' schedules
                log.exception("timer start of %s failed", version.process_key)
            row.next_at = start.next_due(row.reference_at, row.next_at) if start else None
        uow.commit()
        return started


def _start_incident(rt: Runtime, uow, process_key: str, trigger: str, exc: ExecutionFailed) -> None:
    """A process the scheduler started failed before its first wait: nothing of it was kept, so
    the incident has no instance; it names the process, what started it, the element and the error."""
    element_id = exc.extra.get("element_id")
    message = f"the {trigger} of process '{process_key}' failed: {exc.detail}"[:2000]
    uow.session.add(Incident(instance_id=None, element_id=element_id, message=message, created_at=rt.clock()))
    audit.record(uow.session, "incident.created", None, process_key=process_key, element_id=element_id,
                 message=message)


def _delivery_incident(rt: Runtime, uow, message: Message, failure) -> None:
    """A routed message or signal made its catcher (or the process it started) fail: the step
    was rolled back, the catcher still waits, and an incident says where and why."""
    instance_id, process_key, exc = failure
    if instance_id is None:
        _start_incident(rt, uow, process_key, f"{message.kind} start '{message.name}'", exc)
        return
    element_id = exc.extra.get("element_id")
    text = f"the {message.kind} '{message.name}' could not be delivered: {exc.detail}"[:2000]
    uow.session.add(Incident(instance_id=instance_id, element_id=element_id, message=text, delivery_id=message.id,
                             created_at=rt.clock()))
    audit.record(uow.session, "incident.created", None, instance_id=instance_id, element_id=element_id,
                 message=text)


def route_messages(rt: Runtime, limit: int = 50) -> int:
    """Deliver what processes threw, and buffered messages someone now waits for."""
    # A buffered message waits for a catcher in its own tenant only.
    waiting_names = select(EventSubscription.name).where(EventSubscription.kind == "message",
                                                         EventSubscription.tenant_id == Message.tenant_id)
    routable = select(Message).where(
        (Message.status == MessageStatus.PENDING.value)
        | ((Message.status == MessageStatus.BUFFERED.value) & Message.name.in_(waiting_names)))
    if nothing_to_claim(rt, routable):
        return 0
    with rt.uow(SYSTEM) as uow:
        now = rt.clock()
        pending = list(uow.session.scalars(
            routable.order_by(Message.created_at).limit(limit).with_for_update(skip_locked=True)))
        for message in pending:
            uow.scope_to(message.tenant_id)  # delivered within the sender's tenant only
            buffered = message.status == MessageStatus.BUFFERED.value
            if buffered and message.expires_at is not None and message.expires_at <= now:
                message.status = MessageStatus.EXPIRED.value
                continue
            failed = []
            try:
                with uow.session.begin_nested():  # a bug in one delivery drops that delivery only
                    result = deliver(rt, uow, message.kind, message.name, message.variables or {},
                                     business_key=message.business_key if buffered else None,
                                     correlation_keys=message.correlation_keys or None,
                                     instance_id=message.instance_id, start_processes=not buffered,
                                     exclude_instance=message.source_instance_id if message.kind == "signal" else None,
                                     allowed_processes=message.allowed_processes, failed=failed)
            except Exception as exc:  # noqa: BLE001 - a failing target must not block the outbox
                log.warning("message %s could not be delivered: %s", message.id, exc)
                message.status = MessageStatus.UNDELIVERED.value
                continue
            for failure in failed:
                _delivery_incident(rt, uow, message, failure)
            if result.delivered_to or result.started:
                message.status, message.delivered_at = MessageStatus.DELIVERED.value, now
                message.delivered_to, message.started = result.delivered_to, result.started
            elif not buffered or failed:  # a catcher that failed on it is not offered it again
                message.status = MessageStatus.UNDELIVERED.value
        uow.scope_to(SYSTEM)
        expired = uow.session.scalars(select(Message).where(Message.status == MessageStatus.BUFFERED.value,
                                                            Message.expires_at <= now).limit(limit))
        for message in expired:
            message.status = MessageStatus.EXPIRED.value
        uow.commit()
        return len(pending)


_DUTIES: list[Callable[[Runtime], object]] = []


def register_duty(duty: Callable[[Runtime], object]) -> None:
    """Have every round also run ``duty(rt)`` (the SLA's breach marking registers so, from work)."""
    if duty not in _DUTIES:
        _DUTIES.append(duty)


def run_round(rt: Runtime) -> Round:
    """One pass of everything the scheduler does."""
    cleanup_if_due(rt)  # retention: at most hourly, time-boxed
    for duty in _DUTIES:
        duty(rt)
    return Round(timers=fire_due_timers(rt), started=start_timer_processes(rt), messages=route_messages(rt))


def next_wake(rt: Runtime):
    """The earliest due time the scheduler knows of (so it can sleep exactly that long)."""
    with database.reading(), rt.uow(SYSTEM) as uow:
        timer = uow.session.scalar(select(Instance.next_timer_at).where(
            Instance.status == InstanceStatus.RUNNING.value, Instance.next_timer_at.is_not(None))
            .order_by(Instance.next_timer_at).limit(1))
        start = uow.session.scalar(select(TimerStartSchedule.next_at).where(TimerStartSchedule.next_at.is_not(None))
                                   .order_by(TimerStartSchedule.next_at).limit(1))
        due = [d for d in (timer, start) if d is not None]
        return min(due) if due else None
