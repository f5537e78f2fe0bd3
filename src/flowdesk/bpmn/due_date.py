"""Due dates as modelers write them: an ISO date/time or an ISO duration from now."""

from __future__ import annotations

from datetime import datetime

from ..utc import as_utc
from .durations import looks_like_duration, parse_duration


def resolve_due_date(expression: str | None, now: datetime) -> datetime | None:
    """``P2D`` -> now + 2 days; ``2026-12-01T09:00:00Z`` -> that instant; None when empty.

    ValueError says why anything else (a negative duration too: a new ticket cannot be due
    before it opens) gives no due date.
    """
    if not expression or not expression.strip():
        return None
    text = expression.strip()
    if looks_like_duration(text.upper()):
        return parse_duration(text).forward("a due date counts forward from now, so its duration").after(now)
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"'{text}' is neither an ISO 8601 duration nor an ISO 8601 date") from None
