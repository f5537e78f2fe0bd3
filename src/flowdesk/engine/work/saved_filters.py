"""Saved inbox filters: a user keeps ``GET /tickets`` parameters under a name and reuses them."""

from __future__ import annotations

from sqlalchemy import func, select

from ..access.principal import Principal
from ..models import SavedFilter
from ..store import paging
from ..store.errors import Conflict, InvalidInput, NotFound
from ..store.runtime import Runtime

MAX_PER_USER = 100


def save(rt: Runtime, principal: Principal, name: str, query: dict) -> SavedFilter:
    """Keep ``query`` (already validated by the caller) as the principal's filter ``name``."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise InvalidInput("invalid filter name", {"name": ["1 to 100 characters"]})
    if not isinstance(query, dict):
        raise InvalidInput("invalid filter", {"query": ["an object of GET /tickets parameters"]})
    with rt.uow() as uow:
        mine = select(SavedFilter).where(SavedFilter.user_id == principal.user_id)
        if uow.session.scalar(mine.where(SavedFilter.name == name.strip())) is not None:
            raise Conflict(f"you already have a filter named '{name.strip()}'")
        count = select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == principal.user_id)
        if uow.session.scalar(count) >= MAX_PER_USER:
            raise Conflict(f"at most {MAX_PER_USER} saved filters per user")
        saved = SavedFilter(user_id=principal.user_id, name=name.strip(), query=query, created_at=rt.clock())
        uow.session.add(saved)
        uow.commit()
        return saved


def list_mine(rt: Runtime, principal: Principal, after: str | None = None,
              limit: int | None = None) -> paging.Page:
    """A page of the caller's saved filters, by name (unique per user)."""
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        query = select(SavedFilter).where(SavedFilter.user_id == principal.user_id)
        query = paging.apply_by_name(query, SavedFilter.name, after, limit)
        return paging.page_by_name(list(uow.session.scalars(query)), limit)


def get_mine(rt: Runtime, principal: Principal, filter_id: str) -> SavedFilter:
    """One of the principal's filters; another user's is 404 like a missing one."""
    with rt.uow() as uow:
        saved = uow.session.get(SavedFilter, filter_id)
        if saved is None or saved.user_id != principal.user_id:
            raise NotFound(f"saved filter '{filter_id}' does not exist")
        return saved


def delete(rt: Runtime, principal: Principal, filter_id: str) -> None:
    with rt.uow() as uow:
        saved = uow.session.get(SavedFilter, filter_id)
        if saved is None or saved.user_id != principal.user_id:
            raise NotFound(f"saved filter '{filter_id}' does not exist")
        uow.session.delete(saved)
        uow.commit()
