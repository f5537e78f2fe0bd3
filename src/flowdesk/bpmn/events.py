"""Messages and signals between an instance and the outside world.

The server routes messages and signals between instances: it asks an instance what it waits
for (:func:`waiting_messages`, :func:`waiting_signals`), hands it what arrived
(:func:`deliver_message`, :func:`broadcast_signal`) and collects what it threw
(:func:`take_thrown_events`); the message and signal definitions themselves are
:mod:`.event_definitions`. A start event in an interrupting event subprocess cancels the rest
of its parent (:class:`FlowdeskStartEvent`).
"""

from __future__ import annotations

from copy import copy, deepcopy
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.defaults import StartEvent as DefaultStartEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState


_MISSING = object()


class FlowdeskStartEvent(DefaultStartEvent):
    """A start event that, in an interrupting event subprocess, cancels the rest of its parent.

    SpiffWorkflow 3.2 runs every event subprocess as if it were non-interrupting.
    """

    def _on_complete_hook(self, my_task):
        super()._on_complete_hook(my_task)
        if (getattr(self, "extensions", None) or {}).get("interrupting"):
            _interrupt_parent(my_task.workflow)


_INTERRUPTED = "flowdesk_interrupted"


def _interrupt_parent(subprocess) -> None:
    top = subprocess.top_workflow
    if subprocess is top or subprocess.parent_task_id is None:
        return
    trigger = top.get_task_from_id(subprocess.parent_task_id)
    parent = trigger.workflow
    keep = {trigger.id, *(t.id for t in trigger)}  # the event subprocess task and what follows it
    for task in list(parent.tasks.values()):
        if task.id in parent.tasks and task.id not in keep and not task.has_state(TaskState.FINISHED_MASK):
            task.cancel()
    # No other event subprocess of the interrupted scope may start any more.
    parent.task_tree.internal_data[_INTERRUPTED] = True


def is_event_subprocess(task) -> bool:
    """True for the task running an event subprocess (SpiffWorkflow gives it no class of its own)."""
    start = task.workflow.spec.start
    return task.task_spec.name in getattr(start, "trigger_specs", []) or (
        task.task_spec in start.outputs and not isinstance(task.task_spec, StartEvent))


def wire_event_subprocesses(spec) -> None:
    """Give event subprocesses started by events their input and output at parse time.

    SpiffWorkflow connects them to the process start and end only when one is triggered,
    changing the spec every instance shares: later instances then start the event subprocess
    right away, and a restored instance fails with "No input task connected". An input that
    the start does not list as an output avoids both. Idempotent.
    """
    start = spec.start
    for name in getattr(start, "trigger_specs", []):
        task_spec = spec.task_specs.get(name)
        if task_spec is None:
            continue
        if start.name not in task_spec._inputs:
            task_spec._inputs.append(start.name)
        if spec.end.name not in task_spec._outputs:
            task_spec.connect(spec.end)


def waited_definitions(task) -> list:
    """(event definition, element id) for everything a WAITING catch task waits on.

    An event-based gateway carries its events' definitions itself (SpiffWorkflow moves them
    there); each is reported under the id of the catch event that follows the gateway.
    """
    spec = task.task_spec
    definition = getattr(spec, "event_definition", None)
    if not isinstance(definition, MultipleEventDefinition):
        return [(definition, spec.bpmn_id)]
    seen = [e.event_definition for e in task.internal_data.get("seen_events", [])]
    pairs = []
    for index, child in enumerate(definition.event_definitions):
        if child in seen:
            continue
        is_gateway = isinstance(spec, EventBasedGateway) and index < len(spec.outputs)
        pairs.append((child, spec.outputs[index].bpmn_id if is_gateway else spec.bpmn_id))
    return pairs


def waiting_catches(workflow):
    """(task, definition, element id) for every WAITING catch event, subprocesses included."""
    for task in list(workflow.event_manager.tasks.values()):
        if task.state != TaskState.WAITING or not isinstance(task.task_spec, CatchingEvent):
            continue
        for definition, element_id in waited_definitions(task):
            yield task, definition, element_id


@dataclass
class WaitingMessage:
    """A message catch the instance is waiting on, with the correlation values it expects.

    ``task_id`` is None for the message start of an event subprocess not started yet.
    """

    task_id: str | None
    element_id: str
    name: str
    correlations: dict = field(default_factory=dict)


@dataclass
class ThrownEvent:
    """A message/signal (or uncaught error/escalation) thrown by the instance, to route elsewhere."""

    kind: str
    name: str
    payload: object
    correlations: dict = field(default_factory=dict)


def _known_correlations(task, definition) -> dict:
    """Flat ``{property: value}`` this catch expects: its (sub)process's correlation values, or
    the process variable named like the property where no message has set one yet."""
    known: dict = {}
    props = list(definition.correlation_properties) + list(getattr(definition, "process_correlations", []))
    for prop in props:
        for key in prop.correlation_keys:
            value = task.workflow.correlations.get(key, {}).get(prop.name, _MISSING)
            if value is not _MISSING:
                known[prop.name] = value
        if prop.name not in known and prop.name in task.data:
            known[prop.name] = task.data[prop.name]
    return known


def _correlates(task, definition, correlations: dict | None) -> bool:
    # Each given key must equal a known correlation property or, Camunda style, a process variable.
    if not correlations:
        return True
    known = _known_correlations(task, definition)
    for name, value in correlations.items():
        expected = known.get(name, task.data.get(name, _MISSING))
        if expected is _MISSING or expected != value:
            return False
    return True


def untriggered_starts(top):
    """(workflow, event subprocess spec name, start event spec) not started yet in active workflows.

    SpiffWorkflow keeps event subprocesses started by a message, signal, error or escalation
    as "trigger specs" of their parent's start, with no task until the event arrives.
    """
    for wf in [top, *top.subprocesses.values()]:
        if wf.completed or wf.task_tree.internal_data.get(_INTERRUPTED):
            continue
        for name in getattr(wf.spec.start, "trigger_specs", []):
            sp_spec = top.subprocess_specs.get(name)
            for start in (sp_spec.bpmn_start_events if sp_spec else []):
                # One waiting instance at a time; once its start caught an event, another may start.
                started = any(
                    sp.spec.name == name and sp.parent_workflow is wf
                    and sp.get_next_task(state=TaskState.WAITING, spec_name=start.name) is not None
                    for sp in top.subprocesses.values()
                )
                if not started:
                    yield wf, name, start


def trigger_event_subprocesses(top, matches) -> None:
    """Start every not yet started event subprocess whose start event definition ``matches``.

    Its start event then waits and catches like any other. SpiffWorkflow only does this for
    the top process's event subprocesses, and only for events it catches itself.
    """
    for wf, name, start in list(untriggered_starts(top)):
        if matches(start.event_definition):
            wf.spec.start.trigger_wf(wf.task_tree, name)


def waiting_messages(workflow) -> list[WaitingMessage]:
    """Every message the instance can catch now (catch events, receive tasks, boundaries, event subprocesses)."""
    messages = [
        WaitingMessage(str(task.id), element_id, definition.name, _known_correlations(task, definition))
        for task, definition, element_id in waiting_catches(workflow)
        if isinstance(definition, MessageEventDefinition)
    ]
    messages += [
        WaitingMessage(None, start.bpmn_id, start.event_definition.name)
        for _, _, start in untriggered_starts(workflow)
        if isinstance(start.event_definition, MessageEventDefinition)
    ]
    messages.sort(key=lambda m: (m.name, m.element_id, m.task_id or ""))
    return messages


def waiting_signals(workflow) -> list[str]:
    """The names of the signals the instance can catch now, sorted, without duplicates."""
    names = {d.name for _, d, _ in waiting_catches(workflow) if isinstance(d, SignalEventDefinition)}
    names |= {s.event_definition.name for _, _, s in untriggered_starts(workflow)
              if isinstance(s.event_definition, SignalEventDefinition)}
    return sorted(names)


def deliver_message(workflow, name: str, payload: dict | None, correlations: dict | None = None,
                    only_start_events: bool = False, every_catch: bool = False) -> bool:
    """Let the waiting catch of message ``name`` that correlates and has waited longest catch it
    (with ``every_catch``: every one that correlates); False if none did.

    A message is one event: an instance waiting for it twice (parallel branches, a multi-instance
    receive task) catches one message once, and the next message reaches the next wait.
    """
    if not only_start_events:
        trigger_event_subprocesses(workflow, lambda d: isinstance(d, MessageEventDefinition) and d.name == name)
    targets = []
    for task, definition, _ in waiting_catches(workflow):
        if not isinstance(definition, MessageEventDefinition) or definition.name != name:
            continue
        if only_start_events and not isinstance(task.task_spec, StartEvent):
            continue
        if _correlates(task, definition, correlations) and task not in [t for t, _ in targets]:
            targets.append((task, definition))
    caught = False
    targets.sort(key=lambda target: target[0].last_state_change)  # stable: tree order breaks ties
    for task, definition in targets:
        if caught and not every_catch:
            break
        if task.state != TaskState.WAITING:
            continue  # an earlier catch (an interrupting boundary) cancelled it
        # Definitions match on class and name: throw the catcher's own kind of definition.
        # Passing the workflow's own correlations makes SpiffWorkflow's check agree with ours.
        event = BpmnEvent(copy(definition), payload=deepcopy(payload or {}),
                          correlations=deepcopy(task.workflow.correlations))
        if not task.task_spec.catches(task, event):
            continue
        task.task_spec.catch(task, event)
        _record_correlations(task, definition, correlations)
        task.task_spec._update(task)
        caught = True
    return caught


def _record_correlations(task, definition, correlations: dict | None) -> None:
    for prop in definition.correlation_properties:
        if correlations and prop.name in correlations:
            for key in prop.correlation_keys:
                task.workflow.correlations.setdefault(key, {})[prop.name] = correlations[prop.name]


def broadcast_signal(workflow, name: str, payload=None) -> bool:
    """Let every waiting catch of signal ``name`` catch it; False if none did."""
    trigger_event_subprocesses(workflow, lambda d: isinstance(d, SignalEventDefinition) and d.name == name)
    for _, definition, _ in waiting_catches(workflow):
        if isinstance(definition, SignalEventDefinition) and definition.name == name:
            event = BpmnEvent(copy(definition), payload=deepcopy(payload))
            return workflow.event_manager.catch(event, internal=False) > 0
    return False


def _kind(definition) -> str:
    for cls, kind in ((MessageEventDefinition, "message"), (SignalEventDefinition, "signal"),
                      (ErrorEventDefinition, "error"), (EscalationEventDefinition, "escalation")):
        if isinstance(definition, cls):
            return kind
    return type(definition).__name__


def take_thrown_events(workflow) -> list[ThrownEvent]:
    """The events thrown since the last call that the server must route; taking them clears them."""
    thrown = []
    for event in workflow.get_events():
        definition = event.event_definition
        flat = {}
        for values in (event.correlations or {}).values():
            if isinstance(values, dict):
                flat.update(values)
        name = getattr(definition, "code", None) or definition.name
        thrown.append(ThrownEvent(_kind(definition), name, deepcopy(event.payload), flat))
    return thrown


def _start_definitions(spec):
    # bpmn_start_events, not start.outputs: with several start events those hide behind a split.
    # A start event with several definitions starts on any of them.
    for start in spec.bpmn_start_events:
        definition = start.event_definition
        yield from (definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition])


def message_start_names(spec) -> list[str]:
    """Names of the messages that start a top-level process spec (SpiffWorkflow ``BpmnProcessSpec``)."""
    return sorted({d.name for d in _start_definitions(spec) if isinstance(d, MessageEventDefinition)})


def signal_start_names(spec) -> list[str]:
    """Names of the signals that start a top-level process spec (SpiffWorkflow ``BpmnProcessSpec``)."""
    return sorted({d.name for d in _start_definitions(spec) if isinstance(d, SignalEventDefinition)})
