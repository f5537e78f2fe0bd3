"""Keyset (cursor) paging: opaque cursors over a stable order, ``(created_at, id)`` or a unique name."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from .errors import InvalidInput

MAX_LIMIT = 200
# Counting stops here (``total_capped``), so a total costs at most this many index entries.
COUNT_CAP = 10_000
SORTS = ("created", "-created")


@dataclass
class Page:
    items: list
    next_cursor: str | None
    total: int | None = None  # asked for: how many match, up to COUNT_CAP
    total_capped: bool = False


def encode_cursor(created_at: datetime, id_: str) -> str:
    raw = json.dumps([created_at.isoformat(), id_]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, id_ = json.loads(raw)
        return datetime.fromisoformat(created_at), str(id_)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]}) from exc


def check_limit(limit: int | None, default: int = 50) -> int:
    if limit is None:
        return default
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("invalid limit", {"limit": [f"must be between 1 and {MAX_LIMIT}"]})
    return limit


def check_sort(sort: str) -> bool:
    """Whether ``sort`` (``created`` or ``-created``) is descending; InvalidInput otherwise."""
    if sort not in SORTS:
        raise InvalidInput("invalid sort", {"sort": [f"one of {', '.join(SORTS)}"]})
    return sort.startswith("-")


def apply(query, model, after: str | None, limit: int, descending: bool = False):
    """Order ``query`` by (created_at, id), newest first when ``descending``, start after
    ``after``, fetch one extra row."""
    if after:
        created_at, id_ = decode_cursor(after)
        beyond = (lambda column, value: column < value) if descending else (lambda column, value: column > value)
        query = query.where(or_(beyond(model.created_at, created_at),
                                and_(model.created_at == created_at, beyond(model.id, id_))))
    order = (model.created_at.desc(), model.id.desc()) if descending else (model.created_at, model.id)
    return query.order_by(*order).limit(limit + 1)


def count(session, query) -> tuple[int, bool]:
    """How many rows ``query`` selects, up to COUNT_CAP; and whether there are more."""
    matching = query.limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(matching))
    return min(total, COUNT_CAP), total > COUNT_CAP


def page_of(rows: list, limit: int) -> Page:
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor(rows[-1].created_at, rows[-1].id))
    return Page(rows, None)


def encode_name_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([name]).encode()).decode().rstrip("=")


def decode_name_cursor(cursor: str) -> str:
    try:
        (name,) = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]}) from exc
    if not isinstance(name, str):
        raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]})
    return name


def apply_by_name(query, column, after: str | None, limit: int):
    """Order ``query`` by ``column`` (unique among the rows it selects), start after the cursor's
    name, fetch one extra row."""
    if after:
        query = query.where(column > decode_name_cursor(after))
    return query.order_by(column).limit(limit + 1)


def page_by_name(rows: list, limit: int, name_of: Callable = lambda row: row.name) -> Page:
    """The page of ``rows`` (fetched with :func:`apply_by_name`), its cursor the last row's name."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_name_cursor(name_of(rows[-1])))
    return Page(rows, None)


def every(page_after: Callable[[str | None], Page]) -> Iterator:
    """Every item of a paged list: ``page_after(cursor)`` gives each page in turn (for the CLI)."""
    after = None
    while True:
        page = page_after(after)
        yield from page.items
        if page.next_cursor is None:
            return
        after = page.next_cursor
