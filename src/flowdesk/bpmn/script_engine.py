"""SpiffWorkflow glue: conditions and scripts from uploaded models run here, never through plain eval/exec.

The sandbox itself -- limits, size guards, static checks, the RestrictedPython policy, running
and the task data check -- is the :mod:`flowdesk.bpmn.sandbox` package. The names other modules
and tests have always imported from here (``Limits``, ``LIMITS``, ``configure``, ``check``,
``json_task_data``, the exceptions, ...) are re-exported unchanged.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .sandbox import limits
from .sandbox.evaluation import _Evaluation
from .sandbox.limits import (
    Limits,
    OutputTooLarge,
    SandboxLimitExceeded,
    ScriptMemoryExceeded,
    ScriptRefused,
    ScriptTimeout,
    TaskDataNotJson,
    ValueTooLarge,
    configure,
)
from .sandbox.namespace import _HELPERS, _running
from .sandbox.policy import _compile, check
from .sandbox.task_data import json_task_data

__all__ = [
    "LIMITS",
    "Limits",
    "OutputTooLarge",
    "RestrictedEnvironment",
    "RestrictedScriptEngine",
    "SandboxLimitExceeded",
    "ScriptMemoryExceeded",
    "ScriptRefused",
    "ScriptTimeout",
    "TaskDataNotJson",
    "ValueTooLarge",
    "check",
    "configure",
    "json_task_data",
    "restricted_script_engine",
]


def __getattr__(name: str):
    # configure() rebinds sandbox.limits.LIMITS, so script_engine.LIMITS is looked up there
    # on every access rather than copied at import.
    if name == "LIMITS":
        return limits.LIMITS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _run(evaluation: "_Evaluation", run):
    previous = getattr(_running, "evaluation", None)
    _running.evaluation = evaluation
    try:
        result = run()
    finally:
        _running.evaluation = previous
    evaluation.finish()
    return result


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment backed by RestrictedPython and the sandbox limits."""

    def evaluate(self, expression, context, external_context=None):
        compiled = _compile(expression.strip(), "eval", limits.LIMITS)
        evaluation = _Evaluation(limits.LIMITS)
        namespace = evaluation.build_namespace(context, external_context)
        result = _run(evaluation, lambda: eval(compiled.code, namespace))  # noqa: S307 - restricted code
        if compiled.may_change_data:
            # A condition can still change a list in place (items.append(...) or True).
            _replace_contents(context, json_task_data(context))
        return result

    def execute(self, script, context, external_context=None):
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
        _replace_contents(context, json_task_data(result))
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are run by flowdesk workers, not by scripts")


def _replace_contents(target: dict, source: dict) -> None:
    if target is source:
        return
    for name in [name for name in target if name not in source]:
        del target[name]
    target.update(source)


class RestrictedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose condition errors say what went wrong, not only which condition."""

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:  # noqa: BLE001 - anything a condition raises fails its task
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {type(exc).__name__}: {exc}",
                task=task, exception=exc) from exc


def restricted_script_engine() -> PythonScriptEngine:
    """The script engine every workflow gets, after creation and after every restore."""
    return RestrictedScriptEngine(environment=RestrictedEnvironment())
