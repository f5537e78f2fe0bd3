"""Running one condition or script in this process: the restricted evaluator, the first layer.

The pool's child processes call these; so does the server itself when the pool is switched off
(``FLOWDESK_SANDBOX_PROCESSES=0``). Both change ``context`` (the task data) in place.
"""

from __future__ import annotations

from . import limits
from .evaluation import _Evaluation
from .namespace import _HELPERS, _running
from .policy import _compile
from .task_data import json_task_data


def _run(evaluation: _Evaluation, run):
    previous = getattr(_running, "evaluation", None)
    _running.evaluation = evaluation
    try:
        result = run()
    finally:
        _running.evaluation = previous
    evaluation.finish()
    return result


def evaluate(expression: str, context: dict, external_context: dict | None = None) -> tuple[object, bool]:
    """The value of ``expression``, and whether it may have changed ``context`` (which is then checked)."""
    compiled = _compile(expression.strip(), "eval", limits.LIMITS)
    evaluation = _Evaluation(limits.LIMITS)
    namespace = evaluation.build_namespace(context, external_context)
    result = _run(evaluation, lambda: eval(compiled.code, namespace))  # noqa: S307 - restricted code
    if compiled.may_change_data:
        # A condition can still change a list in place (items.append(...) or True).
        replace_contents(context, json_task_data(context))
    return result, compiled.may_change_data


def execute(script: str, context: dict, external_context: dict | None = None) -> None:
    """Run ``script``; ``context`` becomes the task data it leaves (JSON values only)."""
    compiled = _compile(script, "exec", limits.LIMITS)
    evaluation = _Evaluation(limits.LIMITS)
    namespace = evaluation.build_namespace(context, external_context)
    _run(evaluation, lambda: exec(compiled.code, namespace))  # noqa: S102 - restricted code
    # A variable the script deleted is gone; guards all start with "_" and are never kept.
    result = {name: value for name, value in context.items() if name in namespace}
    for name, value in namespace.items():
        if name.startswith("_") or name == "printed" or callable(value):  # callables: the script's own helpers
            continue
        if external_context and name in external_context and value is external_context[name]:
            continue
        if name in _HELPERS and value is _HELPERS[name]:
            continue
        result[name] = value
    replace_contents(context, json_task_data(result))


def replace_contents(target: dict, source: dict) -> None:
    if target is source:
        return
    for name in [name for name in target if name not in source]:
        del target[name]
    target.update(source)
