"""The work queue's settings on human tasks, checked when a model is deployed.

A bad value would otherwise show up weeks later as a ticket quietly left without a due date, an
assignment policy that never assigns, or an approval that is not one. Deployment refuses it
instead, naming the element and the property. Checked, on user/manual tasks and on their
process (whose properties apply to all its human tasks):

* ``assignment``: one of :data:`ASSIGNMENT_POLICIES`;
* ``sla`` / ``dueDate`` properties and ``camunda:dueDate``: an ISO 8601 duration or date, or an
  expression that compiles (Python, or a Camunda ``${...}``);
* ``slaStart``: when the SLA clock starts: ``created`` (default), ``claimed`` or ``accepted``;
* ``approval``: true or false; ``level``: a whole number from 1;
* ``caseFields``: variable names, each with an optional label (``name:Label``);
* ``camunda:priority`` and the spiffworkflow ``priority`` property: a whole number or ``${variable}``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from . import case_fields, expressions, script_engine
from .due_date import resolve_due_date
from .durations import looks_like_duration
from .errors import ModelIssue
from .xml import BPMN_NS, CAMUNDA_NS, NAMESPACES

ASSIGNMENT_POLICIES = ("manual", "least_loaded", "round_robin")
_BOOLEANS = ("true", "false", "yes", "no", "1", "0")
_HUMAN_TASKS = (f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask")
_VARIABLE = re.compile(r"^\s*[$#]\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\s*$")
_LOOKS_LIKE_DATE = re.compile(r"^\d{4}-\d")
_NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": NAMESPACES["spiffworkflow"]}


def due_date_problem(value: str) -> str | None:
    """Why ``value`` cannot give a due date, or None: the rule ``engine.sla`` applies at run time."""
    text = (value or "").strip()
    if not text:
        return "is empty"
    if _VARIABLE.match(text):
        return None  # the variable's value is checked when the ticket opens
    if looks_like_duration(text.upper()) or _LOOKS_LIKE_DATE.match(text):
        try:
            resolve_due_date(text, datetime(2000, 1, 1, tzinfo=timezone.utc))
        except (ValueError, OverflowError) as exc:
            return str(exc)
        return None
    try:
        script_engine.check(expressions.translate(text) if expressions.is_expression(text) else text, "eval")
    except (SyntaxError, ValueError) as exc:
        return f"'{text}' is neither an ISO 8601 duration or date nor an expression that compiles ({exc})"
    return None


def _assignment_problem(value: str) -> str | None:
    if (value or "").strip().lower() in ASSIGNMENT_POLICIES:
        return None
    return f"'{value}' is not an assignment policy; use one of {', '.join(ASSIGNMENT_POLICIES)}"


def _approval_problem(value: str) -> str | None:
    return None if (value or "").strip().lower() in _BOOLEANS else f"'{value}' is not true or false"


def _level_problem(value: str) -> str | None:
    text = (value or "").strip()
    return None if text.isdigit() and int(text) >= 1 else f"'{value}' is not a whole number from 1"


def _priority_problem(value: str) -> str | None:
    text = (value or "").strip()
    if _VARIABLE.match(text) or re.fullmatch(r"[+-]?\d+", text):
        return None
    return f"'{value}' is not a whole number or a ${{variable}}"


def _sla_start_problem(value: str) -> str | None:
    # engine.sla.SLA_STARTS: when the SLA clock starts (bpmn cannot import engine).
    starts = ("created", "claimed", "accepted")
    return None if (value or "").strip().lower() in starts else f"'{value}' is not one of {', '.join(starts)}"


# Extension properties (camunda or spiffworkflow, on the task or its process) -> their check.
_PROPERTY_CHECKS = {
    "slaStart": _sla_start_problem,
    "assignment": _assignment_problem,
    "sla": due_date_problem,
    "dueDate": due_date_problem,
    "followUpDate": due_date_problem,
    "approval": _approval_problem,
    "level": _level_problem,
    case_fields.PROPERTY: case_fields.problem,
}


def _properties(node):
    return node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property"
                      " | ./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=_NS)


def _issue(filename: str, el, owner, what: str, problem: str) -> ModelIssue:
    kind = "process" if owner.tag == f"{{{BPMN_NS}}}process" else "task"
    return ModelIssue(filename, el.sourceline, owner.get("id"), f"{what} of {kind} '{owner.get('id')}': {problem}")


def check(root, filename: str) -> list[ModelIssue]:
    """Every bad work-queue setting in the BPMN document ``root`` (after expression translation)."""
    issues = []
    owners = list(root.iter(f"{{{BPMN_NS}}}process")) + [t for tag in _HUMAN_TASKS for t in root.iter(tag)]
    for owner in owners:
        for prop in _properties(owner):
            name = prop.get("name")
            if name in _PROPERTY_CHECKS:
                problem = _PROPERTY_CHECKS[name](prop.get("value"))
                if problem:
                    issues.append(_issue(filename, prop, owner, f"property '{name}'", problem))
            elif name == "priority" and owner.tag in _HUMAN_TASKS and prop.tag.startswith(f"{{{_NS['spiffworkflow']}"):
                problem = _priority_problem(prop.get("value"))
                if problem:
                    issues.append(_issue(filename, prop, owner, "property 'priority'", problem))
        if owner.tag in _HUMAN_TASKS:
            for attribute, problem_of in (("dueDate", due_date_problem), ("followUpDate", due_date_problem),
                                          ("priority", _priority_problem)):
                value = owner.get(f"{{{CAMUNDA_NS}}}{attribute}")
                problem = problem_of(value) if value is not None else None
                if problem:
                    issues.append(_issue(filename, owner, owner, f"camunda:{attribute}", problem))
    return issues
