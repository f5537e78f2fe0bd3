"""Camunda Forms (the form-js JSON Camunda Modeler embeds in Camunda 8 models) as JSON schemas.

A user task names its form with ``zeebe:formDefinition formKey="camunda-forms:bpmn:ID"``; the
form is the ``zeebe:userTaskForm`` with that id, embedded in the process. Its input fields
become the ticket's JSON schema, which completion data must fit: the field types, required
fields (``validate.required``), lengths, bounds and patterns, and the options of selects,
radios and checklists. Display-only components (text, images, buttons...) are left out;
a component type the converter does not know is refused at deploy.
"""

from __future__ import annotations

import json

from lxml import etree

from .errors import ModelIssue
from .xml import BPMN_NS, ZEEBE_NS

_PREFIX = "camunda-forms:bpmn:"
_NS = {"bpmn": BPMN_NS, "zeebe": ZEEBE_NS}

_INPUTS = {
    "textfield": {"type": "string"},
    "textarea": {"type": "string"},
    "number": {"type": "number"},
    "checkbox": {"type": "boolean"},
    "datetime": {"type": "string"},
    "select": {},
    "radio": {},
    "checklist": {"type": "array"},
    "taglist": {"type": "array", "items": {"type": "string"}},
}
_DISPLAY = {"text", "html", "image", "button", "spacer", "separator", "iframe", "table", "documentPreview",
            "expression", "filepicker"}
_CONTAINERS = {"group", "dynamiclist"}


class FormNotSupported(ValueError):
    """A Camunda form that cannot become a JSON schema, or a form definition that names no form."""


def _options(component: dict) -> list | None:
    values = component.get("values")
    if isinstance(values, list) and values:
        return [v.get("value") for v in values if isinstance(v, dict)]
    if component.get("valuesKey") or component.get("valuesExpression"):
        return None  # options from a variable: any value of it
    return None


def _field(component: dict) -> dict:
    kind = component.get("type")
    prop = dict(_INPUTS[kind])
    validate = component.get("validate") or {}
    if component.get("label"):
        prop["title"] = component["label"]
    if component.get("description"):
        prop["description"] = component["description"]
    options = _options(component)
    if options is not None:
        if kind in ("checklist",):
            prop["items"] = {"enum": options}
        else:
            prop["enum"] = options
    if kind == "number":
        if "min" in validate:
            prop["minimum"] = validate["min"]
        if "max" in validate:
            prop["maximum"] = validate["max"]
        if component.get("decimalDigits") == 0:
            prop["type"] = "integer"
    if kind in ("textfield", "textarea"):
        if "minLength" in validate:
            prop["minLength"] = validate["minLength"]
        if "maxLength" in validate:
            prop["maxLength"] = validate["maxLength"]
        if validate.get("pattern"):
            prop["pattern"] = validate["pattern"]
        if validate.get("validationType") == "email":
            prop["format"] = "email"
    if "defaultValue" in component:
        prop["default"] = component["defaultValue"]
    return prop


def to_json_schema(form: dict) -> dict:
    """The JSON schema of the data a Camunda form submits. Raises :class:`FormNotSupported`."""
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        raise FormNotSupported("the form has no 'components' list")
    properties, required = {}, []

    def walk(components: list) -> None:
        for component in components:
            kind = component.get("type") if isinstance(component, dict) else None
            if kind in _DISPLAY:
                continue
            if kind in _CONTAINERS:
                if kind == "dynamiclist" or component.get("path"):
                    raise FormNotSupported(f"the form component '{component.get('id')}' ({kind} with a path) "
                                           "is not supported")
                walk(component.get("components") or [])
                continue
            if kind not in _INPUTS:
                raise FormNotSupported(f"the form component type '{kind}' is not supported")
            key = component.get("key")
            if not key or "." in key:
                raise FormNotSupported(f"the form field '{component.get('id')}' needs a key that is a variable "
                                       f"name (not '{key}')")
            properties[key] = _field(component)
            if (component.get("validate") or {}).get("required"):
                required.append(key)

    walk(form["components"])
    schema: dict = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _embedded_form(node, form_id: str):
    found = node.xpath("ancestor::bpmn:process[1]/bpmn:extensionElements/zeebe:userTaskForm[@id=$id]",
                       namespaces=_NS, id=form_id)
    if not found:
        found = node.xpath("//zeebe:userTaskForm[@id=$id]", namespaces=_NS, id=form_id)
    return found[0] if found else None


def form_of(node) -> dict | None:
    """``{"schema": ...}`` or ``{"key": ...}`` for a user task's zeebe form, None without one.

    Raises :class:`FormNotSupported` for a form that cannot be shown and enforced.
    """
    found = node.xpath("./bpmn:extensionElements/zeebe:formDefinition", namespaces=_NS)
    if not found:
        return None
    definition = found[0]
    key, form_id, external = (definition.get(a) for a in ("formKey", "formId", "externalReference"))
    if external:
        return {"key": external}
    if form_id:
        raise FormNotSupported(f"a linked form (formId '{form_id}') is not supported: embed the form in the model "
                               "(Camunda Modeler: 'embedded form') so it is deployed with it")
    if not key or not key.startswith(_PREFIX):
        return {"key": key} if key else None
    form_id = key[len(_PREFIX):]
    embedded = _embedded_form(node, form_id)
    if embedded is None:
        raise FormNotSupported(f"formKey '{key}' names no zeebe:userTaskForm with id '{form_id}' in this process")
    try:
        form = json.loads(embedded.text or "")
    except ValueError as exc:
        raise FormNotSupported(f"the zeebe:userTaskForm '{form_id}' is not JSON: {exc}") from None
    return {"schema": to_json_schema(form)}


def problems(root, filename: str) -> list[ModelIssue]:
    """A :class:`ModelIssue` for every user task whose zeebe form cannot be shown and enforced."""
    issues = []
    for task in root.iter(f"{{{BPMN_NS}}}userTask"):
        try:
            form_of(task)
        except FormNotSupported as exc:
            found = task.xpath("./bpmn:extensionElements/zeebe:formDefinition", namespaces=_NS)
            issues.append(ModelIssue(filename, found[0].sourceline, task.get("id"),
                                     f"{etree.QName(task).localname} '{task.get('id')}': {exc}"))
    return issues
