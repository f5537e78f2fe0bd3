"""Messages and signals between an instance and the outside world.

The server routes messages and signals between instances: it asks an instance what it waits
for (:func:`waiting_messages`, :func:`waiting_signals`), hands it what arrived
(:func:`deliver_message`, :func:`broadcast_signal`) and collects what it threw
(:func:`take_thrown_events`). The definition subclasses here merge a payload into the task
data when the model names no variable for it (SpiffArena's classes would drop it), and report
every thrown signal, because other instances may listen even when this one caught it.
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
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition as SpiffSignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from .errors import ExecutionError
from .sandbox.limits import SandboxLimitExceeded, ScriptRefused, TaskDataNotJson

_MISSING = object()


def _merge_payload(my_task, payload) -> None:
    if isinstance(payload, dict):
        my_task.set_data(**deepcopy(payload))


class FlowdeskMessageEventDefinition(SpiffMessageEventDefinition):
    """A message whose payload becomes task data when the model names no message variable."""

    def update_task_data(self, my_task):
        if self.message_var is not None:
            return super().update_task_data(my_task)
        _merge_payload(my_task, my_task.internal_data.pop(self.name, None))

    def calculate_correlations(self, script_engine, cp, ctx):
        # A payload without a correlation property leaves it unknown instead of failing the task.
        correlations: dict = {}
        if not isinstance(ctx, dict):
            return correlations
        for prop in cp:
            try:
                value = script_engine.environment.evaluate(prop.retrieval_expression, dict(ctx))
            except (SandboxLimitExceeded, TaskDataNotJson, ScriptRefused) as exc:
                raise _correlation_failed(prop, exc) from exc
            except (NameError, LookupError, AttributeError, TypeError):
                continue  # the payload does not carry this property: it stays unknown
            except Exception as exc:  # noqa: BLE001 - a broken expression is the model's error, shown as one
                raise _correlation_failed(prop, exc) from exc
            for key in prop.correlation_keys:
                correlations.setdefault(key, {})[prop.name] = value
        return correlations


def _correlation_failed(prop, exc: Exception) -> ExecutionError:
    return ExecutionError(f"correlation property '{prop.name}' ({prop.retrieval_expression}) failed: "
                          f"{type(exc).__name__}: {exc}")


class FlowdeskSignalEventDefinition(SpiffSignalEventDefinition):
    """A signal whose payload becomes task data when the model names no variable for it."""

    def update_task_data(self, my_task):
        if self.variable is not None:
            return super().update_task_data(my_task)
        _merge_payload(my_task, my_task.internal_data.pop(self.name, None))

    def throw(self, my_task):
        payload = my_task.workflow.script_engine.evaluate(my_task, self.expression) if self.expression else None
        event = BpmnEvent(self, payload=payload)
        top = my_task.workflow.top_workflow
        before = len(top.bpmn_events)
        top.catch(event)
        if len(top.bpmn_events) == before:
            # Caught here, but a signal is a broadcast: the server still passes it on.
            top.bpmn_events.append(BpmnEvent(self, payload=deepcopy(payload)))


class FlowdeskMultipleEventDefinition(MultipleEventDefinition):
    """An event with several definitions (a start event started by a message or a signal) whose
    caught event's payload becomes task data, as with a single definition."""

    def catch(self, my_task, event=None):
        for item in self.event_definitions:
            if item.catches(my_task, event):
                item.catch(my_task, event)
        super().catch(my_task, event)

    def update_task_data(self, my_task):
        for item in self.event_definitions:
            item.update_task_data(my_task)


def flowdesk_multiple(definition: MultipleEventDefinition) -> FlowdeskMultipleEventDefinition:
    """The flowdesk equivalent of the parser's definition of an event with several definitions."""
    return FlowdeskMultipleEventDefinition(definition.event_definitions, definition.parallel,
                                           description=definition.description)


def flowdesk_message(definition: MessageEventDefinition) -> FlowdeskMessageEventDefinition:
    """The flowdesk equivalent of a (SpiffArena) message definition from the parser."""
    return FlowdeskMessageEventDefinition(
        definition.name,
        definition.correlation_properties,
        getattr(definition, "expression", None),
        getattr(definition, "message_var", None),
        getattr(definition, "process_correlations", None),
        description=definition.description,
    )


def flowdesk_signal(definition: SignalEventDefinition) -> FlowdeskSignalEventDefinition:
    """The flowdesk equivalent of a (SpiffArena) signal definition from the parser."""
    return FlowdeskSignalEventDefinition(
        definition.name,
        expression=getattr(definition, "expression", None),
        variable=getattr(definition, "variable", None),
        description=definition.description,
    )


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
