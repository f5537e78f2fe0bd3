"""Errors raised by the bpmn layer; ``engine`` translates them into domain errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class BpmnError(Exception):
    """Base class of everything this package raises on purpose."""


class XmlRefused(BpmnError):
    """The bytes are not XML we are willing to read (malformed, DOCTYPE, entities, too big)."""

    def __init__(self, message: str, filename: str | None = None, too_large: bool = False):
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.too_large = too_large


@dataclass(frozen=True)
class ModelIssue:
    """One problem in an uploaded model, located as precisely as the parser allows."""

    file: str | None
    line: int | None
    element_id: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


class ModelError(BpmnError):
    """The XML is well formed but is not a model flowdesk can run."""

    def __init__(self, issues: list[ModelIssue]):
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


class ExecutionError(BpmnError):
    """Running the workflow failed (a script raised, a condition could not be evaluated...)."""

    def __init__(self, message: str, element_id: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.element_id = element_id
        self.line = line


def error_from(exc: Exception) -> ExecutionError:
    """The :class:`ExecutionError` for an exception SpiffWorkflow raised while running a task."""
    task = getattr(exc, "task", None)
    element_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None) if task else None
    line = getattr(exc, "line_number", None) or None
    message = str(exc)
    notes = getattr(exc, "__notes__", None)
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    return ExecutionError(message, element_id=element_id, line=line)
