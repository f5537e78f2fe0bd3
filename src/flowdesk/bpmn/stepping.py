"""How one command steps an instance: how far (call depth, time) and finishing a task.

A process that calls itself (directly or through others) before any wait state nests call
activities for ever, and a loop of engine tasks with no wait state never returns: both would
hold the instance's lock (on SQLite, the whole database) for good. :class:`StepGuard` is
asked before every engine task runs and stops the step with an :class:`ExecutionError`
naming the element, so the command fails before anything is saved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException

from .errors import ExecutionError, error_from

# Completed tasks pile up in a loop without a wait state; past ~1,000 tree levels SpiffWorkflow
# no longer sees the task to run next. The step pauses this often so the caller can prune.
PAUSE_EVERY = 100


@dataclass(frozen=True)
class StepLimits:
    """``max_call_depth``: call activities nested inside one another; ``budget_seconds``: the
    wall-clock time one command may spend running an instance's engine tasks."""

    max_call_depth: int = 32
    budget_seconds: float = 10.0


class Pause(Exception):
    """Raised before a task runs (leaving it READY) so the caller can prune, then step on."""


def _calls_above(workflow) -> list[str]:
    """Element ids of the call activities ``workflow`` runs inside, innermost first."""
    calls = []
    while getattr(workflow, "parent_task_id", None) is not None:
        parent_task = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        if isinstance(parent_task.task_spec, CallActivity):
            calls.append(parent_task.task_spec.bpmn_id)
        workflow = parent_task.workflow
    return calls


class StepGuard:
    """Checks, before each engine task, the call depth of its (sub)process and the time spent."""

    def __init__(self, limits: StepLimits):
        self.limits = limits
        self._deadline: float | None = None
        self._checked: set = set()  # ids of the subprocesses whose depth was checked
        self._steps = 0

    def start(self) -> None:
        """Start the clock (once: the budget is for everything this command steps)."""
        if self._deadline is None:
            self._deadline = time.monotonic() + self.limits.budget_seconds

    def before(self, task) -> None:
        """SpiffWorkflow's ``will_complete_task`` callback."""
        spec = task.task_spec
        if time.monotonic() > self._deadline:
            raise ExecutionError(
                f"the instance ran engine tasks for more than {self.limits.budget_seconds:g} s without reaching "
                f"a wait state (a loop with no user task, timer or message in it?); stopped before "
                f"'{spec.bpmn_id or spec.name}'", element_id=spec.bpmn_id)
        workflow = task.workflow
        if workflow is not workflow.top_workflow and id(workflow) not in self._checked:
            self._checked.add(id(workflow))
            calls = _calls_above(workflow)
            if len(calls) > self.limits.max_call_depth:
                raise ExecutionError(
                    f"call activity '{calls[0]}' nests calls more than {self.limits.max_call_depth} deep "
                    f"(a process that calls itself, directly or through others, without ending)",
                    element_id=calls[0])
        self._steps += 1
        if self._steps % PAUSE_EVERY == 0:
            raise Pause()


def finish(task, finish) -> None:
    """Call ``finish`` (completing ``task``), failing as an :class:`ExecutionError`.

    Completing a task also sets up the next ones: a multi-instance activity without its
    collection raises a bare TypeError from SpiffWorkflow there, named here after that activity.
    """
    try:
        finish()
    except (SpiffWorkflowException, WorkflowException) as exc:
        raise error_from(exc) from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        for child in task.children:
            spec = child.task_spec
            collection = getattr(getattr(spec, "data_input", None), "bpmn_id", None)
            if collection is not None and task.data.get(collection) is None:
                raise ExecutionError(f"multi-instance activity '{spec.bpmn_id}' has no collection: variable "
                                     f"'{collection}' is not set", element_id=spec.bpmn_id) from exc
        following = ", ".join(f"'{c.task_spec.bpmn_id}'" for c in task.children if c.task_spec.bpmn_id)
        raise ExecutionError(f"{type(exc).__name__}: {exc} (preparing {following or 'the next step'} after "
                             f"'{task.task_spec.bpmn_id}')", element_id=task.task_spec.bpmn_id) from exc
