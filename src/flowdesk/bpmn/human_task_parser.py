"""Parsing human tasks: who should work a user or manual task, when it is due, what form it shows.

SpiffWorkflow's parsers ignore the camunda attributes (``assignee``, ``candidateGroups``...);
these read them beside the spiffworkflow properties and keep everything a ticket needs in
``spec.extensions["ticket"]``.
"""

from __future__ import annotations

from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser

from . import camunda_forms
from .xml import CAMUNDA_NS, NAMESPACES

_TICKET_PROPERTIES = {
    "assignee": "assignee",
    "candidateUsers": "candidate_users",
    "candidateGroups": "candidate_groups",
    "dueDate": "due_date",
    "followUpDate": "follow_up_date",
    "priority": "priority",
    "formKey": "form_key",
}


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _properties_under(node, ns: dict) -> dict:
    """camunda:property and spiffworkflow:property name/value pairs under ``node``'s extensionElements."""
    found = {}
    for prefix in ("spiffworkflow", "camunda"):  # camunda wins where both name one property
        for prop in node.xpath(f"./bpmn:extensionElements/{prefix}:properties/{prefix}:property", namespaces=ns):
            if prop.get("name"):
                found[prop.get("name")] = prop.get("value")
    return found


def task_properties(extensions: dict) -> dict:
    """A human task's extension properties: its process's, then its own spiffworkflow, then camunda ones."""
    ticket = extensions.get("ticket") or {}
    return {**(ticket.get("process_properties") or {}), **(extensions.get("properties") or {}),
            **(ticket.get("properties") or {})}


def camunda_form_fields(node, ns: dict) -> list[dict]:
    """The camunda ``formData`` fields of a user task or start event, as a ticket's form keeps them."""
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
        # Properties on the process (assignment policy, calendar...) apply to all its human tasks.
        ns = {**NAMESPACES, "bpmn": self.nsmap["bpmn"]}
        process = node.xpath("ancestor::bpmn:process[1]", namespaces=ns)
        process_properties = _properties_under(process[0], ns) if process else {}
        if process_properties:
            ticket["process_properties"] = process_properties
        form = self._camunda_form(node)
        if form:
            ticket["form_fields"] = form
        # The element form (<spiffworkflow:formJsonSchemaFilename>) or the property form the
        # SpiffArena editor writes (<spiffworkflow:property name="formJsonSchemaFilename">).
        properties = extensions.get("properties") or {}
        for name, key in (("formJsonSchemaFilename", "form_schema_file"), ("formUiSchemaFilename", "form_ui_schema_file")):
            if extensions.get(name) or properties.get(name):
                ticket[key] = extensions.get(name) or properties[name]
        zeebe_form = camunda_forms.form_of(node)  # checked at deploy (zeebe.rewrite)
        if zeebe_form and zeebe_form.get("schema"):
            ticket["form_schema"] = zeebe_form["schema"]
        elif zeebe_form and zeebe_form.get("key"):
            ticket["form_key"] = zeebe_form["key"]
        if extensions.get("instructionsForEndUser"):
            ticket["instructions"] = extensions["instructionsForEndUser"]
        if not ticket["candidate_groups"] and not ticket["candidate_users"] and not ticket.get("assignee"):
            if self.lane:
                # A lane is who does the work when the task itself names nobody.
                ticket["candidate_groups"] = [self.lane]
        return ticket

    def _camunda_form(self, node) -> list[dict]:
        return camunda_form_fields(node, {**NAMESPACES, "bpmn": self.nsmap["bpmn"]})


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
