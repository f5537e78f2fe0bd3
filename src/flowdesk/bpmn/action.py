"""Service tasks that call an action URL: declaration, task spec and the call to make.

A service task declares its call with extension properties (``camunda:properties`` or
``spiffworkflow:properties``: ``url``, ``method``, ``headers``, ``body``, ``result_variable``,
``timeout``, ``retries``, ``mode``, ``errors``) or a spiffworkflow ``serviceTaskOperator``
named ``http`` with the same parameters (SpiffArena's ``http/*`` operators: :mod:`.connectors`).
Without a URL it is an external task; a connector's ``parameters`` (Python expressions) are
evaluated into the variables its worker fetches. The task spec does no I/O: running it leaves the
task STARTED, the server writes a job, and a worker makes the call outside any lock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

from . import camunda7, connectors, zeebe
from .xml import CAMUNDA_NS, NAMESPACES

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MODES = ("sync", "async")
PARAMETERS = "connector_parameters"  # where a started task keeps its evaluated connector parameters
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 10.0
MAX_PRIORITY = 2_147_483_647  # external task priorities are stored as 32-bit integers
_STATUS_PATTERN = re.compile(r"^[1-5](\d\d|xx)$")


class ActionTask(SpiffBpmnTask):
    """A service task whose work is done outside the engine, so running it only starts it.

    ``action["kind"]`` is ``http`` (a flowdesk worker calls ``action["url"]``) or
    ``external`` (a worker outside flowdesk fetches it by ``action["topic"]``).
    """

    @property
    def is_external(self) -> bool:
        return self.action.get("kind") == "external"

    def __init__(self, wf_spec, name, action=None, **kwargs):
        super().__init__(wf_spec, name, **kwargs)
        self.action = action or {}

    def _run_hook(self, my_task):
        # A connector's parameters are evaluated as the task starts, so a failing one fails the
        # step like a failing script; the worker fetches the values (they are no process variables).
        parameters = self.action.get("parameters")
        if parameters:
            engine = my_task.workflow.script_engine
            my_task.internal_data[PARAMETERS] = {name: engine.evaluate(my_task, expression)
                                                 for name, expression in parameters.items()}
        # None leaves the task STARTED: it completes when the worker reports the response.
        return None


class ActionTaskConverter(SpiffBpmnTaskConverter):
    def to_dict(self, spec):
        dct = super().to_dict(spec)
        dct["action"] = spec.action
        return dct


def _error_codes(text: str | None, problems: list[str]) -> dict[str, str]:
    """``"404=not_found, 5xx=backend_down"`` -> ``{"404": "not_found", "5xx": "backend_down"}``."""
    mapping = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        status, _, code = part.partition("=")
        status, code = status.strip().lower(), code.strip()
        if not _STATUS_PATTERN.match(status) or not code:
            problems.append(f"'errors' entry '{part.strip()}' must look like 404=code or 5xx=code")
            continue
        mapping[status] = code
    return mapping


def normalise(declared: dict[str, str]) -> tuple[dict, list[str]]:
    """Validate raw declaration strings into the stored action dict; return (action, problems)."""
    problems: list[str] = []
    action: dict = {"kind": "http", "url": (declared.get("url") or "").strip()}
    if not action["url"]:
        problems.append("a service task needs a 'url' property (or an 'http' serviceTaskOperator)")
    elif not re.match(r"^https?://", action["url"], re.IGNORECASE) and "{{" not in action["url"][:12]:
        problems.append(f"url '{action['url']}' must start with http:// or https://")
    action["method"] = (declared.get("method") or "POST").strip().upper()
    if action["method"] not in METHODS:
        problems.append(f"method '{action['method']}' must be one of {', '.join(METHODS)}")
    headers = declared.get("headers")
    action["headers"] = {}
    if headers:
        try:
            parsed = json.loads(headers)
            if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
                raise ValueError
            action["headers"] = parsed
        except ValueError:
            problems.append("headers must be a JSON object of strings, e.g. {\"X-Api-Key\": \"{{secret:crm}}\"}")
    action["body"] = (declared.get("body") or "").strip() or None
    action["result_variable"] = (declared.get("result_variable") or declared.get("resultVariable") or "").strip() or None
    for name, default, kind in (("timeout", DEFAULT_TIMEOUT, float), ("retries", DEFAULT_RETRIES, int)):
        raw = declared.get(name)
        try:
            action[name] = kind(raw) if raw not in (None, "") else default
            if action[name] < 0 or (name == "timeout" and not 0 < action[name] <= 300):
                raise ValueError
        except ValueError:
            problems.append(f"{name} '{raw}' is not valid")
            action[name] = default
    action["mode"] = (declared.get("mode") or "sync").strip().lower()
    if action["mode"] not in MODES:
        problems.append(f"mode '{action['mode']}' must be sync or async")
    action["errors"] = _error_codes(declared.get("errors"), problems)
    return action, problems


class ActionTaskParser(SpiffTaskParser):
    """Reads the action declaration from camunda or spiffworkflow extensions."""

    def _declaration(self) -> dict[str, str]:
        extensions = self.parse_extensions()
        declared = dict(extensions.get("properties") or {})
        ns = {**NAMESPACES, "bpmn": self.nsmap["bpmn"]}
        for prop in self.node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=ns):
            declared[prop.get("name")] = prop.get("value")
        operator = extensions.get("serviceTaskOperator")
        if operator and operator.get("name") == "http":
            for name, param in (operator.get("parameters") or {}).items():
                value = param.get("value")
                # Operator parameters are expressions; plain quoted strings are the common case.
                if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                declared[name] = value
            if operator.get("resultVariable"):
                declared.setdefault("result_variable", operator["resultVariable"])
        return declared

    def _external_topic(self, declared: dict[str, str]) -> str:
        """Topic of a service task without action URL: workers outside flowdesk fetch it by topic."""
        extensions = self.parse_extensions()
        operator = extensions.get("serviceTaskOperator") or {}
        # A camunda:connector (http-connector, mail-send...) is an external task of the connector's id.
        connector = self.node.xpath("./bpmn:extensionElements/camunda:connector/camunda:connectorId/text()",
                                    namespaces={**NAMESPACES, "bpmn": self.nsmap["bpmn"]})
        return (self.node.get(f"{{{CAMUNDA_NS}}}topic") or declared.get("topic") or operator.get("name")
                or (connector[0].strip() if connector and connector[0].strip() else None) or self.bpmn_id)

    def _task_priority(self, problems: list[str]) -> int | None:
        """``camunda:taskPriority`` of the task, else of its process: a whole number (workers
        fetching with ``usePriority`` take higher ones first)."""
        text = self.node.get(f"{{{CAMUNDA_NS}}}taskPriority")
        if text is None:
            text = self.process_parser.node.get(f"{{{CAMUNDA_NS}}}taskPriority")
        if text is None or not text.strip():
            return None
        try:
            priority = int(text.strip())
        except ValueError:
            problems.append(f"camunda:taskPriority '{text}' must be a whole number (expressions are not supported)")
            return None
        if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
            problems.append(f"camunda:taskPriority '{text}' must be between {-MAX_PRIORITY} and {MAX_PRIORITY}")
            return None
        return priority

    def _connector(self, operator: dict, declared: dict) -> tuple[dict, list[str]]:
        """A SpiffArena connector other than http/*: a worker of its name (or ``topic`` property) does it."""
        parameters, problems = connectors.operator_parameters(operator)
        return {"kind": "external", "topic": declared.get("topic") or operator["name"], "parameters": parameters}, \
            problems

    def _connector_parameters(self) -> tuple[dict, list[str]]:
        """The input parameters of a camunda:connector other than http-connector, as Python expressions."""
        found = self.node.xpath("./bpmn:extensionElements/camunda:connector", namespaces={
            **NAMESPACES, "bpmn": self.nsmap["bpmn"]})
        return camunda7.connector_parameters(found[0]) if found else ({}, [])

    def create_task(self):
        extensions = self.parse_extensions()
        declared = self._declaration()
        job = zeebe.job_worker(self.node, {**NAMESPACES, "bpmn": self.nsmap["bpmn"]})
        operator = extensions.get("serviceTaskOperator") or {}
        if job is not None:
            # A Camunda 8 job worker: an external task of the job type, headers and retries with it.
            action, problems = {"kind": "external", **job}, []
        elif operator.get("name") in connectors.HTTP_OPERATORS:
            http, expressions, problems = connectors.http_action(operator)
            action, more = normalise({**declared, **http})  # mode, timeout, errors: task properties
            problems += more
            if expressions:
                action["expressions"] = expressions
            # The result variable gets what SpiffArena's connector gives, and error statuses are its BPMN errors.
            action["result_shape"] = {"kind": connectors.SPIFFARENA, "operator": operator["name"]}
            if not declared.get("errors"):
                action["errors"] = dict(connectors.HTTP_ERRORS)
        elif operator.get("name") not in (None, "http") and not declared.get("url"):
            action, problems = self._connector(operator, declared)
        elif declared.get("url"):
            action, problems = normalise(declared)
        else:
            # Camunda external/class/expression tasks, other connectors and bare service tasks: an external task.
            parameters, problems = self._connector_parameters()
            action = {"kind": "external", "topic": self._external_topic(declared)}
            if parameters:
                action["parameters"] = parameters
            priority = self._task_priority(problems)
            if priority is not None:  # kept only when declared: specs without one keep their form
                action["priority"] = priority
        if problems:
            self.raise_validation_exception("; ".join(problems))
        return self.spec_class(
            self.spec, self.bpmn_id, action=action,
            prescript=extensions.get("preScript"), postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


@dataclass
class ActionCall:
    """The call a STARTED action task is waiting for, with its body already evaluated."""

    task_id: str
    element_id: str
    url: str
    method: str
    headers: dict[str, str]
    body: object
    timeout: float
    retries: int
    mode: str
    result_variable: str | None
    errors: dict[str, str] = field(default_factory=dict)
    # How the answer becomes the result (None: its JSON body); see connectors.spiffarena_result.
    result_shape: dict | None = None
