"""Prometheus counters kept in the database: they only grow, whatever retention deletes.

A count read from history (``count(*)`` over job attempts) drops when the hourly cleanup
trims that history, and Prometheus reads a drop as a restart. So an event is counted here, in
the transaction that records it: it is counted exactly when it is recorded.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import MetricCounter

JOB_ATTEMPTS = "job_attempts"  # labels: host (the worker's), outcome (how the attempt ended)

_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _labels(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(labels), sort_keys=True)


def increment(session: Session, tenant_id: str, name: str, labels: Mapping[str, str], by: int = 1) -> None:
    """Add ``by`` to a counter of ``tenant_id`` in the session's transaction.

    Call it just before the commit: the counter's row stays locked until then, and every
    event with the same labels waits for it. The session autoflushes before the upsert, so the
    command's other changes are written before the row is locked.
    """
    insert = _UPSERT[session.get_bind().dialect.name]
    statement = insert(MetricCounter).values(tenant_id=tenant_id, name=name, labels=_labels(labels), value=by)
    session.execute(statement.on_conflict_do_update(
        index_elements=[MetricCounter.tenant_id, MetricCounter.name, MetricCounter.labels],
        set_={"value": MetricCounter.value + statement.excluded.value}))


def increment_all(session: Session, name: str, counts: Counter) -> None:
    """``counts`` maps (tenant, labels as sorted (key, value) pairs) to how much to add.

    Rows are locked in one order, so two transactions that add to several never deadlock.
    """
    for (tenant_id, labels), by in sorted(counts.items()):
        increment(session, tenant_id, name, dict(labels), by)


def totals(session: Session, name: str) -> dict[tuple[tuple[str, str], ...], int]:
    """Counter ``name`` over every tenant in the session's scope: sorted label pairs -> value."""
    rows = session.execute(select(MetricCounter.labels, func.sum(MetricCounter.value))
                           .where(MetricCounter.name == name).group_by(MetricCounter.labels))
    return {tuple(sorted(json.loads(labels).items())): int(value) for labels, value in rows}
