"""Timer events on an injectable clock (cron cycles in :mod:`.cron`), and what an instance's timers wait for.

SpiffWorkflow's timer definitions read ``datetime.now()`` themselves; the subclasses here read
the clock :class:`~flowdesk.bpmn.execution.Execution` puts on the top workflow, so a scheduler
(and a test) decides what "now" is. Their internal data keeps SpiffWorkflow's layout, and they
serialize under SpiffWorkflow's type names, so stored specs and states restore into them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from ..utc import as_utc, utc_now  # noqa: F401 - also this module's names for them
from .cron import Cron, is_cron
from .durations import parse_duration
from .events import waiting_catches

CLOCK_ATTRIBUTE = "flowdesk_clock"
# Internal data of a timer that is held (see escalations.hold): it does not fire while set.
HELD_SINCE = "flowdesk_held_since"


def now_for(task) -> datetime:
    """The time of the workflow ``task`` belongs to: its Execution's clock, else real time."""
    clock = getattr(task.workflow.top_workflow, CLOCK_ATTRIBUTE, None)
    return as_utc(clock() if clock is not None else utc_now())


def parse_date(value) -> datetime:
    """An ISO date-time (or ISO week date) string or a datetime -> aware UTC datetime."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str):
        raise ValueError(f"a timer date must be an ISO 8601 string, not {type(value).__name__}")
    text = value.strip()
    if re.match(r"^\d{4}-?W\d{2}", text.upper()):
        return TimerEventDefinition.parse_iso_week(text)
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def duration_from(text, start: datetime) -> timedelta:
    """``P1DT2H`` -> the timedelta it means when counted from ``start`` (months vary)."""
    duration = parse_duration(text).forward("a timer waits forward in time, so its duration")
    return duration.after(start) - start


# --- timer definitions on the workflow's clock --------------------------------------------

def _recurring(expression: str, now: datetime) -> dict:
    """``R3/PT1M`` or a cron expression -> the cycle state SpiffWorkflow keeps in ``event_value``."""
    if is_cron(expression):
        return {"cycles": -1, "next": Cron(expression).next_after(now).isoformat(), "duration": 0, "cron": expression}
    components = expression.upper().replace("--", "/").strip("R").split("/")
    if len(components) in (2, 3) and components[-1].lstrip("+-").startswith("P"):
        # "R3/PT1M" starts one interval from now (SpiffWorkflow would take real time here);
        # "R3/<start>/PT1M" at its start.
        start = parse_date(components[1]) if len(components) == 3 else None
        duration = duration_from(components[-1], start or now)
        if duration <= timedelta(0):
            raise ValueError(f"'{expression}' repeats every {components[-1]}; a cycle's interval must be longer than zero")
        cycles = int(components[0]) if components[0] else -1
        first = start or now + duration
        return {"cycles": cycles, "next": first.isoformat(), "duration": duration.total_seconds()}
    cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
    return {"cycles": cycles, "next": as_utc(start).isoformat(), "duration": duration.total_seconds()}


class ClockedTimeDateEventDefinition(TimeDateEventDefinition):
    """A timeDate timer that fires when the workflow's clock reaches the date."""

    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = parse_date(value).isoformat()
            my_task._set_internal_data(event_value=event_value)
        # "<=": a scheduler that wakes exactly at the due time must see the timer fire.
        if HELD_SINCE not in my_task.internal_data and parse_date(event_value) <= now_for(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedDurationTimerEventDefinition(DurationTimerEventDefinition):
    """A timeDuration timer counted from when the workflow's clock first saw it waiting."""

    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        now = now_for(my_task)
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = (now + duration_from(value, now)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if HELD_SINCE not in my_task.internal_data and parse_date(event_value) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedCycleTimerEventDefinition(CycleTimerEventDefinition):
    """A timeCycle timer (ISO ``R3/PT1M`` or cron) on the workflow's clock."""

    def cycle_complete(self, my_task):
        now = now_for(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if not isinstance(value, str):
                raise ValueError(f"a timer cycle must be a string, not {type(value).__name__}")
            event_value = _recurring(value.strip(), now)
        ready = False
        if HELD_SINCE in my_task.internal_data:
            my_task._set_internal_data(event_value=event_value)
            return False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                if event_value.get("cron"):
                    # Missed cron occurrences are skipped, as Camunda does, rather than replayed.
                    following = Cron(event_value["cron"]).next_after(max(next_event, now))
                else:
                    following = next_event + timedelta(seconds=event_value["duration"])
                event_value["next"] = following.isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=event_value)
        return ready


CLOCKED_TIMERS = {
    TimeDateEventDefinition: ClockedTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockedDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockedCycleTimerEventDefinition,
}
KINDS = {
    ClockedTimeDateEventDefinition: "date",
    ClockedDurationTimerEventDefinition: "duration",
    ClockedCycleTimerEventDefinition: "cycle",
    TimeDateEventDefinition: "date",
    DurationTimerEventDefinition: "duration",
    CycleTimerEventDefinition: "cycle",
}


def clocked(definition: TimerEventDefinition) -> TimerEventDefinition:
    """The clocked equivalent of a SpiffWorkflow timer definition."""
    cls = CLOCKED_TIMERS.get(type(definition))
    if cls is None:
        return definition
    return cls(definition.name, definition.expression, description=definition.description)


def literal(expression: str | None):
    """The value of a quoted literal timer expression, or None if it is a real expression."""
    try:
        value = ast.literal_eval((expression or "").strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def check_literal(kind: str, expression: str | None) -> None:
    """Raise ValueError for a literal timer value that can never be evaluated."""
    value = literal(expression)
    if value is None:
        return
    now = utc_now()
    if kind == "date":
        parse_date(value)
    elif kind == "duration":
        duration_from(value, now)
    else:
        _recurring(value.strip(), now)


# --- what an instance waits for ----------------------------------------------------------

@dataclass
class WaitingTimer:
    """A timer an instance is waiting on: the scheduler wakes the instance at ``due``."""

    task_id: str
    element_id: str
    due: datetime
    kind: str


def _timer_due(task) -> datetime | None:
    event_value = task.internal_data.get("event_value")
    if event_value is None or HELD_SINCE in task.internal_data:
        return None
    if isinstance(event_value, dict):
        return parse_date(event_value["next"]) if event_value.get("cycles", 0) != 0 else None
    return parse_date(event_value)


def timer_due(task) -> datetime | None:
    """When the WAITING timer catch ``task`` fires next (None: not armed, held, or a finished cycle)."""
    return _timer_due(task)


def waiting_timers(workflow) -> list[WaitingTimer]:
    """Every WAITING timer of the instance, subprocesses and boundary events included."""
    timers = []
    for task, definition, element_id in waiting_catches(workflow):
        if not isinstance(definition, TimerEventDefinition):
            continue
        due = _timer_due(task)
        if due is not None:
            timers.append(WaitingTimer(str(task.id), element_id, due, KINDS.get(type(definition), "date")))
    timers.sort(key=lambda t: (t.due, t.element_id, t.task_id))
    return timers


# --- timer start events ------------------------------------------------------------------

@dataclass
class TimerStart:
    """A timer start event: when the server should create new instances of the process.

    ``value`` is the literal timer value (``"PT5M"``, ``"R/P1D"``, ``"0 0 9 * * ?"``) or None
    when the model computes it with an expression (no variables exist before an instance does).
    """

    element_id: str
    kind: str
    expression: str
    value: str | None

    def next_due(self, reference: datetime, after: datetime) -> datetime | None:
        """The first start strictly after ``after``; ``reference`` is when counting began (deployment).

        ``date``: the date itself; ``duration``: ``reference`` + duration, once; ``cycle``: every
        repetition from ``reference`` (or the interval's own start), or the next cron match.
        """
        if self.value is None:
            return None
        reference, after = as_utc(reference), as_utc(after)
        if self.kind == "date":
            due = parse_date(self.value)
            return due if due > after else None
        if self.kind == "duration":
            due = reference + duration_from(self.value, reference)
            return due if due > after else None
        if is_cron(self.value):
            return Cron(self.value).next_after(max(after, reference - timedelta(seconds=1)))
        cycle = _recurring(self.value.strip(), reference)
        due, step, remaining = parse_date(cycle["next"]), timedelta(seconds=cycle["duration"]), cycle["cycles"]
        while due <= after and remaining != 0 and step > timedelta(0):
            due, remaining = due + step, remaining - 1
        return due if due > after and remaining != 0 else None


def timer_starts(spec) -> list[TimerStart]:
    """The timer start events of a top-level process spec (SpiffWorkflow ``BpmnProcessSpec``)."""
    starts = []
    for start in spec.bpmn_start_events:
        definition = start.event_definition
        if isinstance(definition, TimerEventDefinition):
            kind = KINDS.get(type(definition), "date")
            starts.append(TimerStart(start.bpmn_id, kind, definition.expression, literal(definition.expression)))
    starts.sort(key=lambda s: s.element_id)
    return starts


def fire_timer_starts(workflow, now: datetime, element_id: str | None = None) -> None:
    """Mark a new workflow's timer start events (or the one ``element_id``) as fired at ``now``."""
    for task in workflow.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(task.task_spec, StartEvent) or not isinstance(definition, TimerEventDefinition):
            continue
        if element_id is not None and task.task_spec.bpmn_id != element_id:
            continue
        if isinstance(definition, CycleTimerEventDefinition):
            # A cycle start event only gets a path to follow when a cycle passes: make it one
            # last cycle, due now; the scheduler, not the instance, starts the next one.
            task._set_internal_data(event_value={"cycles": 1, "next": now.isoformat(), "duration": 0})
        else:
            task._set_internal_data(event_fired=True)
