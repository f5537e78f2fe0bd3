"""Due dates as modelers write them: an ISO date/time or an ISO duration from now."""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from ..utc import as_utc


def resolve_due_date(expression: str | None, now: datetime) -> datetime | None:
    """``P2D`` -> now + 2 days; ``2026-12-01T09:00:00Z`` -> that instant; else None."""
    if not expression:
        return None
    text = expression.strip()
    try:
        if text.upper().startswith("P"):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception for bad durations
        return None
    return as_utc(value)
