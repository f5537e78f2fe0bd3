"""Input and output mappings (``camunda:inputOutput``, ``zeebe:ioMapping``) as scripts, in the tree.

On an activity, inputs become lines of its pre-script and outputs lines of its post-script
(SpiffArena's ``spiffworkflow:preScript``/``postScript``, which the sandbox runs). On an event,
which runs no scripts, outputs become a script task right after it (``<event id>_outputs``),
so the token passes through it before going on. Inputs are local to the activity, as in
Camunda: marker lines in its scripts make the script engine drop them before the data flows on
(see :mod:`.local_scope`).
"""

from __future__ import annotations

from . import local_scope
from .xml import BPMN_NS, NAMESPACES

SPIFF_NS = NAMESPACES["spiffworkflow"]
SCRIPTABLE = frozenset(("task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "scriptTask",
                        "businessRuleTask", "callActivity", "subProcess"))
OUTPUT_EVENTS = frozenset(("intermediateCatchEvent", "boundaryEvent", "startEvent"))


def _local(node) -> str:
    return node.tag.rsplit("}", 1)[-1]


def extension_elements(node):
    found = node.find(f"{{{BPMN_NS}}}extensionElements")
    if found is None:
        found = node.makeelement(f"{{{BPMN_NS}}}extensionElements", {})
        node.insert(0, found)
    return found


def add_script(node, name: str, lines: list[str]) -> None:
    """Put ``lines`` before the modeler's own pre-script, or after their post-script."""
    extensions = extension_elements(node)
    existing = extensions.find(f"{{{SPIFF_NS}}}{name}")
    if existing is None:
        existing = extensions.makeelement(f"{{{SPIFF_NS}}}{name}", {})
        extensions.append(existing)
    before, after = (lines, [existing.text or ""]) if name == "preScript" else ([existing.text or ""], lines)
    existing.text = "\n".join(line for line in (*before, *after) if line.strip())


def _outputs_after_event(event, lines: list[str], only_outputs: bool = False) -> None:
    scope = event.getparent()
    event_id = event.get("id")
    script_task = event.makeelement(f"{{{BPMN_NS}}}scriptTask", {"id": f"{event_id}_outputs",
                                                                  "name": f"{event.get('name') or event_id}: outputs",
                                                                  "scriptFormat": "python"})
    script = script_task.makeelement(f"{{{BPMN_NS}}}script", {})
    script.text = "\n".join(lines)
    script_task.append(script)
    message = event.find(f"{{{BPMN_NS}}}messageEventDefinition")
    if only_outputs and message is not None:
        # Zeebe: with outputs, a message's variables are local to the event and only the outputs
        # reach the process. Its payload is kept under one variable, which the outputs unpack.
        message_extensions = extension_elements(message)
        variable = message_extensions.makeelement(f"{{{SPIFF_NS}}}messageVariable", {})
        variable.text = local_scope.MESSAGE_VARIABLE
        message_extensions.append(variable)
        local = local_scope.Scope((), _assigned(lines), True, unpack=local_scope.MESSAGE_VARIABLE)
        add_script(script_task, "preScript", [local_scope.enter_line(local)])
        add_script(script_task, "postScript", [local_scope.leave_line(local)])
    for flow in scope.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"):
        if flow.get("sourceRef") == event_id:
            flow.set("sourceRef", script_task.get("id"))
    for outgoing in event.findall(f"{{{BPMN_NS}}}outgoing"):
        event.remove(outgoing)
    flow = event.makeelement(f"{{{BPMN_NS}}}sequenceFlow", {
        "id": f"{event_id}_to_outputs", "sourceRef": event_id, "targetRef": script_task.get("id")})
    script_task.tail = flow.tail = event.tail
    event.addnext(script_task)
    script_task.addnext(flow)


def end_after(node) -> None:
    """Follow ``node`` (an end event made a task) with a plain end event, so its scope still ends there."""
    end = node.makeelement(f"{{{BPMN_NS}}}endEvent", {"id": f"{node.get('id')}_end"})
    flow = node.makeelement(f"{{{BPMN_NS}}}sequenceFlow", {
        "id": f"{node.get('id')}_to_end", "sourceRef": node.get("id"), "targetRef": end.get("id")})
    end.tail = flow.tail = node.tail
    node.addnext(end)
    end.addnext(flow)


def _assigned(lines: list[str]) -> tuple[str, ...]:
    """The variables mapping lines (``name = expression``) assign."""
    return tuple(line.split("=", 1)[0].strip() for line in lines)


def apply(node, inputs: list[str], outputs: list[str], only_outputs: bool = False) -> str | None:
    """Add the mapping lines to ``node``; a reason when its kind of element cannot take them.

    ``only_outputs``: the dialect passes nothing but the outputs on when there are any (Zeebe).
    """
    kind = _local(node)
    if kind in SCRIPTABLE:
        if (inputs or (only_outputs and outputs)) and \
                node.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics") is not None:
            return (f"{'input' if inputs else 'output'} mappings on a multi-instance {kind} are not supported "
                    "(their variables would not be local to each instance)")
        if inputs or outputs:  # outputs too: they read the local variables a worker completes with
            scope = local_scope.Scope(_assigned(inputs), _assigned(outputs), only_outputs)
            add_script(node, "preScript", [local_scope.enter_line(scope), *inputs])
            add_script(node, "postScript", [*outputs, local_scope.leave_line(scope)])
        return None
    if kind in OUTPUT_EVENTS and not inputs:
        if only_outputs and outputs and node.find(f"{{{BPMN_NS}}}signalEventDefinition") is not None:
            # A signal's variables reach every catcher's process as they are; only a message's
            # can be held back for the outputs to pick from (see _outputs_after_event).
            return (f"output mappings on a signal {kind} are not supported (the signal's variables "
                    "would reach the process beside the outputs)")
        if outputs:
            _outputs_after_event(node, outputs, only_outputs)
        return None
    if kind in OUTPUT_EVENTS:
        return f"input mappings on a {kind} are not supported (only output mappings)"
    return f"mappings on a {kind} are not supported (only on activities, and outputs on catch events)"
