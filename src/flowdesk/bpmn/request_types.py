"""What a model says about being requested by a customer: the request type of a process.

A process is requestable when the extension property ``requestable`` is true on the process or
on its plain start event (camunda or spiffworkflow properties; the start event's win). Further
properties, all optional:

* ``requestName`` / ``requestDescription``: shown in the catalogue (else the process's name and
  documentation);
* ``requesterGroups``: comma-separated groups of requesters allowed (none: every requester);
* ``publicVariables``: comma-separated variables the requester may read;
* ``cancelMessage`` or ``cancelSignal``: what "cancel my request" sends to the instance;
* ``subjectField``: the form field that titles the request (default ``subject``);
* ``closedStage``: the status shown once the instance completed (default "Closed").

The start form is the start event's: camunda ``formKey``/``formData``, or SpiffArena's
``formJsonSchemaFilename`` (element or property). A user or manual task's ``stage`` property
names the stage it stands for (else the task's name): that is the status a requester sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .human_task_parser import camunda_form_fields
from .xml import BPMN_NS, CAMUNDA_NS, NAMESPACES, parse_xml

_NS = {**NAMESPACES, "bpmn": BPMN_NS}
_TRUE = ("true", "yes", "1")
_HUMAN_TASKS = ("userTask", "manualTask")
DEFAULT_CLOSED_STAGE = "Closed"


@dataclass(frozen=True)
class RequestSpec:
    process_key: str
    name: str
    description: str | None
    groups: tuple[str, ...]
    form: dict | None  # as a ticket's form: key, fields, schema_file, ui_schema_file
    public_variables: tuple[str, ...]
    cancel: tuple[str, str] | None  # ("message" | "signal", name)
    subject_field: str
    closed_stage: str
    stages: dict = field(default_factory=dict)  # user/manual task id -> the stage it stands for


def _properties(node) -> dict:
    found = {}
    for prefix in ("spiffworkflow", "camunda"):  # camunda wins where both name one property
        for prop in node.xpath(f"./bpmn:extensionElements/{prefix}:properties/{prefix}:property", namespaces=_NS):
            if prop.get("name"):
                found[prop.get("name")] = (prop.get("value") or "").strip()
    return found


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _plain_start(process):
    """The process's start event without an event definition (the one a person starts)."""
    for start in process.xpath("./bpmn:startEvent", namespaces=_NS):
        if not any(child.tag.endswith("EventDefinition") for child in start):
            return start
    return None


def _start_form(start, properties: dict) -> dict | None:
    fields = camunda_form_fields(start, _NS)
    key = start.get(f"{{{CAMUNDA_NS}}}formKey") or properties.get("formKey")
    spiff = {}
    for name in ("formJsonSchemaFilename", "formUiSchemaFilename"):
        element = start.xpath(f"./bpmn:extensionElements/spiffworkflow:{name}", namespaces=_NS)
        value = (element[0].text or "").strip() if element else properties.get(name)
        if value:
            spiff[name] = value
    if not (fields or key or spiff):
        return None
    return {"key": key, "fields": fields, "schema_file": spiff.get("formJsonSchemaFilename"),
            "ui_schema_file": spiff.get("formUiSchemaFilename"), "free_data": False}


def _stages(process) -> dict:
    stages = {}
    for tag in _HUMAN_TASKS:
        for task in process.iter(f"{{{BPMN_NS}}}{tag}"):
            stages[task.get("id")] = _properties(task).get("stage") or task.get("name") or task.get("id")
    return stages


def request_spec(source: bytes, process_key: str) -> RequestSpec | None:
    """The request type process ``process_key`` of the deployed ``source`` declares, or None."""
    root = parse_xml(source)
    found = root.xpath("./bpmn:process[@id=$key]", namespaces=_NS, key=process_key)
    if not found:
        return None
    process = found[0]
    start = _plain_start(process)
    properties = {**_properties(process), **(_properties(start) if start is not None else {})}
    if start is None or properties.get("requestable", "").lower() not in _TRUE:
        return None
    documentation = process.xpath("./bpmn:documentation/text()", namespaces=_NS)
    cancel = None
    if properties.get("cancelMessage"):
        cancel = ("message", properties["cancelMessage"])
    elif properties.get("cancelSignal"):
        cancel = ("signal", properties["cancelSignal"])
    return RequestSpec(
        process_key=process_key,
        name=properties.get("requestName") or process.get("name") or process_key,
        description=properties.get("requestDescription") or (documentation[0].strip() if documentation else None),
        groups=_names(properties.get("requesterGroups")),
        form=_start_form(start, properties),
        public_variables=_names(properties.get("publicVariables")),
        cancel=cancel,
        subject_field=properties.get("subjectField") or "subject",
        closed_stage=properties.get("closedStage") or DEFAULT_CLOSED_STAGE,
        stages=_stages(process),
    )
