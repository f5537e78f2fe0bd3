"""Changing the variables of a running instance from outside (an operator's correction).

Every live token (a task that is ready, waiting or started) gets the change, so whatever runs
next sees it; so does the last completed step, which is where the instance's variables are read.
"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from .execution import Execution

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def write(execution: Execution, updates: dict, deletions: list[str]) -> None:
    """Set ``updates`` and remove ``deletions`` in every scope the instance will read them from."""
    workflow = execution.workflow
    scopes = list(workflow.get_tasks(state=LIVE))
    if workflow.last_task is not None:
        scopes.append(workflow.last_task)
    scopes.append(workflow.task_tree)
    for task in scopes:
        for name in deletions:
            task.data.pop(name, None)
        task.data.update(updates)
