"""Conditions and scripts from uploaded models run here, never through plain eval/exec.

Code is compiled with RestrictedPython (no imports, no dunder or private attribute access,
guarded item/attribute access and writes) and runs with a short allow-list of builtins.
"""

from __future__ import annotations

import builtins
import datetime
import math
import re
import types
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

_EXTRA_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "all", "any", "dict", "enumerate", "filter", "list", "map", "max", "min", "reversed",
        "set", "sorted", "sum", "tuple", "zip", "frozenset",
    )
}
_BUILTINS = {**safe_builtins, **_EXTRA_BUILTINS}
for _unsafe in ("setattr", "delattr", "__build_class__", "id", "hash"):
    _BUILTINS.pop(_unsafe, None)


def _guarded_getattr(ob, name):
    """``safer_getattr`` that raises on a missing attribute and never hands out a module.

    Modules lead to other modules (``datetime.sys.modules['os']``), and from there to anything;
    a misspelt attribute must not quietly read as None and send a condition down the wrong flow.
    """
    value = safer_getattr_raise(ob, name)
    if isinstance(value, types.ModuleType):
        raise AttributeError(f"modules are not available to scripts: {name}")
    return value


# Names a script or condition may use besides the task data.
_GLOBALS = {
    "__builtins__": _BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_print_": PrintCollector,
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
    "math": math,
    "datetime": datetime,
}
_INPLACE = {
    "+=": lambda x, y: x + y, "-=": lambda x, y: x - y, "*=": lambda x, y: x * y,
    "/=": lambda x, y: x / y, "//=": lambda x, y: x // y, "%=": lambda x, y: x % y,
    "**=": lambda x, y: x ** y, "|=": lambda x, y: x | y, "&=": lambda x, y: x & y,
}


class ScriptRefused(SyntaxError):
    """The code uses something the restricted compiler does not allow."""

    def __init__(self, message: str, lineno: int = 1):
        super().__init__(message)
        # SpiffWorkflow compares a script's SyntaxError.lineno with 0; None makes it raise TypeError.
        self.lineno = lineno

    def __str__(self) -> str:
        return self.msg


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str):
    result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(source)
    if result.errors:
        line = re.match(r"Line (\d+)", result.errors[0])
        raise ScriptRefused("; ".join(result.errors), int(line.group(1)) if line else 1)
    return result.code


def check(source: str, mode: str = "exec") -> None:
    """Raise :class:`ScriptRefused` if ``source`` would be refused at run time."""
    _compile(source.strip() if mode == "eval" else source, mode)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment backed by RestrictedPython."""

    def evaluate(self, expression, context, external_context=None):
        namespace = {**_GLOBALS, **(external_context or {}), **context}
        return eval(_compile(expression.strip(), "eval"), namespace)  # noqa: S307 - restricted code

    def execute(self, script, context, external_context=None):
        namespace = {**_GLOBALS, **(external_context or {}), **context}
        exec(_compile(script, "exec"), namespace)  # noqa: S102 - restricted code
        for name in list(context):
            if name not in namespace:
                del context[name]
        for name, value in namespace.items():
            if name in _GLOBALS or name.startswith("_") or (external_context and name in external_context):
                continue
            if callable(value) or name == "printed":
                continue
            context[name] = value
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are run by flowdesk workers, not by scripts")


def restricted_script_engine() -> PythonScriptEngine:
    """The script engine every workflow gets, after creation and after every restore."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
