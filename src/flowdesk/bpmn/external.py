"""External tasks: service tasks that workers outside flowdesk fetch by topic and complete."""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.util.task import TaskState

from . import local_scope
from .action import PARAMETERS, ActionTask
from .execution import Execution


@dataclass
class WaitingExternalTask:
    task_id: str
    element_id: str
    topic: str
    variables: dict = field(default_factory=dict)
    retries: int | None = None  # as the model declares them (zeebe:taskDefinition retries)
    headers: dict = field(default_factory=dict)  # zeebe:taskHeaders, for the worker
    # The task's own variables: its input mappings and connector parameters (Camunda's local variables).
    local_variables: dict = field(default_factory=dict)
    priority: int = 0  # camunda:taskPriority: workers fetching by priority take higher ones first


def waiting(execution: Execution) -> list[WaitingExternalTask]:
    """Every STARTED external task, with the variables a worker gets when it fetches it."""
    found = []
    for task in execution.workflow.get_tasks(state=TaskState.STARTED):
        spec = task.task_spec
        if isinstance(spec, ActionTask) and spec.is_external:
            parameters = task.internal_data.get(PARAMETERS, {})
            found.append(WaitingExternalTask(str(task.id), spec.bpmn_id, spec.action["topic"],
                                             {**task.data, **parameters},
                                             spec.action.get("retries"), dict(spec.action.get("headers") or {}),
                                             {**local_scope.local_variables(task), **parameters},
                                             spec.action.get("priority", 0)))
    found.sort(key=lambda t: (t.element_id, t.task_id))
    return found


def complete(execution: Execution, task_id: str, variables: dict, local_variables: dict | None = None) -> None:
    """Finish an external task with the worker's variables and run on.

    ``local_variables`` are set in the task's own scope: its output mappings read them, the
    process does not get them (Camunda 7's ``localVariables`` of a complete).
    """
    task = execution._started_action(task_id)  # noqa: SLF001 - same package, same rule for both kinds
    task.data.update(variables or {})
    local_scope.set_local(task, local_variables or {})
    execution.complete_action(task_id, None, None)


def raise_error(execution: Execution, task_id: str, code: str, variables: dict | None,
                error_message: str | None) -> bool:
    """Raise BPMN error ``code`` from an external task, its ``variables`` set first (as Camunda does).

    The variables go to the task and to the scope its boundary events run in, so the path that
    catches the error sees them. False (nothing changed) when no event catches the error.
    """
    task = execution._started_action(task_id)  # noqa: SLF001 - same package
    before = (dict(task.data), dict(task.parent.data) if task.parent is not None else None)
    for scope in (task, task.parent):
        if scope is not None:
            scope.data.update(variables or {})
    if execution.throw_error(task_id, code, {**(variables or {}), "error_message": error_message}):
        return True
    task.data.clear()
    task.data.update(before[0])
    if task.parent is not None:
        task.parent.data.clear()
        task.parent.data.update(before[1])
    return False
