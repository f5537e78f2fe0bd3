"""Readiness and the figures operators watch: what /ready and /metrics report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text

from ...bpmn.sandbox import pool as sandbox_pool
from ..models import ACTIVE_JOB_STATUSES, Incident, Instance, InstanceStatus, Job, Ticket, TicketCandidate
from ..models.ticket import ACTIVE_STATUSES
from . import counters, database, schema
from .runtime import Runtime
from .tenancy import SYSTEM


def readiness(rt: Runtime) -> dict[str, str | None]:
    """Each dependency and each loop of this process with None when it is fine, or what is wrong with it."""
    checks: dict[str, str | None] = {}
    try:
        with rt.db.connect() as connection:
            connection.execute(text("select 1"))
        checks["database"] = database.storage_problem(rt.db)
        checks["migrations"] = None if schema.is_current(rt.db) else "the schema is not at the newest migration"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        checks["migrations"] = "unknown"
    try:
        rt.queue.ping()
        checks["queue"] = None
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["queue"] = f"{type(exc).__name__}: {exc}"
    checks.update(rt.heartbeats.problems())  # a loop of this process that died or stalled
    return checks


def details() -> dict[str, str]:
    """What /ready tells besides its checks: how modeler code is contained in this process."""
    return {"sandbox": sandbox_pool.status()}


@dataclass
class Snapshot:
    """Figures read from the database when metrics are scraped (gauges, and the counters of
    :mod:`~flowdesk.engine.store.counters`)."""

    instances: dict[tuple[str, str], int] = field(default_factory=dict)  # (process_key, status) -> n
    open_tickets: dict[str, int] = field(default_factory=dict)  # candidate group -> n
    jobs: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, status) -> n
    oldest_pending_job: datetime | None = None
    oldest_due_job: datetime | None = None  # when the longest-waiting due job became due
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)  # (worker host, outcome) -> n ended
    oldest_due_timer: datetime | None = None  # the earliest timer of a running instance not yet fired
    open_incidents: int = 0
    sla_breached: int = 0
    queue_depth: int | None = None  # ids waiting in the queue itself (Redis or in-process)


def snapshot(rt: Runtime) -> Snapshot:
    """Counts for /metrics; each is one grouped query on an indexed column."""
    with rt.uow(SYSTEM) as uow:  # the whole installation, every tenant
        session = uow.session
        result = Snapshot()
        result.instances = {(k, s): n for k, s, n in session.execute(
            select(Instance.process_key, Instance.status, func.count()).group_by(Instance.process_key, Instance.status))}
        result.open_tickets = dict(session.execute(
            select(TicketCandidate.name, func.count()).join(Ticket, Ticket.id == TicketCandidate.ticket_id)
            .where(TicketCandidate.kind == "group", Ticket.status.in_(ACTIVE_STATUSES))
            .group_by(TicketCandidate.name)).all())
        result.jobs = {(k, s): n for k, s, n in session.execute(
            select(Job.kind, Job.status, func.count()).where(Job.status.in_(ACTIVE_JOB_STATUSES))
            .group_by(Job.kind, Job.status))}
        result.oldest_pending_job = session.scalar(select(func.min(Job.created_at)).where(
            Job.status == "pending"))
        now = rt.clock()
        result.oldest_due_job = session.scalar(select(func.min(Job.next_attempt_at)).where(
            Job.status == "pending", Job.next_attempt_at <= now))
        # Counters, not counts of the attempts history: retention trims that, a counter never drops.
        for pairs, n in counters.totals(session, counters.JOB_ATTEMPTS).items():
            labels = dict(pairs)
            result.attempts[(labels["host"], labels["outcome"])] = n
        result.oldest_due_timer = session.scalar(select(func.min(Instance.next_timer_at)).where(
            Instance.status == InstanceStatus.RUNNING.value, Instance.next_timer_at <= now))
        result.open_incidents = session.scalar(select(func.count()).select_from(Incident).where(
            Incident.status == "open")) or 0
        if hasattr(Ticket, "sla_breached_at"):
            result.sla_breached = session.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.sla_breached_at.is_not(None), Ticket.status.in_(ACTIVE_STATUSES))) or 0
    depth = getattr(rt.queue, "depth", None)
    if depth is not None:
        try:
            result.queue_depth = depth()
        except Exception:  # noqa: BLE001 - an unreachable queue shows in /ready; metrics still answer
            result.queue_depth = None
    return result
