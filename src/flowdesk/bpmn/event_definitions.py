"""The message and signal event definitions flowdesk's parser gives a model.

They merge a payload into the task data when the model names no variable for it (SpiffArena's
classes would drop it), and report every thrown signal, because other instances may listen
even when this one caught it.
"""

from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition as SpiffSignalEventDefinition

from .errors import ExecutionError
from .sandbox.limits import SandboxLimitExceeded, ScriptRefused, TaskDataNotJson


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
