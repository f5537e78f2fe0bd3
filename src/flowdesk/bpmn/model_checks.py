"""Deploy-time rewriting and refusals of a BPMN tree, before SpiffWorkflow parses it.

Camunda expressions become Python, and whatever would not run faithfully — a dangling
reference, a script in another language or that the restricted compiler refuses, an
expression that cannot be translated, a keyed data store — becomes a :class:`ModelIssue`
naming the file, line and element.
"""

from __future__ import annotations

import re

from lxml import etree

from . import expressions, feel, script_engine
from .errors import ModelIssue
from .xml import BPMN_NS, CAMUNDA_NS, NAMESPACES

SPIFF_NS = NAMESPACES["spiffworkflow"]

# Elements whose text SpiffWorkflow runs through the script engine: (tag, mode, what to call it).
_CODE_ELEMENTS = (
    (f"{{{BPMN_NS}}}script", "exec", "script"),
    (f"{{{SPIFF_NS}}}preScript", "exec", "preScript"),
    (f"{{{SPIFF_NS}}}postScript", "exec", "postScript"),
    (f"{{{BPMN_NS}}}conditionExpression", "eval", "condition"),
    (f"{{{BPMN_NS}}}condition", "eval", "condition"),  # conditional events
    (f"{{{BPMN_NS}}}completionCondition", "eval", "completion condition"),
    (f"{{{BPMN_NS}}}loopCondition", "eval", "loop condition"),
    (f"{{{BPMN_NS}}}loopCardinality", "eval", "loop cardinality"),
)
# Attributes the server resolves itself, and only as a plain ``${variable}`` (see execution.py).
_TICKET_ATTRIBUTES = ("assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate", "priority")
_HUMAN_TASKS = (f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask")
# Declared languages that mean Python (besides any name containing "python").
_PYTHON_LANGUAGES = ("py", "text/x-python", "application/x-python")


def check_references(root, filename: str) -> list[ModelIssue]:
    """Sequence flows must connect elements that exist (SpiffWorkflow's message is obscure)."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    issues = []
    for flow in list(root.iter(f"{{{BPMN_NS}}}sequenceFlow")):
        if flow.get("sourceRef") is None or flow.get("targetRef") is None:
            # A flow drawn loose (no source or no target) connects nothing; SpiffWorkflow skips it.
            flow.getparent().remove(flow)
            continue
        for attribute in ("sourceRef", "targetRef"):
            ref = flow.get(attribute)
            if ref not in ids:
                issues.append(ModelIssue(filename, flow.sourceline, flow.get("id"),
                                         f"sequence flow '{flow.get('id')}' has {attribute} '{ref}', "
                                         "which is not an element of this file"))
    return issues


def _owner_id(el) -> str | None:
    """Id of the element a script, condition or property belongs to (itself if it has one)."""
    for node in (el, *el.iterancestors()):
        if node.get("id"):
            return node.get("id")
    return None


def _action_bodies(root) -> list:
    """``body`` properties of service tasks: a Python expression the server evaluates."""
    found = []
    for task in root.iter(f"{{{BPMN_NS}}}serviceTask"):
        for ns in (CAMUNDA_NS, SPIFF_NS):
            found += task.xpath("./bpmn:extensionElements/x:properties/x:property[@name='body']",
                                namespaces={"bpmn": BPMN_NS, "x": ns})
    return found


def _ticket_properties(task) -> list:
    return task.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                      namespaces={"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS})


def _variable_references(value: str) -> str:
    """``value`` with each ``${...}`` part rewritten as the ``${variable}`` execution.py resolves.

    Raises ExpressionNotSupported for a part that is not simply a variable.
    """
    parts = value.split(",")
    for n, part in enumerate(parts):
        if expressions.is_expression(part):
            python = expressions.translate(part)
            if not python.isidentifier():
                raise expressions.ExpressionNotSupported("anything but a ${variable} reference", part.strip())
            parts[n] = "${" + python + "}"
    return ",".join(parts)


_JODA_STEP = re.compile(r"\.plus(Years|Months|Weeks|Days|Hours|Minutes|Seconds)\((\d+)\)")
_JODA_DUE = re.compile(r"^\s*[$#]\{\s*dateTime\(\)((?:\.plus\w+\(\d+\))+)(?:\.toDate\(\))?\s*\}\s*$")
_ISO_PARTS = {"Years": ("Y", False), "Months": ("M", False), "Weeks": ("W", False), "Days": ("D", False),
              "Hours": ("H", True), "Minutes": ("M", True), "Seconds": ("S", True)}


def _relative_due_date(value: str) -> str | None:
    """Camunda's ``${dateTime().plusDays(2).toDate()}`` as the ISO duration ``P2D`` (else None)."""
    match = _JODA_DUE.match(value)
    if not match:
        return None
    date, time = "", ""
    for unit, amount in _JODA_STEP.findall(match.group(1)):
        letter, is_time = _ISO_PARTS[unit]
        if is_time:
            time += f"{amount}{letter}"
        else:
            date += f"{amount}{letter}"
    return "P" + date + (f"T{time}" if time else "")


def translate_expressions(root, filename: str) -> list[ModelIssue]:
    """Rewrite Camunda ``${...}`` and FEEL ``=...`` expressions as Python in the tree SpiffWorkflow will parse.

    Only the parsed tree changes; the stored source keeps the XML as uploaded.
    """
    issues = []

    def refuse(el, what: str, exc: ValueError):
        issues.append(ModelIssue(filename, el.sourceline, _owner_id(el), f"unsupported expression in {what}: {exc}"))

    for tag, mode, what in _CODE_ELEMENTS:
        if mode != "eval":
            continue
        for el in root.iter(tag):
            translator = (expressions.translate if expressions.is_expression(el.text)
                          else feel.translate if feel.is_feel(el.text) else None)
            if translator is not None:
                try:
                    el.text = translator(el.text)
                except expressions.ExpressionNotSupported as exc:
                    refuse(el, what, exc)
    for prop in _action_bodies(root):
        if expressions.is_expression(prop.get("value")):
            try:
                prop.set("value", expressions.translate(prop.get("value")))
            except expressions.ExpressionNotSupported as exc:
                refuse(prop, "action body", exc)
    for task in (task for tag in _HUMAN_TASKS for task in root.iter(tag)):
        targets = [(task, f"{{{CAMUNDA_NS}}}{name}", f"camunda:{name}") for name in _TICKET_ATTRIBUTES]
        targets += [(prop, "value", f"property {prop.get('name')}") for prop in _ticket_properties(task)
                    if prop.get("name") in _TICKET_ATTRIBUTES]
        for el, attribute, what in targets:
            value = el.get(attribute)
            if value and ("${" in value or "#{" in value):
                relative = _relative_due_date(value) if attribute.endswith("dueDate") or "dueDate" in what else None
                if relative:
                    el.set(attribute, relative)
                    continue
                try:
                    el.set(attribute, _variable_references(value))
                except expressions.ExpressionNotSupported as exc:
                    refuse(el, what, exc)
    return issues


def _script_language(el) -> str:
    """The language a script (``scriptFormat``) or expression (``language``) says it is written in."""
    owner = el.getparent() if el.tag == f"{{{BPMN_NS}}}script" else el
    return ((owner.get("scriptFormat") if owner is not None else None) or el.get("language") or "").strip()


def _is_python(language: str) -> bool:
    return not language or "python" in language.lower() or language.lower() in _PYTHON_LANGUAGES


def check_script_languages(root, filename: str) -> list[ModelIssue]:
    """Refuse scripts and expressions declared in another language (Groovy, JavaScript, ...).

    Only Python runs, in the sandbox; running it as Python would misread the model or fail later.
    """
    issues = []
    for tag, _mode, what in _CODE_ELEMENTS:
        for el in root.iter(tag):
            language = _script_language(el)
            if not _is_python(language):
                issues.append(ModelIssue(filename, el.sourceline, _owner_id(el),
                                         f"refused {what}: the {what} is written in '{language}'; "
                                         "flowdesk runs Python scripts only (in its sandbox)"))
    return issues


def check_listeners(root, filename: str) -> list[ModelIssue]:
    """Refuse Camunda task and execution listeners: flowdesk does not run them, and a model whose
    listeners set assignees or variables would otherwise run without them, silently different."""
    issues = []
    for kind in ("taskListener", "executionListener"):
        for el in root.iter(f"{{{CAMUNDA_NS}}}{kind}"):
            issues.append(ModelIssue(filename, el.sourceline, _owner_id(el),
                                     f"camunda:{kind} (event '{el.get('event', '?')}') is not supported: flowdesk "
                                     "does not run listeners; model what it does as a script task or gateway"))
    return issues


def check_data_store_types(root, filename: str) -> list[ModelIssue]:
    """Accept the SpiffArena editor's ``type="json"`` on data store references (every store is a
    JSON store; the attribute is not BPMN, so it goes before schema validation) and refuse the
    other store kinds, whose keyed semantics a JSON store would silently change."""
    issues = []
    for ref in root.iter(f"{{{BPMN_NS}}}dataStoreReference"):
        kind = ref.attrib.pop("type", None)
        if kind is not None and kind.strip().lower() != "json":
            issues.append(ModelIssue(filename, ref.sourceline, ref.get("id"),
                                     f"data store type '{kind}' is not supported: data stores are JSON stores"))
    return issues


def check_scripts(root, filename: str) -> list[ModelIssue]:
    """Refuse at deploy time any script or condition the restricted compiler will not run."""
    targets = [(el, el.text, mode, what) for tag, mode, what in _CODE_ELEMENTS for el in root.iter(tag)]
    targets += [(prop, prop.get("value"), "eval", "action body") for prop in _action_bodies(root)]
    issues = []
    for el, text, mode, what in targets:
        code = (text or "").strip()
        # Untranslatable ${...} expressions were reported by translate_expressions already,
        # scripts in other languages by check_script_languages.
        if not code or expressions.is_expression(code) or not _is_python(_script_language(el)):
            continue
        if code.startswith("=") and mode == "eval":
            continue  # FEEL: translated, or refused naming the construct, by translate_expressions
        if code.startswith("="):
            issues.append(ModelIssue(filename, el.sourceline, _owner_id(el),
                                     f"refused {what}: '{code}' is a FEEL expression (Camunda 8); FEEL runs in "
                                     f"conditions and mappings, not as a {what}: write the {what} in Python"))
            continue
        try:
            script_engine.check(code, mode)
        except SyntaxError as exc:
            issues.append(ModelIssue(filename, el.sourceline, _owner_id(el), f"refused {what}: {exc}"))
    return issues


def check_compensation(root, filename: str) -> list[ModelIssue]:
    """Refuse compensation events and handlers: the engine (SpiffWorkflow 3.2) cannot run them,
    and a process whose undo steps silently never run would be worse than a refusal."""
    issues = []
    for definition in root.iter(f"{{{BPMN_NS}}}compensateEventDefinition"):
        event = definition.getparent()
        issues.append(ModelIssue(filename, event.sourceline, event.get("id"),
                                 f"{etree.QName(event).localname} '{event.get('id')}' is a compensation event: "
                                 "compensation is not supported; model the undo steps as ordinary flow (an error "
                                 "boundary event leading to them, for instance)"))
    for handler in root.xpath("//*[@isForCompensation='true']"):
        issues.append(ModelIssue(filename, handler.sourceline, handler.get("id"),
                                 f"'{handler.get('id')}' is a compensation handler (isForCompensation): "
                                 "compensation is not supported"))
    return issues
