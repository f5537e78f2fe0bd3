"""What an instance did: its completed elements, and pruning the task tree down to what it still needs.

SpiffWorkflow keeps every task it ever ran, each with its own copy of the data. A loop adds a
few tasks per turn, so state size and the cost of every step grow with the instance's age,
and past ~1,000 levels SpiffWorkflow's task iterator no longer sees the tasks at the bottom
(a loop of more than ~333 turns would lose its waiting task). :func:`prune` removes completed
tasks that nothing needs any more and keeps a compact row per removed element instead, in
:class:`PrunedHistory`: rows in sealed, compressed chunks plus a short open list, so a step
does not rewrite (or re-read) the whole past.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.mixins import (
    BoundaryEventMixin, CallActivityMixin, EventBasedGatewayMixin, ExclusiveGatewayMixin, InclusiveGatewayMixin,
    IntermediateCatchEventMixin, IntermediateThrowEventMixin, ManualTaskMixin, NoneTaskMixin, ParallelGatewayMixin,
    ReceiveTaskMixin, ScriptTaskMixin, SendTaskMixin, ServiceTaskMixin, SubWorkflowTaskMixin,
    TransactionSubprocessMixin, UserTaskMixin,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.util.task import TaskState

from . import timers
from .action import ActionTask

FINISHED_AT = "flowdesk_finished_at"
# Tasks this close above a task still to run stay: joins and boundary events look at parents.
KEEP_LEVELS = 3
# Rows of pruned history compressed together; the open list never grows past this.
CHUNK_ROWS = 200

# Most specific first: a call activity is also a subprocess, a send task also a throw event.
_ELEMENT_TYPES = (
    (ActionTask, "serviceTask"), (UserTaskMixin, "userTask"), (ManualTaskMixin, "manualTask"),
    (ScriptTaskMixin, "scriptTask"), (ServiceTaskMixin, "serviceTask"), (BusinessRuleTaskMixin, "businessRuleTask"),
    (SendTaskMixin, "sendTask"), (ReceiveTaskMixin, "receiveTask"), (CallActivityMixin, "callActivity"),
    (TransactionSubprocessMixin, "transaction"), (SubWorkflowTaskMixin, "subProcess"), (NoneTaskMixin, "task"),
    (ExclusiveGatewayMixin, "exclusiveGateway"), (InclusiveGatewayMixin, "inclusiveGateway"),
    (ParallelGatewayMixin, "parallelGateway"), (EventBasedGatewayMixin, "eventBasedGateway"),
    (StartEvent, "startEvent"), (EndEvent, "endEvent"), (BoundaryEventMixin, "boundaryEvent"),
    (IntermediateCatchEventMixin, "intermediateCatchEvent"), (IntermediateThrowEventMixin, "intermediateThrowEvent"),
)


@dataclass
class CompletedElement:
    """One completed BPMN element of an instance's history."""

    element_id: str
    name: str | None
    type: str
    finished_at: datetime


def element_type(spec) -> str:
    """The BPMN element name of a task spec (``userTask``, ``exclusiveGateway``...)."""
    return next((tag for cls, tag in _ELEMENT_TYPES if isinstance(spec, cls)), type(spec).__name__)


def _finished_at(task) -> str:
    stamp = task.internal_data.get(FINISHED_AT)
    # States saved before stamping existed only have SpiffWorkflow's wall-clock time.
    return stamp or datetime.fromtimestamp(task.last_state_change, timezone.utc).isoformat()


def is_end(spec) -> bool:
    """An end event, or a BPMN element with no outgoing flow (where a token ends implicitly)."""
    if isinstance(spec, EndEvent):
        return True
    # Not the instance task of a loop or multi-instance (its only input is the loop), nor a boundary event.
    return (bool(spec.bpmn_id) and not spec.outputs and bool(spec.inputs)
            and not isinstance(spec, (BoundaryEventMixin, LoopTask))
            and not any(isinstance(i, LoopTask) for i in spec.inputs))


def is_history(task) -> bool:
    """Whether a completed task is a line of history (a BPMN element, not a loop's own task)."""
    return bool(task.task_spec.bpmn_id) and not isinstance(task.task_spec, LoopTask)


def _row(task) -> list:
    spec = task.task_spec
    return [spec.bpmn_id, spec.bpmn_name, element_type(spec), _finished_at(task), task.last_state_change]


@dataclass
class PrunedHistory:
    """The history rows ``[element_id, name, type, finished_at, last_state_change]`` of pruned tasks."""

    sealed: list[str] = field(default_factory=list)   # base64 zlib JSON, CHUNK_ROWS rows each
    open: list[list] = field(default_factory=list)

    @classmethod
    def from_dict(cls, dct: dict | None) -> "PrunedHistory":
        dct = dct or {}
        return cls(list(dct.get("sealed", [])), [list(row) for row in dct.get("open", [])])

    def to_dict(self) -> dict | None:
        return {"sealed": self.sealed, "open": self.open} if self.sealed or self.open else None

    def add(self, rows: list[list]) -> None:
        self.open.extend(rows)
        while len(self.open) >= CHUNK_ROWS:
            chunk, self.open = self.open[:CHUNK_ROWS], self.open[CHUNK_ROWS:]
            text = json.dumps(chunk, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            self.sealed.append(base64.b64encode(zlib.compress(text)).decode("ascii"))

    def rows(self) -> list[list]:
        rows = [row for chunk in self.sealed for row in json.loads(zlib.decompress(base64.b64decode(chunk)))]
        return rows + self.open


def completed_elements(workflows: list, pruned: PrunedHistory) -> list[CompletedElement]:
    """The completed elements of ``workflows`` plus the ``pruned`` rows, in completion order."""
    rows = pruned.rows() + [
        _row(t) for wf in workflows for t in wf.tasks.values() if t.state == TaskState.COMPLETED and is_history(t)
    ]
    rows.sort(key=lambda row: row[4])
    return [CompletedElement(element_id=element_id, name=name, type=kind, finished_at=timers.parse_date(at))
            for element_id, name, kind, at, _ in rows]


def _arrived_at_joins(tasks) -> set:
    """Ids of the branches that reached a parallel or inclusive join still to fire, and of their
    join tasks.

    When a branch reaches a join, SpiffWorkflow cancels the join task the previous branch left
    waiting; when the join fires, it counts the branches arrived by those cancelled tasks'
    parents and merges those parents' data. Until a later join task of the same gateway
    completes, each of them is the only record that its branch arrived.
    """
    fired = {}
    for task in tasks.values():
        if isinstance(task.task_spec, UnstructuredJoin) and task.state == TaskState.COMPLETED:
            fired[task.task_spec] = max(fired.get(task.task_spec, 0), task.last_state_change)
    kept = set()
    for task in tasks.values():
        spec = task.task_spec
        if (isinstance(spec, UnstructuredJoin) and task.state == TaskState.CANCELLED
                and task.last_state_change >= fired.get(spec, 0)):
            kept.add(task.id)
            if task._parent is not None:
                kept.add(task._parent)
    return kept


def _kept(workflow, subprocess_tasks) -> set:
    """Ids of the tasks pruning must leave: the root, the last task, subprocess and end event
    tasks, branches waiting at a join (see :func:`_arrived_at_joins`), and every task within
    :data:`KEEP_LEVELS` above a task that is not finished."""
    tasks = workflow.tasks
    kept = {workflow.task_tree.id, *subprocess_tasks, *_arrived_at_joins(tasks)}
    if workflow.last_task is not None:
        kept.add(workflow.last_task.id)
    for task in tasks.values():
        if is_end(task.task_spec):
            kept.add(task.id)
        if task.has_state(TaskState.FINISHED_MASK):
            continue
        kept.add(task.id)
        parent_id = task._parent
        for _ in range(KEEP_LEVELS):
            if parent_id is None:
                break
            kept.add(parent_id)
            parent = tasks.get(parent_id)
            parent_id = parent._parent if parent is not None else None
    return kept


def prune(workflow, subprocess_tasks) -> list[list]:
    """Remove the tasks of ``workflow`` nothing needs any more; the history rows of those removed.

    A completed task with a single child is cut out of its chain (the child takes its place
    under the parent); a completed or cancelled leaf (a boundary event that did not fire, a
    branch a join cancelled, a boundary join SpiffWorkflow leaves behind) is dropped; end
    events stay. Nothing near a task still to run is touched, nor the tasks whose ids are in
    ``subprocess_tasks`` (the top-level workflow's ``subprocesses`` keys).
    """
    kept = _kept(workflow, subprocess_tasks)
    tasks = workflow.tasks
    rows = []
    for task in list(tasks.values()):
        if task.id in kept or task._parent is None:
            continue
        parent = tasks.get(task._parent)
        if parent is None:
            continue
        if task.state == TaskState.COMPLETED and len(task._children) == 1:
            child = tasks.get(task._children[0])
            if child is None:
                continue
            parent._children[parent._children.index(task.id)] = child.id
            child._parent = parent.id
        elif task.state in (TaskState.COMPLETED, TaskState.CANCELLED) and not task._children:
            parent._children.remove(task.id)
        else:
            continue
        del tasks[task.id]
        if task.state == TaskState.COMPLETED and is_history(task):
            rows.append(_row(task))
    rows.sort(key=lambda row: row[4])
    return rows
