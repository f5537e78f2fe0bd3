"""History across instances: the BPMN elements they completed, recorded as each save completes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from ..access.principal import Principal, Role
from ..access.visibility import visible_instances
from ..models import CompletedActivity, Instance
from ..store import paging
from ..store.errors import InvalidInput
from ..store.runtime import Runtime
from ..store.unit_of_work import UnitOfWork


def project(uow: UnitOfWork, instance: Instance, execution, step, now, loaded) -> int:
    """Record the elements the step completed (a projection of the save cycle); returns how many."""
    if not step.completed:
        return 0
    uow.session.add_all([
        CompletedActivity(instance_id=instance.id, process_key=instance.process_key,
                          process_version=instance.process_version, element_id=element.element_id[:255],
                          name=element.name[:255] if element.name else None, type=element.type[:50],
                          finished_at=element.finished_at)
        for element in step.completed])
    return len(step.completed)


def keyset(query, column, id_column, after: str | None, limit: int, cast_id=str):
    """Order ``query`` by (``column``, id), oldest first, after the cursor ``after``; one extra row."""
    if after:
        at, id_ = paging.decode_cursor(after)
        try:
            id_ = cast_id(id_)
        except ValueError as exc:
            raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]}) from exc
        query = query.where(or_(column > at, and_(column == at, id_column > id_)))
    return query.order_by(column, id_column).limit(limit + 1)


def page_by(rows: list, limit: int, at: str) -> paging.Page:
    if len(rows) > limit:
        rows = rows[:limit]
        return paging.Page(rows, paging.encode_cursor(getattr(rows[-1], at), str(rows[-1].id)))
    return paging.Page(rows, None)


def list_activities(rt: Runtime, principal: Principal, *, process_key: str | None = None,
                    element_id: str | None = None, type: str | None = None, instance_id: str | None = None,
                    finished_after: datetime | None = None, finished_before: datetime | None = None,
                    after: str | None = None, limit: int | None = None) -> paging.Page:
    """Completed BPMN elements of the instances the caller sees, oldest first; ``finished_after``
    inclusive, ``finished_before`` exclusive."""
    limit = paging.check_limit(limit)
    query = select(CompletedActivity)
    if principal.process_keys is not None or principal.role in (Role.AGENT.value, Role.REQUESTER.value):
        query = query.where(CompletedActivity.instance_id.in_(visible_instances(select(Instance.id), principal)))
    for column, value in ((CompletedActivity.process_key, process_key), (CompletedActivity.element_id, element_id),
                          (CompletedActivity.type, type), (CompletedActivity.instance_id, instance_id)):
        if value is not None:
            query = query.where(column == value)
    if finished_after is not None:
        query = query.where(CompletedActivity.finished_at >= finished_after)
    if finished_before is not None:
        query = query.where(CompletedActivity.finished_at < finished_before)
    query = keyset(query, CompletedActivity.finished_at, CompletedActivity.id, after, limit, int)
    with rt.uow() as uow:
        return page_by(list(uow.session.scalars(query)), limit, "finished_at")
