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

from . import local_scope
from .sandbox import limits, pool, running
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
from .sandbox.policy import check
from .sandbox.task_data import json_task_data

# LIMITS is read through the module __getattr__ below, so it is not listed here.
__all__ = [
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


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment: every evaluation goes to a sandbox process (:mod:`.sandbox.pool`).

    With the pool switched off (``FLOWDESK_SANDBOX_PROCESSES=0``) the restricted evaluator runs here.
    """

    def evaluate(self, expression, context, external_context=None):
        if pool.current() is not None:
            return pool.evaluate(expression, context, external_context)
        return running.evaluate(expression, context, external_context)[0]

    def execute(self, script, context, external_context=None):
        if pool.current() is not None:
            pool.execute(script, context, external_context)
        else:
            running.execute(script, context, external_context)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are run by flowdesk workers, not by scripts")


class RestrictedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose condition errors say what went wrong, not only which condition."""

    def get_error_line_number_and_content(self, script, err):
        # An error from a sandbox process carries its script line: there is no traceback to read it from.
        line = getattr(err, "sandbox_line", None)
        if line and not isinstance(err, SyntaxError):
            lines = script.splitlines()
            return line, lines[line - 1] if 0 < line <= len(lines) else ""
        return super().get_error_line_number_and_content(script, err)

    def execute(self, task, script, external_context=None):
        # Input mappings' scripts mark the activity's local scope (see local_scope).
        local_scope.enter(task, script)
        result = True if local_scope.is_marker_only(script) else super().execute(task, script, external_context)
        local_scope.leave(task, script)
        return result

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
