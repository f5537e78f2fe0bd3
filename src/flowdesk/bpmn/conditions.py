"""Conditional events: a waiting one fires once its condition holds on the process variables.

SpiffWorkflow evaluates a conditional catch event once, when the token reaches it, against
the data the token carried then: a condition another branch (a ticket, a message) makes true
later was never seen, and the instance waited for ever.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.util.task import TaskState


def _waiting_conditionals(workflow) -> list:
    workflows = [workflow, *workflow.subprocesses.values()]
    return [task for wf in workflows for task in wf.tasks.values()
            if task.state == TaskState.WAITING
            and isinstance(getattr(task.task_spec, "event_definition", None), ConditionalEventDefinition)]


def refresh(workflow, variables: dict) -> bool:
    """Evaluate every waiting conditional event again on its data updated with ``variables``
    (the process variables now); True when one fired (it is then READY and carries them)."""
    fired = False
    for task in _waiting_conditionals(workflow):
        before = task.data
        task.data = {**before, **variables}
        # Not task_spec._update: it first copies the parent's data back over the task's.
        if task.task_spec.event_definition.has_fired(task):
            task._ready()
            fired = True
        else:
            task.data = before
    return fired
