"""Camunda 8 (zeebe namespace) models, rewritten into what flowdesk already runs, at deploy.

What each extension becomes:

* ``zeebe:taskDefinition type/retries`` on a service, send, script or business rule task or a
  message throw/end event: an external task whose topic is the type, with its retries; its
  ``zeebe:taskHeaders`` reach the worker with the task (``custom_headers``).
* ``zeebe:assignmentDefinition``, ``zeebe:taskSchedule``, ``zeebe:priorityDefinition``: the
  ticket's assignee, candidates, due and follow-up dates and priority (``=variable`` is read
  when the ticket opens).
* ``zeebe:formDefinition formKey="camunda-forms:bpmn:ID"`` with its ``zeebe:userTaskForm``: the
  ticket's JSON schema (see :mod:`.camunda_forms`); ``externalReference``: the form key.
* ``zeebe:ioMapping``: inputs run before the element, outputs after it (see :mod:`.mappings`).
  Inputs are local to the element, and with outputs only they reach the process, as in Zeebe
  (see :mod:`.local_scope`).
* ``zeebe:calledElement processId``: the called process; with ``propagateAllChildVariables="false"``
  only its output mappings come back (see :mod:`.call_activities`).
* ``zeebe:subscription correlationKey="=var"``: a message is delivered with
  ``correlation_keys: {"var": value}`` (the instance whose ``var`` has that value takes it).
* ``zeebe:loopCharacteristics``: standard multi-instance input/output collection and items.
* ``zeebe:script expression/resultVariable``: a Python script task.
* ``zeebe:calledDecision decisionId/resultVariable``: a decision of the same upload.

Anything else in the zeebe namespace, and any FEEL expression that cannot be translated,
is refused at deploy naming the element and line.
"""

from __future__ import annotations

import json

from lxml import etree

from . import camunda_forms, feel, mappings
from .errors import ModelIssue
from .expressions import ExpressionNotSupported
from .xml import BPMN_NS, CAMUNDA_NS, ZEEBE_NS

# Elements read elsewhere (the parser, the form converter, their parent's handler) or that change
# nothing at run time (``userTask`` marks a Camunda user task, ``versionTag`` labels a version).
_READ_ELSEWHERE = {"taskHeaders", "header", "userTaskForm", "formDefinition", "userTask", "versionTag",
                   "input", "output", "property"}
_JOB_TASKS = ("serviceTask", "sendTask", "scriptTask", "businessRuleTask")


def _local(el) -> str:
    return etree.QName(el).localname


def _owner(el):
    """The BPMN element an extension element belongs to."""
    for node in el.iterancestors():
        if etree.QName(node).namespace == BPMN_NS and _local(node) != "extensionElements":
            return node
    return el


def _static(value: str | None) -> str | None:
    """A value given as a constant: plain text, or a FEEL string literal ``="text"``."""
    text = (value or "").strip()
    if not feel.is_feel(text):
        return text
    body = text[1:].strip()
    if len(body) >= 2 and body[0] == body[-1] == '"':
        try:
            return json.loads(body)
        except ValueError:
            return None
    return None


class _Rewrite:
    def __init__(self, root, filename: str):
        self.root, self.filename = root, filename
        self.issues: list[ModelIssue] = []

    def refuse(self, el, message: str) -> None:
        owner = _owner(el) if etree.QName(el).namespace == ZEEBE_NS else el
        self.issues.append(ModelIssue(self.filename, el.sourceline, owner.get("id"), message))

    def python(self, el, expression: str, what: str) -> str | None:
        text = expression.strip()
        try:
            return feel.translate(text if feel.is_feel(text) else "=" + text)
        except ExpressionNotSupported as exc:
            self.refuse(el, f"unsupported expression in {what}: {exc}")
            return None

    def reference(self, el, value: str, what: str) -> str | None:
        """A ticket attribute: constant text, or ``${variable}`` for ``=variable``."""
        static = _static(value)
        if static is not None:
            return static
        name = feel.variable_name(value)
        if name is not None:
            return "${" + name + "}"
        body = value.strip()[1:].strip()
        if body.startswith("[") and body.endswith("]"):  # a FEEL list of constant strings
            try:
                items = json.loads(body)
                if isinstance(items, list) and all(isinstance(i, str) for i in items):
                    return ",".join(items)
            except ValueError:
                pass
        self.refuse(el, f"{what} '{value}' is not supported: give a constant or '=variable'")
        return None

    def run(self) -> list[ModelIssue]:
        for el in list(self.root.iter(f"{{{ZEEBE_NS}}}*")):
            handler = getattr(self, f"_{_local(el)}", None)
            if handler is not None:
                handler(el)
            elif _local(el) not in _READ_ELSEWHERE:
                self.refuse(el, f"zeebe:{_local(el)} is not supported: flowdesk would run the model without it")
        for el in self.root.iter(f"{{{BPMN_NS}}}timeDate", f"{{{BPMN_NS}}}timeDuration", f"{{{BPMN_NS}}}timeCycle"):
            if feel.is_feel(el.text):
                name = feel.variable_name(el.text)
                python = name if name is not None else self.python(el, el.text, "timer")
                if python is not None:
                    el.text = python
        return self.issues

    # --- job workers ----------------------------------------------------------------------------

    def _taskDefinition(self, el) -> None:
        node = _owner(el)
        if _static(el.get("type")) in (None, ""):
            self.refuse(el, f"zeebe:taskDefinition type '{el.get('type')}' is not supported: give the job type "
                            "as a constant (it is the external task topic)")
            return
        retries = _static(el.get("retries"))
        if el.get("retries") is not None and not (retries or "").isdigit():
            self.refuse(el, f"zeebe:taskDefinition retries '{el.get('retries')}' must be a whole number")
            return
        kind = _local(node)
        message = node.find(f"{{{BPMN_NS}}}messageEventDefinition")
        if kind in _JOB_TASKS:
            node.tag = f"{{{BPMN_NS}}}serviceTask"
            node.attrib.pop("messageRef", None)
        elif kind == "intermediateThrowEvent" and message is not None:
            node.remove(message)
            node.tag = f"{{{BPMN_NS}}}serviceTask"
        elif kind == "endEvent" and message is not None:
            node.remove(message)
            node.tag = f"{{{BPMN_NS}}}serviceTask"
            mappings.end_after(node)
        else:
            self.refuse(el, f"zeebe:taskDefinition on a {kind} is not supported")

    def _script(self, el) -> None:
        node = _owner(el)
        target = (el.get("resultVariable") or "").strip()
        if not target.isidentifier():
            self.refuse(el, f"zeebe:script resultVariable '{target}' must be a variable name")
            return
        python = self.python(el, el.get("expression") or "", "zeebe:script")
        if python is None:
            return
        node.set("scriptFormat", "python")
        script = node.find(f"{{{BPMN_NS}}}script")
        if script is None:
            script = node.makeelement(f"{{{BPMN_NS}}}script", {})
            node.append(script)
        script.text = f"{target} = {python}"

    def _calledDecision(self, el) -> None:
        node = _owner(el)
        decision = _static(el.get("decisionId"))
        if not decision:
            self.refuse(el, f"zeebe:calledDecision decisionId '{el.get('decisionId')}' must be a constant")
            return
        node.set(f"{{{CAMUNDA_NS}}}decisionRef", decision)
        if el.get("resultVariable"):
            node.set(f"{{{CAMUNDA_NS}}}resultVariable", el.get("resultVariable"))

    # --- human tasks ----------------------------------------------------------------------------

    def _assignmentDefinition(self, el) -> None:
        node = _owner(el)
        for name in ("assignee", "candidateGroups", "candidateUsers"):
            if el.get(name):
                value = self.reference(el, el.get(name), f"zeebe:assignmentDefinition {name}")
                if value is not None:
                    node.set(f"{{{CAMUNDA_NS}}}{name}", value)

    def _taskSchedule(self, el) -> None:
        node = _owner(el)
        if el.get("dueDate"):
            value = self.reference(el, el.get("dueDate"), "zeebe:taskSchedule dueDate")
            if value is not None:
                node.set(f"{{{CAMUNDA_NS}}}dueDate", value)
        if el.get("followUpDate"):
            value = self.reference(el, el.get("followUpDate"), "zeebe:taskSchedule followUpDate")
            if value is not None:
                node.set(f"{{{CAMUNDA_NS}}}followUpDate", value)

    def _priorityDefinition(self, el) -> None:
        value = self.reference(el, el.get("priority") or "", "zeebe:priorityDefinition priority")
        if value is not None:
            _owner(el).set(f"{{{CAMUNDA_NS}}}priority", value)

    def _properties(self, el) -> None:
        for prop in el.iterchildren(f"{{{ZEEBE_NS}}}property"):
            if prop.get("name"):
                self._property(_owner(el), prop.get("name"), prop.get("value") or "")

    @staticmethod
    def _property(node, name: str, value: str) -> None:
        extensions = mappings.extension_elements(node)
        properties = extensions.find(f"{{{CAMUNDA_NS}}}properties")
        if properties is None:
            properties = extensions.makeelement(f"{{{CAMUNDA_NS}}}properties", {})
            extensions.append(properties)
        properties.append(properties.makeelement(f"{{{CAMUNDA_NS}}}property", {"name": name, "value": value}))

    # --- variables --------------------------------------------------------------------------------

    def _ioMapping(self, el) -> None:
        lines: dict[str, list[str]] = {"input": [], "output": []}
        for kind in lines:
            for mapping in el.iterchildren(f"{{{ZEEBE_NS}}}{kind}"):
                target = (mapping.get("target") or "").strip()
                if not target.isidentifier() or target.startswith("_"):
                    self.refuse(mapping, f"zeebe:{kind} target '{target}' is not supported: map to a variable "
                                         "name (not a path)")
                    continue
                python = self.python(mapping, mapping.get("source") or "", f"zeebe:{kind} '{target}'")
                if python is not None:
                    lines[kind].append(f"{target} = {python}")
        owner = _owner(el)
        called = owner.find(f"{{{BPMN_NS}}}extensionElements/{{{ZEEBE_NS}}}calledElement")
        if called is not None and (called.get("propagateAllChildVariables") or "").strip().lower() == "false":
            lines["output"] = []  # read from the called process's variables (see call_activities)
        problem = mappings.apply(owner, lines["input"], lines["output"], only_outputs=True)
        if problem:
            self.refuse(el, f"zeebe:ioMapping: {problem}")

    def _calledElement(self, el) -> None:
        node = _owner(el)
        process_id = _static(el.get("processId"))
        if not process_id:
            self.refuse(el, f"zeebe:calledElement processId '{el.get('processId')}' is not supported: "
                            "give the called process id as a constant")
            return
        node.set("calledElement", process_id)

    def _subscription(self, el) -> None:
        key = el.get("correlationKey")
        if key and feel.variable_name(key) is None:
            self.refuse(el, f"zeebe:subscription correlationKey '{key}' is not supported: correlate on a "
                            "variable ('=orderId'); a message then names it in correlation_keys")

    def _loopCharacteristics(self, el) -> None:
        loop = el.getparent().getparent()  # extensionElements in multiInstanceLoopCharacteristics
        collection = feel.variable_name(el.get("inputCollection") or "")
        if collection is None:
            self.refuse(el, f"zeebe:loopCharacteristics inputCollection '{el.get('inputCollection')}' is not "
                            "supported: name a variable ('=items')")
            return
        output = el.get("outputCollection")
        output_element = feel.variable_name(el.get("outputElement") or "") if output else None
        if output and (not output.isidentifier() or output_element is None):
            self.refuse(el, "zeebe:loopCharacteristics outputCollection must be a variable name and outputElement "
                            f"'={'{variable}'}' (not '{el.get('outputElement')}')")
            return
        children = [("loopDataInputRef", collection, None)]
        if output:
            children.append(("loopDataOutputRef", output, None))
        if el.get("inputElement"):
            children.append(("inputDataItem", None, el.get("inputElement")))
        if output:
            children.append(("outputDataItem", None, output_element))
        self._completion(loop)
        anchor = loop.find(f"{{{BPMN_NS}}}extensionElements")
        for tag, text, item in children:
            child = loop.makeelement(f"{{{BPMN_NS}}}{tag}", {} if item is None else {"id": item, "name": item})
            child.text = text
            anchor.addnext(child)
            anchor = child


    def _completion(self, loop) -> None:
        condition = loop.find(f"{{{BPMN_NS}}}completionCondition")
        if condition is None or not feel.is_feel(condition.text):
            return
        python = self.python(condition, condition.text, "completion condition")
        if python is not None:
            for zeebe_name, name in _LOOP_VARIABLES.items():  # as multi_instance provides them
                python = python.replace(f"_lookup_({zeebe_name!r})", f"_lookup_({name!r})")
            condition.text = python


# Zeebe's multi-instance variables and the names flowdesk's completion conditions read them by.
_LOOP_VARIABLES = {"numberOfInstances": "nrOfInstances", "numberOfActiveInstances": "nrOfActiveInstances",
                   "numberOfCompletedInstances": "nrOfCompletedInstances", "loopCounter": "loopCounter"}


def rewrite(root, filename: str) -> list[ModelIssue]:
    """Rewrite the zeebe extensions of ``root`` in place; return what cannot run as modelled."""
    issues = _Rewrite(root, filename).run()
    issues += camunda_forms.problems(root, filename)
    return issues


def job_worker(node, ns: dict) -> dict | None:
    """``{"topic", "retries", "headers"}`` of a task a zeebe job worker implements (else None)."""
    found = node.xpath("./bpmn:extensionElements/zeebe:taskDefinition", namespaces={**ns, "zeebe": ZEEBE_NS})
    if not found:
        return None
    definition = found[0]
    headers = {h.get("key"): h.get("value") or ""
               for h in node.xpath("./bpmn:extensionElements/zeebe:taskHeaders/zeebe:header",
                                   namespaces={**ns, "zeebe": ZEEBE_NS}) if h.get("key")}
    retries = _static(definition.get("retries"))
    return {"topic": _static(definition.get("type")), "retries": int(retries) if retries and retries.isdigit() else 3,
            "headers": headers}
