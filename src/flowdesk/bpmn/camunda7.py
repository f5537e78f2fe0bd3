"""Camunda 7 extension details, rewritten into what flowdesk runs, or refused at deploy.

* ``camunda:inputOutput``: input and output parameters whose values are text, ``${...}``
  expressions, ``camunda:list``, ``camunda:map`` or a Python ``camunda:script`` become
  mapping scripts (see :mod:`.mappings`); scripts in other languages are refused.
* ``camunda:in``/``camunda:out`` on a call activity: only the mapped variables (``source`` or
  ``sourceExpression`` to ``target``; ``variables="all"``: all) pass, as in Camunda (see
  :mod:`.call_activities`); without either, every variable passes both ways.
* ``camunda:asyncBefore``/``asyncAfter``/``async``: accepted, no effect. flowdesk saves an
  instance at each wait state and a failing step opens an incident where it failed, without
  saving half of the step, which is what a Camunda model marks async for.
* ``camunda:connector`` with ``http-connector``: an HTTP action from its ``url``, ``method``,
  ``headers`` and ``payload`` inputs; the output parameter that reads ``${response}`` receives
  the response body (parsed JSON, where Camunda gives the text); inputs or outputs the action
  cannot honour are refused. Any other connector is what a worker implements: an external
  task of the connector id whose worker fetches the input parameters evaluated among its
  variables; the output parameters run on its completion variables.
* Message throw and end events implemented by ``camunda:type="external"``: an external task
  of their ``camunda:topic``; implemented by Java (``camunda:class``, ``delegateExpression``,
  an ``expression`` calling a bean): refused (flowdesk runs no Java). An expression without
  side effects is accepted, and the event throws its message.
"""

from __future__ import annotations

import json

from lxml import etree

from . import expressions, mappings
from .errors import ModelIssue
from .xml import BPMN_NS, CAMUNDA_NS

_JAVA = ("class", "delegateExpression", "expression")
_MESSAGE_THROWS = (f"{{{BPMN_NS}}}intermediateThrowEvent", f"{{{BPMN_NS}}}endEvent")


def _local(el) -> str:
    return etree.QName(el).localname


def _owner(el):
    for node in el.iterancestors():
        if etree.QName(node).namespace == BPMN_NS and _local(node) != "extensionElements":
            return node
    return el


class _Unsupported(ValueError):
    pass


def _value(el) -> str:
    """The Python expression of a parameter's value: its text, expression, list, map or script."""
    children = [child for child in el if isinstance(child.tag, str)]
    if not children:
        text = (el.text or "").strip()
        if expressions.is_expression(text):
            return expressions.translate(text)
        if "${" in text or "#{" in text:
            raise _Unsupported(f"the text with an expression inside '{text}' (a composite expression)")
        return repr(text) if text else "None"
    child = children[0]
    kind = _local(child)
    if kind == "list":
        return "[" + ", ".join(_value(item) for item in child if isinstance(item.tag, str)) + "]"
    if kind == "map":
        return "{" + ", ".join(f"{(entry.get('key') or '')!r}: {_value(entry)}"
                               for entry in child if isinstance(entry.tag, str)) + "}"
    if kind == "value":
        return _value(child)
    if kind == "script":
        language = (child.get("scriptFormat") or "").lower()
        if "python" not in language:
            raise _Unsupported(f"a script in '{child.get('scriptFormat')}' (flowdesk runs Python only)")
        if child.get("resource"):
            raise _Unsupported("a script from an external resource")
        return f"({(child.text or '').strip()})"
    raise _Unsupported(f"camunda:{kind} as a value")


class _Rewrite:
    def __init__(self, root, filename: str):
        self.root, self.filename = root, filename
        self.issues: list[ModelIssue] = []

    def refuse(self, el, message: str, element_id: str | None = None) -> None:
        if element_id is None:
            element_id = _owner(el).get("id") if el.tag.startswith(f"{{{CAMUNDA_NS}}}") else el.get("id")
        self.issues.append(ModelIssue(self.filename, el.sourceline, element_id, message))

    def run(self) -> list[ModelIssue]:
        for connector in list(self.root.iter(f"{{{CAMUNDA_NS}}}connector")):
            self.connector(connector)
        for io in list(self.root.iter(f"{{{CAMUNDA_NS}}}inputOutput")):
            if io.getparent().tag != f"{{{CAMUNDA_NS}}}connector":  # a refused connector's own parameters
                self.input_output(io)
        for call in self.root.iter(f"{{{BPMN_NS}}}callActivity"):
            self.call_mappings(call)
        for event in list(self.root.iter(*_MESSAGE_THROWS)):
            self.message_throw(event)
        return self.issues

    def parameters(self, io, kind: str) -> list[str]:
        lines = []
        for parameter in io.iterchildren(f"{{{CAMUNDA_NS}}}{kind}Parameter"):
            name = (parameter.get("name") or "").strip()
            if not name.isidentifier() or name.startswith("_"):
                self.refuse(parameter, f"camunda:{kind}Parameter name '{name}' must be a variable name")
                continue
            try:
                lines.append(f"{name} = {_value(parameter)}")
            except (_Unsupported, expressions.ExpressionNotSupported) as exc:
                self.refuse(parameter, f"camunda:{kind}Parameter '{name}': {exc} is not supported")
        return lines

    def input_output(self, io) -> None:
        inputs, outputs = self.parameters(io, "input"), self.parameters(io, "output")
        problem = mappings.apply(_owner(io), inputs, outputs)
        if problem:
            self.refuse(io, f"camunda:inputOutput: {problem}")
        io.getparent().remove(io)

    def call_mappings(self, call) -> None:
        """Check what :mod:`.call_activities` reads: targets are variable names, expressions translate."""
        for tag in ("in", "out"):
            for mapping in call.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}{tag}"):
                if mapping.get("variables") == "all" or (tag == "in" and mapping.get("businessKey") is not None):
                    continue
                target = (mapping.get("target") or "").strip()
                if not target.isidentifier() or target.startswith("_"):
                    self.refuse(mapping, f"camunda:{tag} target '{target}' must be a variable name")
                elif mapping.get("sourceExpression"):
                    try:
                        expressions.translate(mapping.get("sourceExpression"))
                    except expressions.ExpressionNotSupported as exc:
                        self.refuse(mapping, f"camunda:{tag} sourceExpression: {exc}")
                elif not (mapping.get("source") or "").strip():
                    self.refuse(mapping, f"camunda:{tag} '{target}' names no source or sourceExpression")

    def connector(self, connector) -> None:
        task = _owner(connector)
        connector_id = (connector.findtext(f"{{{CAMUNDA_NS}}}connectorId") or "").strip()
        if not connector_id:
            self.refuse(connector, "camunda:connector names no connectorId")
            return
        if connector_id != "http-connector":
            self.worker_connector(task, connector)
            return
        io = connector.find(f"{{{CAMUNDA_NS}}}inputOutput")
        declared, result = {}, None
        for parameter in (io.iterchildren(f"{{{CAMUNDA_NS}}}inputParameter") if io is not None else []):
            name = parameter.get("name")
            text = (parameter.text or "").strip()
            if name == "headers":
                entries = parameter.findall(f"{{{CAMUNDA_NS}}}map/{{{CAMUNDA_NS}}}entry")
                if any("${" in (e.text or "") for e in entries):
                    self.refuse(parameter, "http-connector headers with expressions are not supported")
                    continue
                declared["headers"] = json.dumps({e.get("key"): (e.text or "").strip() for e in entries})
            elif name in ("url", "method") and not len(parameter) and not expressions.is_expression(text) \
                    and "${" not in text:
                declared[name] = text
            elif name == "payload" and not len(parameter) and (expressions.is_expression(text) or "${" not in text):
                declared["body"] = text if expressions.is_expression(text) else repr(text)
            else:
                self.refuse(parameter, f"http-connector input '{name}' is not supported as given (url and method "
                                       "must be constants, payload a constant or one ${...} expression)")
        for parameter in (io.iterchildren(f"{{{CAMUNDA_NS}}}outputParameter") if io is not None else []):
            if (parameter.text or "").strip() in ("${response}", "#{response}") and not len(parameter):
                result = parameter.get("name")
            else:
                self.refuse(parameter, f"http-connector output '{parameter.get('name')}' is not supported: only "
                                       "an output parameter of ${response} (the response body)")
        if not declared.get("url"):
            self.refuse(connector, "http-connector needs a constant 'url' input parameter")
            return
        if result:
            declared["result_variable"] = result
        extensions = connector.getparent()
        properties = extensions.makeelement(f"{{{CAMUNDA_NS}}}properties", {})
        for name, value in declared.items():
            properties.append(properties.makeelement(f"{{{CAMUNDA_NS}}}property", {"name": name, "value": value}))
        extensions.replace(connector, properties)
        if task.tag == f"{{{BPMN_NS}}}sendTask":
            task.tag = f"{{{BPMN_NS}}}serviceTask"
            task.attrib.pop("messageRef", None)

    def worker_connector(self, task, connector) -> None:
        """Another connector: an external worker of the connector id (see ActionTaskParser) gets its
        inputs evaluated; its output parameters run after it on the worker's variables."""
        for problem_el, problem in connector_parameters(connector)[1]:
            self.refuse(problem_el, problem)
        io = connector.find(f"{{{CAMUNDA_NS}}}inputOutput")
        if io is None:
            return
        outputs = self.parameters(io, "output")
        for output in list(io.iterchildren(f"{{{CAMUNDA_NS}}}outputParameter")):
            io.remove(output)
        problem = mappings.apply(task, [], outputs)
        if problem:
            self.refuse(connector, f"camunda:connector: {problem}")

    def message_throw(self, event) -> None:
        definition = event.find(f"{{{BPMN_NS}}}messageEventDefinition")
        if definition is None:
            return
        attributes = {name: definition.get(f"{{{CAMUNDA_NS}}}{name}") or event.get(f"{{{CAMUNDA_NS}}}{name}")
                      for name in ("type", "topic", *_JAVA)}
        java = [name for name in _JAVA if attributes[name] and not _harmless(name, attributes[name])]
        if java:
            where = definition if definition.get(f"{{{CAMUNDA_NS}}}{java[0]}") else event
            self.refuse(where, f"{_local(event)} '{event.get('id')}' is implemented by camunda:{java[0]} "
                               f"'{attributes[java[0]]}': flowdesk runs no Java; use camunda:type=\"external\" with "
                               "a camunda:topic for a worker", event.get("id"))
            return
        if attributes["type"] != "external":
            return
        was_end = event.tag == f"{{{BPMN_NS}}}endEvent"
        event.remove(definition)
        event.tag = f"{{{BPMN_NS}}}serviceTask"
        event.set(f"{{{CAMUNDA_NS}}}topic", attributes["topic"] or event.get("id"))
        if was_end:
            mappings.end_after(event)


def _harmless(kind: str, value: str) -> bool:
    """An ``expression`` without side effects (a constant, or JUEL without method calls): Camunda
    evaluates it and discards the value, so the event throws its message as BPMN says."""
    if kind != "expression":
        return False
    if not expressions.is_expression(value):
        return True
    try:
        expressions.translate(value)
        return True
    except expressions.ExpressionNotSupported:
        return False


def connector_parameters(connector) -> tuple[dict, list]:
    """({name: Python expression}, [(element, problem)]) of a camunda:connector's input parameters."""
    found, problems = {}, []
    for parameter in connector.iterfind(f"{{{CAMUNDA_NS}}}inputOutput/{{{CAMUNDA_NS}}}inputParameter"):
        name = (parameter.get("name") or "").strip()
        if not name.isidentifier() or name.startswith("_"):
            problems.append((parameter, f"camunda:connector input '{name}' must be a variable name"))
            continue
        try:
            found[name] = _value(parameter)
        except (_Unsupported, expressions.ExpressionNotSupported) as exc:
            problems.append((parameter, f"camunda:connector input '{name}': {exc} is not supported"))
    return found, problems


def rewrite(root, filename: str) -> list[ModelIssue]:
    """Rewrite the Camunda 7 details of ``root`` in place; return what cannot run as modelled."""
    return _Rewrite(root, filename).run()
