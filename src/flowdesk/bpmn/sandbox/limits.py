"""What one evaluation of a script or condition may use, and the errors raised past it.

``configure()`` rebinds ``LIMITS``: read it as ``limits.LIMITS`` when needed, never through
a ``from .limits import LIMITS`` copy, which would keep the value of the day it was imported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    """What one evaluation of a script or condition may use."""

    timeout: float = 1.0                     # CPU seconds of the evaluating thread
    max_memory_bytes: int = 256 * 1024 ** 2  # growth of the process's resident memory
    max_output_bytes: int = 64 * 1024        # characters written by print()
    max_items: int = 1_000_000               # items of a list/tuple, characters of a string, range()
    max_int_bits: int = 10_000               # size of an integer built by * ** <<
    max_data_bytes: int = 16 * 1024 ** 2     # task data after a script, as JSON (roughly)


LIMITS = Limits()


def configure(timeout: float | None = None, max_output_bytes: int | None = None,
              max_memory_bytes: int | None = None, max_items: int | None = None,
              max_int_bits: int | None = None, max_data_bytes: int | None = None) -> Limits:
    """Change the sandbox limits for evaluations started from now on; return the previous ones.

    Arguments left at None keep their current value; ``configure(**asdict(previous))`` restores.
    """
    global LIMITS
    previous = LIMITS
    changes = {
        "timeout": timeout, "max_output_bytes": max_output_bytes, "max_memory_bytes": max_memory_bytes,
        "max_items": max_items, "max_int_bits": max_int_bits, "max_data_bytes": max_data_bytes,
    }
    LIMITS = replace(previous, **{name: value for name, value in changes.items() if value is not None})
    return previous


class SandboxLimitExceeded(Exception):
    """A script or condition went over one of the sandbox limits.

    Deliberately not a SpiffWorkflowException: SpiffWorkflow then wraps it in a
    WorkflowTaskException that knows the task (and, for scripts, the line).
    """


class ScriptTimeout(SandboxLimitExceeded):
    """The evaluation used more CPU time than ``Limits.timeout``."""


class ScriptMemoryExceeded(SandboxLimitExceeded):
    """The process grew by more than ``Limits.max_memory_bytes`` during the evaluation."""


class ValueTooLarge(SandboxLimitExceeded):
    """An operation would build a value past ``max_items`` or ``max_int_bits``."""


class OutputTooLarge(SandboxLimitExceeded):
    """``print`` wrote more than ``Limits.max_output_bytes``."""


class TaskDataNotJson(TypeError):
    """A script left a value in task data that JSON cannot hold."""


class ScriptRefused(SyntaxError):
    """The code uses something the restricted compiler does not allow."""

    def __init__(self, message: str, lineno: int = 1):
        super().__init__(message)
        # SpiffWorkflow compares a script's SyntaxError.lineno with 0; None makes it raise TypeError.
        self.lineno = lineno

    def __str__(self) -> str:
        return self.msg
