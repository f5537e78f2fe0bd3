"""Running one process instance: start, restore, step, and say what it is waiting for."""

from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import serializer
from .action import ActionCall, ActionTask
from .errors import ExecutionError
from .model import ProcessSpec
from .script_engine import restricted_script_engine

_VARIABLE_REF = re.compile(r"^\s*[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$")


class TaskNotReady(Exception):
    """The task does not exist in this instance or is not in the state the command needs."""


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
        resolved = _resolve(value, data) if _VARIABLE_REF.match(value) else value
        if isinstance(resolved, str):
            out.extend(part.strip() for part in resolved.split(",") if part.strip())
    return out


def _error_from(exc: Exception) -> ExecutionError:
    task = getattr(exc, "task", None)
    element_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None) if task else None
    line = getattr(exc, "line_number", None) or None
    message = str(exc)
    notes = getattr(exc, "__notes__", None)
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    return ExecutionError(message, element_id=element_id, line=line)


class Execution:
    """A SpiffWorkflow workflow plus the operations the server needs from it."""

    def __init__(self, workflow: BpmnWorkflow):
        self.workflow = workflow

    @classmethod
    def start(cls, process: ProcessSpec, variables: dict | None = None) -> "Execution":
        """Create a new instance with ``variables`` and run it to its first wait state."""
        workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=restricted_script_engine())
        workflow.task_tree.data.update(variables or {})
        execution = cls(workflow)
        execution.run()
        return execution

    @classmethod
    def restore(cls, process: ProcessSpec, state: dict, state_format: str = serializer.STATE_FORMAT) -> "Execution":
        """Rebuild an instance from saved state against its (cached) process spec."""
        workflow = serializer.state_from_dict(state, process.spec, process.subprocess_specs, state_format)
        return cls(workflow)

    def dump(self) -> dict:
        """The state to save: JSON-ready, without the spec."""
        return serializer.state_to_dict(self.workflow)

    def run(self) -> None:
        """Advance every engine task that can run without a person or a worker."""
        try:
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps()
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _error_from(exc) from exc

    def complete_user_task(self, task_id: str, data: dict) -> None:
        """Complete a READY user/manual task with ``data`` and run on to the next wait state."""
        task = self._ready_human_task(task_id)
        task.data.update(data)
        try:
            task.run()
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _error_from(exc) from exc
        self.run()

    def _ready_human_task(self, task_id: str):
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, WorkflowException, KeyError):
            task = None
        # Task.run() does not check state: a completed or future task must be refused here.
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        return task

    def _started_action(self, task_id: str):
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, WorkflowException, KeyError):
            task = None
        if task is None or task.state != TaskState.STARTED or not isinstance(task.task_spec, ActionTask):
            raise TaskNotReady(task_id)
        return task

    def pending_actions(self) -> list[ActionCall]:
        """Every STARTED action task with the call it waits for (its body evaluated now)."""
        calls = []
        for task in self.workflow.get_tasks(state=TaskState.STARTED):
            spec = task.task_spec
            if not isinstance(spec, ActionTask) or spec.is_external:
                continue
            action = spec.action
            # Without a body expression a POST/PUT/PATCH sends the variables; GET/DELETE nothing.
            body = dict(task.data) if action["method"] in ("POST", "PUT", "PATCH") else None
            if action.get("body"):
                try:
                    body = self.workflow.script_engine.evaluate(task, action["body"])
                except (SpiffWorkflowException, WorkflowException) as exc:
                    raise _error_from(exc) from exc
            calls.append(ActionCall(
                task_id=str(task.id), element_id=spec.bpmn_id, url=action["url"], method=action["method"],
                headers=dict(action.get("headers") or {}), body=body, timeout=action["timeout"],
                retries=action["retries"], mode=action["mode"], result_variable=action.get("result_variable"),
                errors=dict(action.get("errors") or {}),
            ))
        calls.sort(key=lambda c: (c.element_id, c.task_id))
        return calls

    def complete_action(self, task_id: str, result, result_variable: str | None) -> None:
        """Finish a STARTED action task with the action's response and run on."""
        task = self._started_action(task_id)
        if result_variable:
            task.data[result_variable] = result
        try:
            task.complete()
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _error_from(exc) from exc
        self.run()

    def throw_error(self, task_id: str, code: str, payload: dict | None = None) -> bool:
        """Raise BPMN error ``code`` from a STARTED action task.

        Returns False (and changes nothing) when no boundary or event subprocess catches it.
        """
        task = self._started_action(task_id)
        manager = self.workflow.event_manager
        for waiting in manager.tasks.values():
            definition = getattr(waiting.task_spec, "event_definition", None)
            if not isinstance(definition, ErrorEventDefinition) or definition.code not in (None, code):
                continue
            # Definitions match on class and code; copy the catcher's so a dialect subclass matches.
            thrown = copy(definition)
            thrown.code = code
            event = BpmnEvent(thrown, payload=payload or {}, target=task.workflow)
            if waiting.task_spec.catches(waiting, event):
                manager.catch(event)
                self.run()
                return True
        return False

    @property
    def is_completed(self) -> bool:
        return self.workflow.is_completed()

    @property
    def reached_end_event(self) -> bool:
        """True when a top-level end event completed (not just 'nothing left to do')."""
        return any(
            isinstance(t.task_spec, EndEvent) and t.state == TaskState.COMPLETED
            for t in self.workflow.tasks.values()
        )

    @property
    def variables(self) -> dict:
        """The process variables as the last completed step left them."""
        if self.workflow.is_completed():
            return dict(self.workflow.data)
        last = self.workflow.last_task
        if last is not None:
            return dict(last.data)
        return dict(self.workflow.task_tree.data)

    def user_tasks(self) -> list[WaitingUserTask]:
        """Every READY user or manual task, in a stable order."""
        waiting = []
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            details = (getattr(spec, "extensions", None) or {}).get("ticket", {})
            form = None
            if details.get("form_fields") or details.get("form_key") or details.get("form_schema_file"):
                form = {
                    "key": details.get("form_key"),
                    "fields": details.get("form_fields", []),
                    "schema_file": details.get("form_schema_file"),
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
                form=form,
                data=dict(task.data),
            ))
        waiting.sort(key=lambda w: (w.element_id, w.task_id))
        return waiting
