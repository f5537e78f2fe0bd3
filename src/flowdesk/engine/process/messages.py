"""Messages and signals: correlating them to waiting instances or starting processes with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from ...bpmn import ExecutionError
from ..access.principal import Principal, Role
from ..models import EventSubscription, InstanceStatus, Message, MessageStatus
from ..store import audit
from ..store.errors import ExecutionFailed, InvalidInput, NotFound
from ..store.runtime import Runtime
from ..store.unit_of_work import UnitOfWork
from .cycle import execution_failed, lock_instance, restore, save
from .definitions import latest_versions
from .instances import create_instance

MAX_BUFFER_TTL = 7 * 24 * 3600


@dataclass
class Delivery:
    """Where a message or signal went."""

    message: Message | None = None
    delivered_to: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    buffered: bool = False
    replayed: bool = False


def deliver(rt: Runtime, uow: UnitOfWork, kind: str, name: str, variables: dict, *, business_key: str | None = None,
            correlation_keys: dict | None = None, instance_id: str | None = None,
            start_processes: bool = True, exclude_instance: str | None = None,
            allowed_processes: frozenset[str] | list[str] | None = None, failed: list | None = None,
            to_all: bool = False) -> Delivery:
    """Let every waiting instance catch it; else (or for signals, also) start processes with it.

    Instances are locked in id order so two concurrent deliveries never deadlock each other.
    An uncorrelated message goes to one waiting instance: the one that has waited longest; a
    correlated one to every instance that matches. In an instance that waits for it more than
    once, the wait that began first catches it. ``to_all``: every waiting catch of every
    matching instance catches it.
    With ``allowed_processes`` (the sender's process allow-list) it reaches only instances and
    start events of those processes: the others never see the message or signal.
    A catch or start whose step fails raises ``ExecutionFailed`` (the caller's whole command
    fails); with ``failed`` (the scheduler, which has no caller to tell) it is dropped alone
    and ``(instance id or None, process key, error)`` is appended there instead.
    """
    def allowed(process_key: str) -> bool:
        return allowed_processes is None or process_key in allowed_processes
    to_one = (kind == "message" and not to_all and not instance_id and correlation_keys is None
              and business_key is None)
    result = Delivery()
    for target in _targets(uow.session, kind, name, instance_id, business_key, exclude_instance, to_one):
        instance = lock_instance(uow.session, target)
        if instance.status != InstanceStatus.RUNNING.value or not allowed(instance.process_key):
            continue
        execution = restore(rt, uow.session, instance)
        try:
            if kind == "message":
                caught = execution.deliver_message(name, variables, correlation_keys or None, every_catch=to_all)
            else:
                caught = execution.broadcast_signal(name, variables)
            if caught:
                save(rt, uow, instance, execution)
        except ExecutionError as exc:
            _failed(failed, instance.id, instance.process_key, execution_failed(exc))
            continue
        except ExecutionFailed as exc:
            _failed(failed, instance.id, instance.process_key, exc)
            continue
        if caught:
            audit.record(uow.session, f"{kind}.caught", None, instance_id=instance.id, name=name)
            result.delivered_to.append(instance.id)
            if to_one:
                break  # an uncorrelated message goes to one waiting instance: the longest waiting
    wants_start = kind == "signal" or not result.delivered_to
    if start_processes and wants_start and not instance_id:
        starts = "messages" if kind == "message" else "signals"
        for version in latest_versions(uow.session):
            if name in (version.start_events or {}).get(starts, []) and allowed(version.process_key):
                try:
                    started = create_instance(rt, uow, None, version, dict(variables or {}), business_key,
                                              message=(name, variables) if kind == "message" else None,
                                              signal=name if kind == "signal" else None)
                except ExecutionFailed as exc:  # nothing of the new instance was added
                    _failed(failed, None, version.process_key, exc)
                    continue
                result.started.append(started.id)
    return result


def _targets(session, kind: str, name: str, instance_id: str | None, business_key: str | None,
             exclude_instance: str | None, to_one: bool) -> list[str]:
    """The instances that may catch it: longest waiting first when only one is to get it, else in
    id order (so two deliveries lock them in the same order and never deadlock each other)."""
    query = select(EventSubscription.instance_id, EventSubscription.created_at, EventSubscription.id).where(
        EventSubscription.kind == kind, EventSubscription.name == name)
    if instance_id:
        query = query.where(EventSubscription.instance_id == instance_id)
    if business_key:
        query = query.where(EventSubscription.business_key == business_key)
    since: dict[str, tuple] = {}
    for target, created_at, row_id in session.execute(query):
        since[target] = min(since.get(target, (created_at, row_id)), (created_at, row_id))
    since.pop(exclude_instance, None)  # a thrown signal was already caught inside the instance that threw it
    return sorted(since, key=since.get) if to_one else sorted(since)


def _failed(failed: list | None, instance_id: str | None, process_key: str, exc: ExecutionFailed) -> None:
    """Raise ``exc``, or (for the scheduler) note it and go on: the failed step wrote nothing."""
    if failed is None:
        raise exc
    failed.append((instance_id, process_key, exc))


def _check(name, variables, correlation_keys) -> None:
    errors = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["a non-empty message name"]
    if variables is not None and not isinstance(variables, dict):
        errors["variables"] = ["must be a JSON object"]
    if correlation_keys is not None and not isinstance(correlation_keys, dict):
        errors["correlation_keys"] = ["must be a JSON object"]
    if errors:
        raise InvalidInput("invalid message", errors)


def _listed(names: frozenset[str] | None) -> list[str] | None:
    return None if names is None else sorted(names)


def _sent_before(uow: UnitOfWork, principal: Principal, message_id: str) -> Message | None:
    """The caller's own earlier message or signal with ``message_id``: ids are per sender, so
    one sender cannot claim another's id first and swallow its message."""
    return uow.session.scalar(select(Message).where(Message.sender == principal.name,
                                                    Message.message_id == message_id))


def correlate(rt: Runtime, principal: Principal, name: str, *, message_id: str | None = None,
              business_key: str | None = None, correlation_keys: dict | None = None,
              instance_id: str | None = None, variables: dict | None = None,
              buffer_ttl: int | None = None, to_all: bool = False) -> Delivery:
    """Deliver message ``name`` from an external system (idempotent per ``message_id``).

    It is caught once (see :func:`deliver`); ``to_all`` lets every wait that matches catch it.
    """
    principal.require(Role.SYSTEM, action="send messages")
    principal.require_message(name)
    _check(name, variables, correlation_keys)
    if buffer_ttl is not None and not 0 < buffer_ttl <= MAX_BUFFER_TTL:
        raise InvalidInput("invalid buffer_ttl", {"buffer_ttl": [f"seconds between 1 and {MAX_BUFFER_TTL}"]})
    if buffer_ttl is not None and to_all:
        reason = "'all' reaches the instances waiting now; a buffered message waits for one later waiter"
        raise InvalidInput("'all' and 'buffer_ttl' do not go together", {"all": [reason]})
    with rt.uow() as uow:
        if message_id:
            seen = _sent_before(uow, principal, message_id)
            if seen is not None:
                return Delivery(seen, list(seen.delivered_to or []), list(seen.started or []),
                                seen.status == MessageStatus.BUFFERED.value, replayed=True)
        result = deliver(rt, uow, "message", name, variables or {}, business_key=business_key,
                         correlation_keys=correlation_keys, instance_id=instance_id,
                         allowed_processes=principal.process_keys, to_all=to_all)
        now = rt.clock()
        message = Message(message_id=message_id, name=name, business_key=business_key, instance_id=instance_id,
                          correlation_keys=correlation_keys or {}, variables=variables or {},
                          delivered_to=result.delivered_to, started=result.started, sender=principal.name,
                          created_at=now, allowed_processes=_listed(principal.process_keys))
        if result.delivered_to or result.started:
            message.status, message.delivered_at = MessageStatus.DELIVERED.value, now
        elif buffer_ttl:
            message.status, message.expires_at = MessageStatus.BUFFERED.value, now + timedelta(seconds=buffer_ttl)
            result.buffered = True
        else:
            raise NotFound(f"no instance is waiting for message '{name}' and no process starts with it")
        uow.session.add(message)
        uow.commit()
        result.message = message
        return result


def broadcast(rt: Runtime, principal: Principal, name: str, variables: dict | None = None,
              message_id: str | None = None) -> Delivery:
    """Send signal ``name`` to every waiting instance and every process a signal starts.

    With ``message_id`` a repeat (a retried or replayed request) changes nothing.
    """
    principal.require(Role.SYSTEM, action="send signals")
    principal.require_message(name, "signal")
    _check(name, variables, None)
    with rt.uow() as uow:
        if message_id:
            seen = _sent_before(uow, principal, message_id)
            if seen is not None:
                return Delivery(seen, list(seen.delivered_to or []), list(seen.started or []), False, replayed=True)
        result = deliver(rt, uow, "signal", name, variables or {}, allowed_processes=principal.process_keys)
        audit.record(uow.session, "signal.broadcast", principal.name, name=name,
                     delivered_to=len(result.delivered_to), started=len(result.started))
        if message_id:
            now = rt.clock()
            result.message = Message(message_id=message_id, kind="signal", name=name, variables=variables or {},
                                     delivered_to=result.delivered_to, started=result.started, sender=principal.name,
                                     status=MessageStatus.DELIVERED.value, created_at=now, delivered_at=now)
            uow.session.add(result.message)
        uow.commit()
        return result
