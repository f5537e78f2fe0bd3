"""What the people working an instance see: READY user and manual tasks, the source of tickets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.util.task import TaskState

from .escalations import attached_timers
from .human_task_parser import task_properties
from .timers import timer_due

_VARIABLE_REF = re.compile(r"^\s*[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$")


@dataclass
class WaitingUserTask:
    """A READY user or manual task: the source of one ticket."""

    task_id: str
    element_id: str
    name: str
    lane: str | None
    documentation: str | None
    assignee: str | None
    candidate_users: list[str]
    candidate_groups: list[str]
    priority: int | None
    due_date: str | None
    form: dict | None
    data: dict = field(default_factory=dict)
    # Extension properties (process, spiffworkflow, camunda): assignment, approval, sla, calendar...
    properties: dict = field(default_factory=dict)
    # Timer boundary events on the task, the diagram's own SLA: when the first interrupting one
    # fires (the breach path) and the first non-interrupting one (a warning).
    timer_deadline: datetime | None = None
    timer_warning: datetime | None = None
    # When to look at it again (camunda:followUpDate, zeebe:taskSchedule followUpDate): as due_date.
    follow_up_date: str | None = None


def _boundary_timers(task) -> tuple[datetime | None, datetime | None]:
    """(earliest interrupting, earliest non-interrupting) due time of the timers attached to ``task``."""
    deadlines, warnings = [], []
    for sibling in attached_timers(task):
        spec = sibling.task_spec
        due = timer_due(sibling) if sibling.state == TaskState.WAITING else None
        if due is not None:
            (deadlines if getattr(spec, "cancel_activity", True) else warnings).append(due)
    return min(deadlines, default=None), min(warnings, default=None)


def _resolve(value: str | None, data: dict) -> str | None:
    """``${name}`` / ``#{name}`` in an assignment attribute names a process variable."""
    if not value:
        return None
    match = _VARIABLE_REF.match(value)
    if match:
        resolved = data.get(match.group(1))
        return None if resolved is None else str(resolved)
    return value


def _resolve_list(values: list[str], data: dict) -> list[str]:
    out: list[str] = []
    for value in values:
        match = _VARIABLE_REF.match(value)
        resolved = data.get(match.group(1)) if match else value
        if isinstance(resolved, str):
            out.extend(part.strip() for part in resolved.split(",") if part.strip())
        elif isinstance(resolved, list):  # Camunda 8 candidate lists are lists
            out.extend(str(part).strip() for part in resolved if str(part).strip())
        elif resolved is not None:
            out.append(str(resolved))
    return out


def waiting_user_tasks(workflow) -> list[WaitingUserTask]:
    """Every READY user or manual task of ``workflow``, in a stable order."""
    waiting = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        details = (getattr(spec, "extensions", None) or {}).get("ticket", {})
        form = None
        if (details.get("form_fields") or details.get("form_key") or details.get("form_schema_file")
                or details.get("form_schema")):
            form = {
                "key": details.get("form_key"),
                "schema": details.get("form_schema"),
                "fields": details.get("form_fields", []),
                "schema_file": details.get("form_schema_file"),
                "ui_schema_file": details.get("form_ui_schema_file"),
                # A model that wants data beyond the formData fields says so per task.
                "free_data": str(task_properties(spec.extensions).get("free_data") or "").lower() == "true",
            }
        priority = details.get("priority")
        try:
            priority = int(_resolve(priority, task.data)) if priority not in (None, "") else None
        except (TypeError, ValueError):  # TypeError: ``${var}`` names an unset variable
            priority = None
        waiting.append(WaitingUserTask(
            task_id=str(task.id),
            element_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane,
            documentation=spec.documentation,
            assignee=_resolve(details.get("assignee"), task.data),
            candidate_users=_resolve_list(details.get("candidate_users", []), task.data),
            candidate_groups=_resolve_list(details.get("candidate_groups", []), task.data),
            priority=priority,
            due_date=_resolve(details.get("due_date"), task.data),
            follow_up_date=_resolve(details.get("follow_up_date"), task.data),
            form=form,
            data=dict(task.data),
            properties=task_properties(getattr(spec, "extensions", None) or {}),
        ))
        waiting[-1].timer_deadline, waiting[-1].timer_warning = _boundary_timers(task)
    waiting.sort(key=lambda w: (w.element_id, w.task_id))
    return waiting
