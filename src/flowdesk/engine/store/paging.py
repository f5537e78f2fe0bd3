"""Keyset (cursor) paging: opaque cursors over a stable ``(created_at, id)`` order."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_

from .errors import InvalidInput

MAX_LIMIT = 200


@dataclass
class Page:
    items: list
    next_cursor: str | None


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


def apply(query, model, after: str | None, limit: int):
    """Order ``query`` by (created_at, id), start after ``after``, fetch one extra row."""
    if after:
        created_at, id_ = decode_cursor(after)
        query = query.where(or_(model.created_at > created_at,
                                and_(model.created_at == created_at, model.id > id_)))
    return query.order_by(model.created_at, model.id).limit(limit + 1)


def page_of(rows: list, limit: int) -> Page:
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor(rows[-1].created_at, rows[-1].id))
    return Page(rows, None)
