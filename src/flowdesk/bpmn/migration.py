"""Moving a running instance onto another version of its process.

SpiffWorkflow's diff utilities align the old and the new spec (by element id, then by
structure); :func:`check` says whether the instance can follow, :func:`migrate` moves it.
What flowdesk adds on top of ``migrate_workflow``:

* nothing that waits (an open ticket, a running job, a waiting event, a running
  subprocess) may lose its element: such a migration is refused, never half-done;
* waiting tasks are not reset, so a ticket keeps its task (and the ticket its id), a timer
  its due time and a job its call; only what they predicted next is predicted again;
* finished tasks whose element is gone leave the instance's history (a restored state
  needs every task's element in the spec it is restored against);
* boundary events the new version attaches to a task that is already waiting are attached
  to it, as if the task had been reached on the new version: a boundary timer counts from
  the migration, a message or signal boundary waits from then on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins import SubWorkflowTaskMixin
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .action import ActionTask
from .errors import ExecutionError
from .execution import Execution
from .model import ProcessSpec
from .serializer import _REGISTRY

_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING
_UNSETTLED = TaskState.PREDICTED_MASK | TaskState.FUTURE
# migrate_workflow resets tasks in its mask (default READY|WAITING): that would restart timers
# and drop multi-instance items. No task is ever in this state, so it resets none.
_RESET_NONE = TaskState.ANY_MASK + 1


@dataclass
class MigrationCheck:
    """Whether an instance can move to a new spec, why not, and which of its elements change."""

    possible: bool
    reasons: list[str] = field(default_factory=list)
    affected_elements: list[str] = field(default_factory=list)


class MigrationRefused(ExecutionError):
    """:func:`migrate` was asked for a migration :func:`check` refuses."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _element(task) -> str:
    spec = task.task_spec
    return spec.bpmn_id or spec.name


def _what_waits(task) -> str:
    spec = task.task_spec
    if task.state == TaskState.READY and spec.manual:
        return "an open ticket"
    if task.state == TaskState.STARTED and isinstance(spec, ActionTask):
        return "an external task" if spec.is_external else "a running job"
    if task.state == TaskState.STARTED and isinstance(spec, SubWorkflowTaskMixin):
        return "a running subprocess"
    if task.state == TaskState.WAITING:
        return "a waiting event"
    return f"a {TaskState.get_name(task.state).lower()} task"


def _spec_diff(original, new) -> SpecDiff:
    diff = SpecDiff(_REGISTRY, original, new)
    # SpecDiff walks outputs from the start; event subprocesses hang off the start as trigger
    # specs instead, so align whatever the walk missed (by id, then along its outputs).
    for task_spec in list(original.task_specs.values()):
        if task_spec not in diff.alignment:
            diff._align(task_spec, original, new)
    return diff


def _diff(workflow, new_spec: ProcessSpec):
    """diff_workflow's answer, with every task spec aligned: (top diff, {subprocess id: diff or None})."""
    top = WorkflowDiff(workflow, _spec_diff(workflow.spec, new_spec.spec))
    subprocesses = {}
    for sp_id, subprocess in workflow.subprocesses.items():
        new = new_spec.subprocess_specs.get(subprocess.spec.name)
        subprocesses[sp_id] = WorkflowDiff(subprocess, _spec_diff(subprocess.spec, new)) if new else None
    return top, subprocesses


def _target(workflow, new_spec: ProcessSpec, parent) -> tuple[object, object]:
    """The new spec of the task ``parent`` and of the subprocess it runs (None where gone)."""
    owner = parent.workflow
    owner_spec = new_spec.spec if owner is workflow else new_spec.subprocess_specs.get(owner.spec.name)
    new_parent = owner_spec.task_specs.get(parent.task_spec.name) if owner_spec is not None else None
    return new_parent, new_spec.subprocess_specs.get(getattr(new_parent, "spec", None))


def check(execution: Execution, new_spec: ProcessSpec) -> MigrationCheck:
    """Can ``execution`` move to ``new_spec``? Reasons name every element in the way."""
    workflow = execution.workflow
    top, subprocess_diffs = _diff(workflow, new_spec)
    reasons: list[str] = []
    affected: set[str] = set()
    _check_workflow(top, None, reasons, affected)
    for sp_id, diff in subprocess_diffs.items():
        subprocess = workflow.subprocesses[sp_id]
        parent = workflow.get_task_from_id(sp_id)
        if subprocess.completed:
            continue  # follows if it can, else leaves the history (see migrate)
        new_parent, new_sub = _target(workflow, new_spec, parent)
        if new_parent is None:
            continue  # reported as the removed element that waits
        where = f"subprocess '{_element(parent)}'"
        if diff is None or new_sub is None or new_sub.name != subprocess.spec.name:
            reasons.append(f"{where} is running process '{subprocess.spec.name}', which the new version "
                           "does not run there")
            affected.add(_element(parent))
            continue
        _check_workflow(diff, where, reasons, affected)
    return MigrationCheck(not reasons, reasons, sorted(affected))


def _check_workflow(diff, where: str | None, reasons: list[str], affected: set[str]) -> None:
    inside = f" in {where}" if where else ""
    for task in diff.removed:
        if task.task_spec.bpmn_id and task.has_state(TaskState.FINISHED_MASK | _ACTIVE):
            affected.add(_element(task))
        if task.has_state(_ACTIVE):
            reasons.append(f"element '{_element(task)}'{inside} has {_what_waits(task)} "
                           "and no counterpart in the new version")
    for task in diff.changed:
        if task.has_state(_ACTIVE) and task.task_spec.bpmn_id:
            affected.add(_element(task))


def migrate(execution: Execution, new_spec: ProcessSpec) -> Execution:
    """``execution`` moved onto ``new_spec``, as a freshly restored Execution.

    Raises :class:`MigrationRefused` (with the reasons) when :func:`check` refuses, leaving
    ``execution`` as it was; after any other failure throw ``execution`` away.
    """
    verdict = check(execution, new_spec)
    if not verdict.possible:
        raise MigrationRefused(verdict.reasons)
    workflow = execution.workflow
    top, subprocess_diffs = _diff(workflow, new_spec)
    # Where each subprocess goes, decided before any task moves to its new spec.
    targets = {sp_id: _target(workflow, new_spec, workflow.get_task_from_id(sp_id))[1] for sp_id in subprocess_diffs}
    migrate_workflow(top, workflow, new_spec.spec, reset_mask=_RESET_NONE)
    _settle(workflow, new_spec.spec, top.removed)
    _attach_boundary_events(workflow)
    for sp_id, diff in subprocess_diffs.items():
        subprocess, new_sub = workflow.subprocesses.get(sp_id), targets[sp_id]
        if subprocess is None:
            continue  # its parent task left the history
        if diff is None or new_sub is None or new_sub.name != subprocess.spec.name:
            _drop_subprocess(workflow, workflow.get_task_from_id(sp_id))  # finished: check refuses running ones
            continue
        migrate_workflow(diff, subprocess, new_sub, reset_mask=_RESET_NONE)
        _settle(subprocess, new_sub, diff.removed)
        _attach_boundary_events(subprocess)
    workflow.subprocess_specs = new_spec.subprocess_specs
    # A round trip through JSON, exactly as the next request will restore it, proves the state
    # fits the new spec and reconnects what restoring connects (events, multi-instance merges).
    state = json.loads(json.dumps(execution.dump()))
    migrated = Execution.restore(new_spec, state, clock=execution.clock)
    # The server's projections still mirror what the instance waited for before it moved.
    migrated.waits_when_loaded |= execution.waits_when_loaded
    # Its tickets and jobs may name tasks the migration replaced.
    migrated.user_tasks_when_loaded = migrated.actions_when_loaded = None
    return migrated


def _drop_subprocess(workflow, parent_task) -> None:
    top = workflow.top_workflow
    if parent_task.id in top.subprocesses:
        top.delete_subprocess(parent_task)


def _settle(workflow, spec, removed: list) -> None:
    """After the spec swap: predict again from what waits, then drop tasks of removed elements."""
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks or not task.has_state(_ACTIVE):
            continue
        for child in task.children:
            if not child.triggered and child.has_state(_UNSETTLED):
                workflow._remove_task(child.id)
        task.task_spec._predict(task, mask=task.state | _UNSETTLED)
    for task in removed:
        if task.id not in workflow.tasks:
            continue  # predicted, dropped above
        if task.has_state(_UNSETTLED):
            workflow._remove_task(task.id)
        elif task.has_state(TaskState.FINISHED_MASK):
            _splice(workflow, task)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None
    for task in workflow.tasks.values():
        if spec.task_specs.get(task.task_spec.name) is not task.task_spec:
            raise MigrationRefused([f"element '{_element(task)}' could not be moved to the new version"])


def _attach_boundary_events(workflow) -> None:
    """Give each waiting task that gained boundary events the split SpiffWorkflow puts before it.

    A task reached on a version with boundary events hangs under a completed
    ``BoundaryEventSplit`` whose other children are the events, waiting. A task that was
    already waiting gets that split inserted above it, and the events are brought to their
    wait the way the split brings them when it runs (their timers start now).
    """
    for task in list(workflow.get_tasks(state=_ACTIVE)):
        split_spec = next((s for s in task.task_spec.inputs if isinstance(s, BoundaryEventSplit)), None)
        parent = task.parent
        if split_spec is None or parent is None or parent.task_spec in (split_spec, task.task_spec):
            continue  # no boundary events, already attached, or an item of a multi-instance task
        split = Task(workflow, split_spec, parent, state=TaskState.COMPLETED)
        parent._children.remove(split.id)
        parent._children[parent._children.index(task.id)] = split.id
        split._children.append(task.id)
        task.parent = split
        for event_spec in split_spec.outputs:
            if event_spec is not task.task_spec:
                event = Task(workflow, event_spec, split, state=TaskState.MAYBE)
                event_spec._update(event)


def _splice(workflow, task) -> None:
    """Take a finished task out of the tree, its children taking its place under its parent."""
    if isinstance(task.task_spec, SubWorkflowTaskMixin):
        _drop_subprocess(workflow, task)
    parent = task.parent
    at = parent._children.index(task.id)
    parent._children[at:at + 1] = list(task._children)
    for child in task.children:
        child.parent = parent
    del workflow.tasks[task.id]
    if workflow.last_task is task:
        workflow.last_task = parent
