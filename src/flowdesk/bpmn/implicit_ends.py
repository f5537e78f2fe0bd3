"""Implicit ends: a token reaching an activity with no outgoing flow ends there (BPMN), as at an
end event. SpiffWorkflow only returns from a subprocess through an end event, so a subprocess
whose tokens all ended that way left its parent task started for ever."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState


def end_subprocesses(workflow) -> bool:
    """Return to the parent of every subprocess of ``workflow`` (the top-level one) with nothing
    left to do; True when one returned."""
    ended = False
    for sub in list(workflow.subprocesses.values()):
        parent = workflow.get_task_from_id(sub.parent_task_id)
        if (parent is None or parent.state != TaskState.STARTED or not isinstance(parent.task_spec, SubWorkflowTask)
                or any(not t.has_state(TaskState.FINISHED_MASK) for t in sub.tasks.values())):
            continue
        if sub.last_task is not None:
            sub.data.update(sub.last_task.data)
        parent.task_spec._on_subworkflow_completed(sub, parent)
        ended = True
    return ended
