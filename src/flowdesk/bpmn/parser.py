"""One parser for the dialects modelers actually produce: plain BPMN, spiffworkflow, camunda.

The SpiffArena parser is the base (pre/post scripts, data objects, spiff properties); the
user and manual task parsers additionally read the camunda attributes SpiffWorkflow ignores
and normalise everything a ticket needs into ``spec.extensions["ticket"]``.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.util import DEFAULT_NSMAP
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import ManualTask, UserTask

from .action import ActionTask, ActionTaskParser
from .xml import CAMUNDA_NS, NAMESPACES


_TICKET_PROPERTIES = {
    "assignee": "assignee",
    "candidateUsers": "candidate_users",
    "candidateGroups": "candidate_groups",
    "dueDate": "due_date",
    "priority": "priority",
    "formKey": "form_key",
}


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class HumanTaskParser(SpiffTaskParser):
    """Reads who should work a user/manual task, when it is due and what form it shows."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        node = self.node if node is None else node
        extensions["ticket"] = self._ticket_details(node, extensions)
        return extensions

    def _ticket_details(self, node, extensions: dict) -> dict:
        ticket: dict = {}
        # spiffworkflow:properties first, camunda attributes win where both are given.
        for name, key in _TICKET_PROPERTIES.items():
            value = extensions.get("properties", {}).get(name)
            if value:
                ticket[key] = value
        for name, key in _TICKET_PROPERTIES.items():
            value = node.get(f"{{{CAMUNDA_NS}}}{name}")
            if value:
                ticket[key] = value
        for key in ("candidate_users", "candidate_groups"):
            ticket[key] = _split(ticket.get(key))
        camunda_properties = {
            p.get("name"): p.get("value")
            for p in node.xpath(
                "./bpmn:extensionElements/camunda:properties/camunda:property",
                namespaces={**NAMESPACES, "bpmn": self.nsmap["bpmn"]},
            )
        }
        if camunda_properties:
            ticket["properties"] = camunda_properties
        form = self._camunda_form(node)
        if form:
            ticket["form_fields"] = form
        if extensions.get("formJsonSchemaFilename"):
            ticket["form_schema_file"] = extensions["formJsonSchemaFilename"]
        if extensions.get("formUiSchemaFilename"):
            ticket["form_ui_schema_file"] = extensions["formUiSchemaFilename"]
        if extensions.get("instructionsForEndUser"):
            ticket["instructions"] = extensions["instructionsForEndUser"]
        if not ticket["candidate_groups"] and not ticket["candidate_users"] and not ticket.get("assignee"):
            if self.lane:
                # A lane is who does the work when the task itself names nobody.
                ticket["candidate_groups"] = [self.lane]
        return ticket

    def _camunda_form(self, node) -> list[dict]:
        ns = {**NAMESPACES, "bpmn": self.nsmap["bpmn"]}
        fields = []
        for field in node.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=ns):
            item = {
                "id": field.get("id"),
                "label": field.get("label") or field.get("id"),
                "type": field.get("type") or "string",
                "default": field.get("defaultValue"),
                "required": False,
            }
            for constraint in field.xpath("./camunda:validation/camunda:constraint", namespaces=ns):
                if constraint.get("name") == "required":
                    item["required"] = True
            values = field.xpath("./camunda:value", namespaces=ns)
            if values:
                item["options"] = [{"id": v.get("id"), "label": v.get("name") or v.get("id")} for v in values]
            fields.append(item)
        return fields


class UserTaskParser(HumanTaskParser):
    def create_task(self):
        extensions = self.parse_extensions()
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            variable=extensions.get("variableName"),
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class FlowdeskParser(SpiffBpmnParser):
    """SpiffArena's parser plus camunda ticket attributes and action service tasks."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (UserTaskParser, UserTask),
        full_tag("manualTask"): (HumanTaskParser, ManualTask),
        full_tag("serviceTask"): (ActionTaskParser, ActionTask),
    }

    def __init__(self):
        super().__init__(namespaces={**DEFAULT_NSMAP, **NAMESPACES}, validator=_validator())


_VALIDATOR: BpmnValidator | None = None


def _validator() -> BpmnValidator:
    # Building the XSD validator reads a dozen schema files; do it once per process.
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = BpmnValidator(imports={"spiffworkflow": SPIFF_XSD})
    return _VALIDATOR
