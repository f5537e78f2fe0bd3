"""The only package that imports SpiffWorkflow: parsing, task specs, scripts, state.

Nothing here touches a database or HTTP; ``engine`` drives it through :class:`Execution`.
"""

from .errors import BpmnError, ExecutionError, ModelError, ModelIssue, XmlRefused
from .execution import Execution, TaskNotReady, WaitingUserTask
from .due_date import resolve_due_date
from .model import ParsedProcess, ProcessSpec, parse_models

__all__ = [
    "BpmnError",
    "Execution",
    "ExecutionError",
    "ModelError",
    "ModelIssue",
    "ParsedProcess",
    "ProcessSpec",
    "TaskNotReady",
    "WaitingUserTask",
    "XmlRefused",
    "parse_models",
    "resolve_due_date",
]
