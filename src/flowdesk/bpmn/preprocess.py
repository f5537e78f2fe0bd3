"""Rewriting uploaded BPMN trees into what SpiffWorkflow runs, before the parser sees them.

Every function changes the lxml tree in place and is idempotent, so running it twice (by
the parser and by a caller) is harmless.
"""

from __future__ import annotations

import copy
import json
import re

from .cron import is_cron
from .durations import looks_like_duration
from .xml import BPMN_NS, CAMUNDA_NS

_TIMER_TAGS = tuple(f"{{{BPMN_NS}}}{name}" for name in ("timeDate", "timeDuration", "timeCycle"))
_SCOPE_TAGS = tuple(f"{{{BPMN_NS}}}{name}" for name in ("process", "subProcess", "transaction", "adHocSubProcess"))
_THROW = f"{{{BPMN_NS}}}intermediateThrowEvent"
_CATCH = f"{{{BPMN_NS}}}intermediateCatchEvent"
_LINK = f"{{{BPMN_NS}}}linkEventDefinition"

_ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}([.,]\d+)?)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$", re.IGNORECASE)
_ISO_WEEK = re.compile(r"^\d{4}-?W\d{2}-?\d(T[\d:.]+)?(Z|[+-]\d{2}(:?\d{2})?)?$", re.IGNORECASE)
_ISO_RECURRING = re.compile(r"^R\d*/[^\s\"']+$", re.IGNORECASE)
_JUEL_VARIABLE = re.compile(r"^[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")
_FLOW = f"{{{BPMN_NS}}}sequenceFlow"
_CONDITION = f"{{{BPMN_NS}}}conditionExpression"
# Flow nodes SpiffWorkflow lets leave by one unconditional flow only (start events: unconditional only).
_SPLITTING = tuple(f"{{{BPMN_NS}}}{name}" for name in (
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent"))


def is_bare_timer_value(text: str) -> bool:
    """True for an unquoted ISO 8601 date, duration, recurring interval or cron expression."""
    # Anything shaped like a duration ("PT5X", "-PT1H", "P" too) is meant as one: quoted, so a
    # typo fails at deploy instead of as an unknown variable at run time.
    return bool(looks_like_duration(text) or _ISO_DATE.match(text) or _ISO_WEEK.match(text)
                or _ISO_RECURRING.match(text) or is_cron(text))


def normalise_timers(root) -> None:
    """Make timer values as modelers write them evaluate the way they mean.

    SpiffWorkflow evaluates timer text as a Python expression: ``PT5M`` would be a variable
    name. Bare ISO values and cron expressions become string literals, and a Camunda
    ``${name}`` becomes the variable ``name``; anything else is an expression and is kept.
    """
    for node in root.iter(*_TIMER_TAGS):
        text = (node.text or "").strip()
        if not text:
            continue
        variable = _JUEL_VARIABLE.match(text)
        if variable:
            node.text = variable.group(1)
        elif is_bare_timer_value(text):
            node.text = json.dumps(text)


def _link_name(event) -> str | None:
    link = event.find(_LINK)
    if link is None:
        return None
    return (link.get("name") or event.get("name") or "").strip()


def link_problems(root) -> list[tuple[object, str]]:
    """Connect link events (see :func:`resolve_links`); return (element, problem) pairs."""
    problems: list[tuple[object, str]] = []
    for scope in root.iter(*_SCOPE_TAGS):
        throws, catches = [], {}
        for child in scope:
            if child.tag not in (_THROW, _CATCH):
                continue
            name = _link_name(child)
            if name is None:
                continue
            if child.tag == _THROW:
                throws.append((child, name))
            elif name in catches:
                problems.append((child, f"link catch event '{child.get('id')}' has the same link name "
                                        f"'{name}' as '{catches[name].get('id')}'"))
            else:
                catches[name] = child
        used = set()
        for throw, name in throws:
            catch = catches.get(name)
            if catch is None:
                problems.append((throw, f"link throw event '{throw.get('id')}' has no link catch event "
                                        f"named '{name}' in the same process or subprocess"))
                continue
            _connect(scope, throw, catch)
            used.add(name)
        for name in used:
            catch = catches[name]
            catch.remove(catch.find(_LINK))
    return problems


def _connect(scope, throw, catch) -> None:
    # The throw becomes a plain intermediate event with a flow to the catch, which becomes a
    # plain (immediately passing) intermediate catch: the token takes the link.
    throw.remove(throw.find(_LINK))
    flow = throw.makeelement(f"{{{BPMN_NS}}}sequenceFlow", {
        "id": f"flowdesk_link_{throw.get('id')}_{catch.get('id')}",
        "sourceRef": throw.get("id"),
        "targetRef": catch.get("id"),
    })
    flow.tail = throw.tail
    throw.addnext(flow)


def resolve_links(root) -> list[str]:
    """Connect each link throw event to the catch event with the same link name in its scope.

    SpiffWorkflow ignores link events: a process silently reports completion right after the
    throw. Returns a problem for each throw without a matching catch (and duplicate catches).
    """
    return [problem for _, problem in link_problems(root)]


def add_end_events(root) -> None:
    """Give a subprocess drawn without an end event one, unconnected.

    BPMN ends a token at an activity with no outgoing flow (an implicit end); SpiffWorkflow
    refuses a subprocess without an end event element, and :class:`Execution` completes a
    subprocess whose last token ended implicitly.
    """
    for scope in root.iter(f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction"):
        if scope.get("triggeredByEvent") == "true" or scope.find(f"{{{BPMN_NS}}}endEvent") is not None:
            continue
        end = scope.makeelement(f"{{{BPMN_NS}}}endEvent", {"id": f"{scope.get('id')}_implicit_end"})
        flow_nodes = [child for child in scope if isinstance(child.tag, str) and child.tag.startswith(f"{{{BPMN_NS}}}")
                      and child.tag.rsplit("}", 1)[1] not in ("documentation", "extensionElements", "ioSpecification",
                                                              "property", "dataInputAssociation",
                                                              "dataOutputAssociation", "multiInstanceLoopCharacteristics",
                                                              "standardLoopCharacteristics", "laneSet",
                                                              "incoming", "outgoing")]
        if flow_nodes:
            flow_nodes[0].addprevious(end)


def split_outgoing_flows(root) -> None:
    """Give activities and events with several outgoing flows, or conditional ones, the gateway
    BPMN implies.

    The standard lets a token leave an activity or event by every unconditional flow, every
    conditional flow whose condition holds, and its default flow when none holds. SpiffWorkflow
    refuses several flows from a task and ignores conditions on flows from a start event, so
    the flows move to a new gateway after the node: parallel when none has a condition,
    inclusive otherwise (where an unconditional flow gets the condition ``True``).
    """
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for scope in root.iter(*_SCOPE_TAGS):
        flows: dict[str, list] = {}
        for child in scope:
            if child.tag == _FLOW:
                flows.setdefault(child.get("sourceRef"), []).append(child)
        for node in [child for child in scope if child.tag in _SPLITTING]:
            outgoing = flows.get(node.get("id"), [])
            conditional = [f for f in outgoing if f.find(_CONDITION) is not None]
            default = node.get("default")
            if not conditional and (len(outgoing) < 2 or node.tag == f"{{{BPMN_NS}}}startEvent"):
                continue
            _insert_gateway(node, outgoing, "inclusiveGateway" if conditional or default else "parallelGateway",
                            default, ids)


def _unique(wanted: str, ids: set) -> str:
    name, n = wanted, 1
    while name in ids:
        n += 1
        name = f"{wanted}_{n}"
    ids.add(name)
    return name


def _insert_gateway(node, outgoing: list, kind: str, default: str | None, ids: set) -> None:
    node_id = node.get("id")
    gateway = node.makeelement(f"{{{BPMN_NS}}}{kind}", {"id": _unique(f"{node_id}_split", ids)})
    if node.get("name"):
        gateway.set("name", f"after {node.get('name')}")
    if default:
        gateway.set("default", default)
        del node.attrib["default"]
    flow = node.makeelement(_FLOW, {"id": _unique(f"{node_id}_to_split", ids), "sourceRef": node_id,
                                    "targetRef": gateway.get("id")})
    gateway.tail = flow.tail = node.tail
    node.addnext(gateway)
    gateway.addnext(flow)
    for out in outgoing:
        out.set("sourceRef", gateway.get("id"))
        if kind == "inclusiveGateway" and out.get("id") != default and out.find(_CONDITION) is None:
            condition = out.makeelement(_CONDITION, {})
            condition.text = "True"
            out.append(condition)


# Attributes and elements whose value is the id of another element of the file.
_REFERENCE_ATTRIBUTES = ("sourceRef", "targetRef", "default", "attachedToRef", "messageRef", "signalRef", "errorRef",
                         "escalationRef", "dataObjectRef", "dataStoreRef", "processRef", "itemSubjectRef",
                         "structureRef", "operationRef", "activityRef", "calledElement")
_REFERENCE_ELEMENTS = tuple(f"{{{BPMN_NS}}}{name}" for name in (
    "incoming", "outgoing", "sourceRef", "targetRef", "eventDefinitionRef", "flowNodeRef"))


def _local_reference(node, value: str | None, ids: set) -> str | None:
    """``tns:order`` -> ``order`` when ``tns`` is a namespace prefix in scope and ``order`` an id here."""
    if not value or ":" not in value or value in ids:
        return None
    prefix, local = value.split(":", 1)
    return local if prefix in (node.nsmap or {}) and local in ids else None


def resolve_qualified_references(root) -> None:
    """Namespace-prefixed references (``messageRef="tns:order"``, as some modelers write them)
    become the plain ids SpiffWorkflow looks up."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in _REFERENCE_ATTRIBUTES:
            local = _local_reference(node, node.get(attribute), ids)
            if local is not None:
                node.set(attribute, local)
        if node.tag in _REFERENCE_ELEMENTS:
            local = _local_reference(node, (node.text or "").strip(), ids)
            if local is not None:
                node.text = local


def event_definition_ref_problems(root) -> list[tuple[object, str]]:
    """Copy each global event definition an event names by ``eventDefinitionRef`` into the event
    (SpiffWorkflow only reads definitions inside the event, so it waited for nothing); return
    (element, problem) pairs for references to no event definition."""
    definitions = {el.get("id"): el for el in root if isinstance(el.tag, str) and el.get("id")
                   and el.tag.endswith("EventDefinition")}
    problems: list[tuple[object, str]] = []
    for ref in list(root.iter(f"{{{BPMN_NS}}}eventDefinitionRef")):
        event = ref.getparent()
        target = definitions.get((ref.text or "").strip())
        if target is None:
            problems.append((event, f"event '{event.get('id')}' refers to event definition "
                                    f"'{(ref.text or '').strip()}', which is not a global event definition "
                                    "of this file"))
            continue
        inline = copy.deepcopy(target)
        inline.set("id", f"{target.get('id')}_{event.get('id')}")
        inline.tail = ref.tail
        ref.getparent().replace(ref, inline)
    return problems


# Names SpiffWorkflow gives its own task specs in every process: an element with one of these
# ids replaces the internal spec (a start event "Start" left the process with nothing to start).
_RESERVED_IDS = ("Start", "End")


def rename_reserved_ids(root) -> None:
    """Give elements whose id is one of SpiffWorkflow's internal task names another id
    (``Start`` -> ``Start_element``), and every reference to them with it."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    renamed = {}
    for reserved in _RESERVED_IDS:
        if reserved in ids:
            renamed[reserved] = _unique(f"{reserved}_element", ids)
    if not renamed:
        return
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.get("id") in renamed and node.tag.startswith(f"{{{BPMN_NS}}}"):
            node.set("id", renamed[node.get("id")])
        for attribute in _REFERENCE_ATTRIBUTES:
            if node.get(attribute) in renamed:
                node.set(attribute, renamed[node.get(attribute)])
        if node.tag in _REFERENCE_ELEMENTS and (node.text or "").strip() in renamed:
            node.text = renamed[node.text.strip()]


_CAMUNDA_IMPLEMENTATIONS = tuple(f"{{{CAMUNDA_NS}}}{name}" for name in ("type", "class", "expression", "delegateExpression"))


def camunda_send_tasks_as_service_tasks(root) -> None:
    """A send task Camunda implements (``camunda:type="external"``, a class, an expression, a
    connector) runs like a service task there, and does here: an external task. SpiffWorkflow
    ran it as a message throw with no message, passing it at once."""
    for task in list(root.iter(f"{{{BPMN_NS}}}sendTask")):
        connector = task.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector")
        if connector is None and not any(task.get(name) for name in _CAMUNDA_IMPLEMENTATIONS):
            continue
        task.tag = f"{{{BPMN_NS}}}serviceTask"
        task.attrib.pop("messageRef", None)


_STARTABLE = tuple(f"{{{BPMN_NS}}}{name}" for name in (
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
    "callActivity", "subProcess", "transaction", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent"))


def add_start_events(root) -> None:
    """Give a process or subprocess drawn without a start event one, with a flow to every node
    no flow leads to: BPMN starts those nodes when the (sub)process starts (an implicit start).

    Event subprocesses, compensation handlers and nodes a link leads to are not started.
    """
    for scope in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction"):
        if scope.get("triggeredByEvent") == "true" or scope.find(f"{{{BPMN_NS}}}startEvent") is not None:
            continue
        targets = {flow.get("targetRef") for flow in scope.iterchildren(_FLOW)}
        first = [node for node in scope.iterchildren(*_STARTABLE)
                 if node.get("id") not in targets and node.get("isForCompensation") != "true"
                 and node.get("triggeredByEvent") != "true" and node.find(_LINK) is None]
        if not first:
            if scope.tag != f"{{{BPMN_NS}}}process" and scope.find(f"{{{BPMN_NS}}}endEvent") is None:
                _pass_through(scope, root)
            continue
        ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
        start = scope.makeelement(f"{{{BPMN_NS}}}startEvent", {"id": _unique(f"{scope.get('id')}_implicit_start", ids)})
        start.tail = first[0].tail
        first[0].addprevious(start)
        for node in first:
            flow = scope.makeelement(_FLOW, {"id": _unique(f"{start.get('id')}_to_{node.get('id')}", ids),
                                             "sourceRef": start.get("id"), "targetRef": node.get("id")})
            flow.tail = node.tail
            node.addnext(flow)


_ARTIFACTS = tuple(f"{{{BPMN_NS}}}{name}" for name in ("textAnnotation", "association", "group"))


def _pass_through(scope, root) -> None:
    """A subprocess drawn empty (collapsed, its content not modelled) does nothing: start -> end."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    start = scope.makeelement(f"{{{BPMN_NS}}}startEvent", {"id": _unique(f"{scope.get('id')}_implicit_start", ids)})
    end = scope.makeelement(f"{{{BPMN_NS}}}endEvent", {"id": _unique(f"{scope.get('id')}_implicit_end", ids)})
    flow = scope.makeelement(_FLOW, {"id": _unique(f"{scope.get('id')}_implicit_flow", ids),
                                     "sourceRef": start.get("id"), "targetRef": end.get("id")})
    artifact = next(scope.iterchildren(*_ARTIFACTS), None)
    for element in (start, flow, end):
        if artifact is not None:
            artifact.addprevious(element)
        else:
            scope.append(element)
