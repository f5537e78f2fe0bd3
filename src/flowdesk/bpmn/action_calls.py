"""The calls a running instance waits for: its STARTED action tasks, each with its request built now.

A flowdesk action sends its declared URL and headers, and its body expression evaluated on the
task data (without one, a POST/PUT/PATCH sends the variables). A SpiffArena connector's
parameters are expressions too (:mod:`.connectors`).
"""

from __future__ import annotations

from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import connectors
from .action import ActionCall, ActionTask
from .errors import ExecutionError, error_from


def pending(workflow) -> list[ActionCall]:
    """Every STARTED action task of ``workflow`` with its call, in element order."""
    calls = [_call_of(workflow, task) for task in workflow.get_tasks(state=TaskState.STARTED)
             if isinstance(task.task_spec, ActionTask) and not task.task_spec.is_external]
    calls.sort(key=lambda c: (c.element_id, c.task_id))
    return calls


def _call_of(workflow, task) -> ActionCall:
    spec, evaluate = task.task_spec, workflow.script_engine.evaluate
    action = spec.action
    body = dict(task.data) if action["method"] in ("POST", "PUT", "PATCH") else None
    if action.get("body"):
        try:
            body = evaluate(task, action["body"])
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise error_from(exc) from exc
    url, headers = action["url"], dict(action.get("headers") or {})
    if (action.get("result_shape") or {}).get("kind") == connectors.SPIFFARENA:
        try:
            connectors.check_body(body)
            url, headers = connectors.resolve(url, headers, action.get("expressions") or {},
                                              lambda expression: evaluate(task, expression))
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise error_from(exc) from exc
        except ValueError as exc:
            raise ExecutionError(str(exc), element_id=spec.bpmn_id) from exc
    return ActionCall(
        task_id=str(task.id), element_id=spec.bpmn_id, url=url, method=action["method"],
        headers=headers, body=body, timeout=action["timeout"],
        retries=action["retries"], mode=action["mode"], result_variable=action.get("result_variable"),
        errors=dict(action.get("errors") or {}), result_shape=action.get("result_shape"),
    )
