"""The only package that imports SpiffWorkflow: parsing, task specs, scripts, state.

Nothing here touches a database or HTTP; ``engine`` drives it through :class:`Execution`.
"""

from . import data_stores, decision_tables
from .action import ActionCall
from .escalations import Escalation
from .errors import BpmnError, ExecutionError, ModelError, ModelIssue, XmlRefused
from .due_date import resolve_due_date
from .durations import IsoDuration, looks_like_duration, parse_duration
from .events import ThrownEvent, WaitingMessage
from .execution import Execution, TaskNotReady, WaitingUserTask
from .history import CompletedElement
from .model import ParsedProcess, ProcessSpec, parse_models
from .stepping import StepLimits
from .ticket_properties import ASSIGNMENT_POLICIES
from .timers import TimerStart, WaitingTimer

__all__ = [
    "ASSIGNMENT_POLICIES",
    "ActionCall",
    "BpmnError",
    "CompletedElement",
    "Escalation",
    "Execution",
    "ExecutionError",
    "ModelError",
    "ModelIssue",
    "ParsedProcess",
    "ProcessSpec",
    "StepLimits",
    "TaskNotReady",
    "ThrownEvent",
    "TimerStart",
    "WaitingMessage",
    "WaitingTimer",
    "WaitingUserTask",
    "XmlRefused",
    "data_stores",
    "decision_tables",
    "parse_models",
    "resolve_due_date",
    "IsoDuration",
    "looks_like_duration",
    "parse_duration",
]
