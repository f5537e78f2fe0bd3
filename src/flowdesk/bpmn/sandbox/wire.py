"""What crosses between the server and a sandbox child: JSON only, values and errors both.

An expression's value may be a date, time or duration (timer expressions); those travel as
tagged ISO text and come back as the same type. Errors travel as their type name, message and
script line, and come back as the sandbox's own exception types or the builtin of that name.
"""

from __future__ import annotations

import builtins
import datetime

import isodate

from .limits import (
    OutputTooLarge,
    SandboxLimitExceeded,
    ScriptMemoryExceeded,
    ScriptRefused,
    ScriptTimeout,
    TaskDataNotJson,
    ValueTooLarge,
)

_TAG = "$sandbox"
_TEMPORAL = {"datetime": datetime.datetime, "date": datetime.date, "time": datetime.time}
_SANDBOX_ERRORS = {cls.__name__: cls for cls in (
    SandboxLimitExceeded, ScriptTimeout, ScriptMemoryExceeded, ValueTooLarge, OutputTooLarge, TaskDataNotJson)}


class ScriptError(Exception):
    """A script raised an exception of a type the server does not rebuild; the message names it."""


def encode_value(value, depth: int = 0):
    """``value`` as JSON; tuples, sets and ranges become lists; dates and durations are tagged."""
    if depth > 100:
        raise TaskDataNotJson("the expression's value is nested more than 100 levels deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime.timedelta):
        return {_TAG: "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, isodate.Duration):  # a FEEL years and months duration: its ISO 8601 text
        return isodate.duration_isoformat(value)
    for name, kind in _TEMPORAL.items():
        if type(value) is kind:
            return {_TAG: name, "iso": value.isoformat()}
    if isinstance(value, dict):
        return {str(key) if not isinstance(key, str) else key: encode_value(item, depth + 1)
                for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, range)):
        return [encode_value(item, depth + 1) for item in value]
    raise TaskDataNotJson(f"the expression's value is a {type(value).__name__}, which cannot leave the sandbox")


def decode_value(value):
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag == "timedelta" and len(value) == 2:
            return datetime.timedelta(seconds=value["seconds"])
        if tag in _TEMPORAL and len(value) == 2:
            return _TEMPORAL[tag].fromisoformat(value["iso"])
        return {key: decode_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    return value


def describe_error(exc: BaseException, line: int | None) -> dict:
    if isinstance(exc, MemoryError):
        return {"type": "ScriptMemoryExceeded", "message": "used more memory than its sandbox process may have",
                "line": line}
    if isinstance(exc, SyntaxError):
        line = exc.lineno or line
    message = exc.msg if isinstance(exc, SyntaxError) else (str(exc.args[0]) if len(exc.args) == 1 else str(exc))
    return {"type": type(exc).__name__, "message": message, "line": line}


def rebuild_error(error: dict) -> Exception:
    """The exception a child described, with ``sandbox_line`` set to the script line it came from."""
    name, message, line = error.get("type", "ScriptError"), error.get("message", ""), error.get("line")
    if name in ("ScriptRefused", "SyntaxError"):
        exc: Exception = ScriptRefused(message, line or 1)
    elif name in _SANDBOX_ERRORS:
        exc = _SANDBOX_ERRORS[name](message)
    else:
        builtin = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, Exception) and not issubclass(builtin, OSError):
            try:
                exc = builtin(message)
            except TypeError:  # a builtin that wants other arguments (UnicodeDecodeError...)
                exc = ScriptError(f"{name}: {message}")
        else:
            exc = ScriptError(f"{name}: {message}")
    exc.sandbox_line = line
    return exc
