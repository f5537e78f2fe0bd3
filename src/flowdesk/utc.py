"""UTC instants: every time the server stores or compares is timezone-aware UTC.

Naive values (SQLite returns them, modelers write them) are taken as UTC, never as the
server's local zone, so a deadline does not move with the machine it is read on.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The wall clock as aware UTC (the runtime's default clock)."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC: a naive value is UTC already, an aware one is converted."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
