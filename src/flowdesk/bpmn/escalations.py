"""Timer boundary events on human tasks: the diagram's own SLA.

When one fires, the ticket of the task it is attached to is escalated (an interrupting timer also
takes the task away). While a ticket waits on someone outside, its timers are held: they do not
fire, and when the ticket resumes they are due later by the time it waited, like its due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from .timers import HELD_SINCE, as_utc, parse_date, timer_due


@dataclass(frozen=True)
class Escalation:
    """A timer boundary event that fired on a waiting human task."""

    task_id: str  # the human task (its ticket's task)
    element_id: str  # the timer boundary event
    due: datetime
    interrupting: bool


def attached_timers(task) -> list:
    """The timer boundary event tasks attached to ``task`` (armed or not)."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return []
    return [sibling for sibling in parent.children
            if sibling is not task and isinstance(getattr(sibling.task_spec, "event_definition", None),
                                                  TimerEventDefinition)]


def _cycles_left(timer) -> int | None:
    value = timer.internal_data.get("event_value")
    return value.get("cycles") if isinstance(value, dict) else None


class Watch:
    """The armed timers on READY human tasks before a step, to tell afterwards which of them fired."""

    def __init__(self, workflow):
        self._armed = []
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            for timer in attached_timers(task):
                due = timer_due(timer) if timer.state == TaskState.WAITING else None
                if due is not None:
                    self._armed.append((task, timer, due, _cycles_left(timer)))

    def fired(self) -> list[Escalation]:
        """The watched timers that fired since: left WAITING, or a cycle that counted down."""
        out = []
        for task, timer, due, cycles in self._armed:
            went_off = bool(timer.state & (TaskState.READY | TaskState.COMPLETED))
            if not went_off and cycles is not None and timer.state == TaskState.WAITING:
                went_off = _cycles_left(timer) != cycles
            if went_off:
                out.append(Escalation(str(task.id), timer.task_spec.bpmn_id, due,
                                      bool(getattr(timer.task_spec, "cancel_activity", True))))
        return out


def hold(task, now: datetime) -> int:
    """Stop the armed timers on human ``task`` from firing; returns how many were held."""
    held = 0
    for timer in attached_timers(task):
        if timer.state == TaskState.WAITING and HELD_SINCE not in timer.internal_data:
            timer.internal_data[HELD_SINCE] = as_utc(now).isoformat()
            held += 1
    return held


def release(task, now: datetime) -> list[tuple[str, str, str]]:
    """Re-arm the held timers on ``task``, due later by the time they were held.

    Returns (element id, due before, due now) for each timer moved.
    """
    moved = []
    for timer in attached_timers(task):
        since = timer.internal_data.pop(HELD_SINCE, None)
        if since is None:
            continue
        waited = max(timedelta(0), as_utc(now) - parse_date(since))
        value = timer.internal_data.get("event_value")
        if isinstance(value, dict) and value.get("next"):
            before = value["next"]
            value["next"] = (parse_date(before) + waited).isoformat()
            after = value["next"]
        elif isinstance(value, str):
            before, after = value, (parse_date(value) + waited).isoformat()
            timer.internal_data["event_value"] = after
        else:
            continue
        moved.append((timer.task_spec.bpmn_id, before, after))
    return moved
