"""Finding instances by offset (firstResult/maxResults, as Camunda clients page) and counting them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..access.principal import Principal
from ..access.visibility import visible_instances
from ..models import Instance
from ..store.runtime import Runtime


@dataclass(frozen=True)
class InstanceFilter:
    """What a search is narrowed to; None means "any"."""

    process_key: str | None = None
    definition_version_id: str | None = None
    business_key: str | None = None
    instance_ids: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None


def _where(query, wanted: InstanceFilter):
    for column, value in ((Instance.process_key, wanted.process_key),
                          (Instance.definition_version_id, wanted.definition_version_id),
                          (Instance.business_key, wanted.business_key)):
        if value is not None:
            query = query.where(column == value)
    if wanted.instance_ids is not None:
        query = query.where(Instance.id.in_(wanted.instance_ids))
    if wanted.statuses is not None:
        query = query.where(Instance.status.in_(wanted.statuses))
    return query


def find_instances(rt: Runtime, principal: Principal, wanted: InstanceFilter, first: int = 0,
                   limit: int | None = None) -> list[Instance]:
    """The instances the caller may see that match, oldest first."""
    with rt.uow() as uow:
        query = _where(visible_instances(select(Instance), principal), wanted)
        query = query.order_by(Instance.created_at, Instance.id).offset(first)
        if limit is not None:
            query = query.limit(limit)
        return list(uow.session.scalars(query))


def count_instances(rt: Runtime, principal: Principal, wanted: InstanceFilter) -> int:
    with rt.uow() as uow:
        query = _where(visible_instances(select(func.count()).select_from(Instance), principal), wanted)
        return uow.session.scalar(query) or 0


def definition_ids(rt: Runtime, instance_ids: list[str]) -> dict[str, str]:
    """The deployed version id each instance runs (for rows that name only their instance)."""
    if not instance_ids:
        return {}
    with rt.uow() as uow:
        return dict(uow.session.execute(select(Instance.id, Instance.definition_version_id)
                                        .where(Instance.id.in_(sorted(set(instance_ids))))).all())
