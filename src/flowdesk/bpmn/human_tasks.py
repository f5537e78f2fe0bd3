"""What the work queue reads from human tasks beyond the ticket itself.

Approval tasks (extension property ``approval: true``, optional ``level``) and where an instance
may still meet them, and property values written as expressions (``sla``, ``dueDate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.mixins import SubWorkflowTaskMixin, UserTaskMixin
from SpiffWorkflow.util.task import TaskState

from .errors import ExecutionError
from .execution import Execution
from .expressions import ExpressionNotSupported, is_expression, translate
from .model import ProcessSpec
from .human_task_parser import task_properties
from .script_engine import RestrictedEnvironment

_TRUE = {"true", "yes", "1"}
_WAITING = TaskState.READY | TaskState.STARTED | TaskState.WAITING


@dataclass(frozen=True)
class ApprovalStep:
    """A user task marked ``approval``: its element, name, level and candidate groups."""

    element_id: str
    name: str
    level: int
    candidate_groups: list[str] = field(default_factory=list)


def is_true(value) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def approval_level(properties: dict) -> int | None:
    """The approval level a task's properties declare (1 when ``level`` is absent), or None."""
    if not is_true(properties.get("approval")):
        return None
    try:
        return max(1, int(str(properties.get("level") or 1).strip()))
    except ValueError:
        return 1


def _step(spec) -> ApprovalStep | None:
    if not isinstance(spec, UserTaskMixin):
        return None
    extensions = getattr(spec, "extensions", None) or {}
    level = approval_level(task_properties(extensions))
    if level is None:
        return None
    return ApprovalStep(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, level,
                        list((extensions.get("ticket") or {}).get("candidate_groups") or []))


def approval_steps(process: ProcessSpec) -> list[ApprovalStep]:
    """Every approval task of the process (its subprocesses included), by level then element id."""
    steps = [_step(s) for spec in (process.spec, *process.subprocess_specs.values())
             for s in spec.task_specs.values()]
    return sorted({s.element_id: s for s in steps if s}.values(), key=lambda s: (s.level, s.element_id))


def _reachable(start_specs, subprocess_specs: dict) -> dict[str, ApprovalStep]:
    """Approval tasks on some path from ``start_specs`` (into the subprocesses they start)."""
    found, seen, pending = {}, set(), list(start_specs)
    while pending:
        spec = pending.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        step = _step(spec)
        if step:
            found[step.element_id] = step
        if isinstance(spec, SubWorkflowTaskMixin) and spec.spec in subprocess_specs:
            sub = subprocess_specs[spec.spec]
            pending.extend(s for s in sub.task_specs.values() if not s.inputs)
        pending.extend(spec.outputs)
    return found


def approvals_ahead(execution: Execution, reached: set[str]) -> list[ApprovalStep]:
    """Approval tasks the instance has not reached yet but still may, as far as the diagram tells.

    Gateway conditions are not evaluated: a step behind an exclusive gateway is listed because
    the path exists, not because it will be taken.
    """
    workflow = execution.workflow
    if workflow.is_completed():
        return []
    waiting = [t for wf in (workflow, *workflow.subprocesses.values()) for t in wf.tasks.values()
               if t.state & _WAITING]
    found = _reachable([out for t in waiting for out in t.task_spec.outputs], workflow.subprocess_specs)
    return sorted((s for s in found.values() if s.element_id not in reached),
                  key=lambda s: (s.level, s.element_id))


def evaluate(expression: str, data: dict):
    """The value of ``expression`` (Python, or a Camunda ``${...}``) over ``data``, sandboxed.

    Raises :class:`ExecutionError` when it cannot be translated or fails to run.
    """
    try:
        source = translate(expression) if is_expression(expression) else expression
        return RestrictedEnvironment().evaluate(source, dict(data))
    except ExpressionNotSupported as exc:
        raise ExecutionError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - whatever the sandbox raises, the value is unusable
        raise ExecutionError(f"cannot evaluate {expression!r}: {type(exc).__name__}: {exc}") from exc
