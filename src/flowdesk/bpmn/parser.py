"""One parser for the dialects modelers actually produce: plain BPMN, spiffworkflow, camunda.

The SpiffArena parser is the base (pre/post scripts, data objects, spiff properties); the
user and manual task parsers (:mod:`.human_task_parser`) additionally read the camunda attributes
SpiffWorkflow ignores and normalise everything a ticket needs into ``spec.extensions["ticket"]``. Every event
parser makes clocked timers and flowdesk message/signal definitions, every activity parser
reads camunda multi-instance attributes, and business rule tasks take either dialect.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.event_parsers import (
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    EndEventParser,
    EventDefinitionParser,
    StartEventParser,
)
from SpiffWorkflow.bpmn.parser.util import DEFAULT_NSMAP
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD, SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import ManualTask, ScriptTask, UserTask

from . import event_definitions, events, preprocess, script_engine, timers
from .action import ActionTask, ActionTaskParser
from .call_activities import MappedCallActivity, MappedCallActivityParser
from .multi_instance import CamundaLoopMixin
from .data_stores import EveryDataStoreName
from .decisions import DecisionTask, DecisionTaskParser, decision_parsers, dmn_validator, non_table_decisions
from .human_task_parser import HumanTaskParser, UserTaskParser
from .xml import NAMESPACES

_MISSING_DEFINITIONS = {
    EndEventParser: [SIGNAL_EVENT_XPATH],
    StartEventParser: [ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH],
}
_TOKEN_HOLDING_EVENTS = tuple(full_tag(tag) for tag in (
    "intermediateCatchEvent", "intermediateThrowEvent", "endEvent", "receiveTask", "sendTask"))


class ScriptTaskParser(SpiffTaskParser):
    """A script task with its pre- and post-scripts (SpiffWorkflow's parser drops them, and with
    them a Camunda script task's input and output mappings)."""

    def create_task(self):
        extensions = self.parse_extensions()
        script = self.node.findtext(f"{{{self.nsmap['bpmn']}}}script")
        return self.spec_class(self.spec, self.bpmn_id, script, prescript=extensions.get("preScript"),
                               postscript=extensions.get("postScript"), **self.bpmn_attributes)


class EventDefinitionsMixin:
    """Clocked timers (values checked at deploy time) and flowdesk message/signal definitions.

    Every message and signal definition must be the same class: SpiffWorkflow matches a
    thrown event to a catch by class and name.
    """

    def parse_timer_event(self, event):
        definition = super().parse_timer_event(event)
        expression = (definition.expression or "").strip()
        kind = timers.KINDS[type(definition)]
        try:
            if not expression:
                raise ValueError("it is empty")
            script_engine.check(expression, "eval")
            timers.check_literal(kind, expression)
        except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's parsers raise bare Exceptions
            raise ValidationException(f"timer {kind} '{expression}' is not valid: {exc}",
                                      node=self.node, file_name=self.filename) from None
        return timers.clocked(definition)

    def parse_message_event(self, message_event):
        definition = super().parse_message_event(message_event)
        if not definition.name:
            self._refuse_nameless("message", "messageRef", "bpmn:message")
        return event_definitions.flowdesk_message(definition)

    def parse_signal_event(self, signal_event):
        definition = super().parse_signal_event(signal_event)
        if not definition.name:
            self._refuse_nameless("signal", "signalRef", "bpmn:signal")
        return event_definitions.flowdesk_signal(definition)

    def _refuse_nameless(self, kind: str, ref: str, target: str) -> None:
        # Without a name a catch waits for what nobody can send, and a throw sends what nobody can catch.
        # A boundary or start event nobody can trigger holds no token, nor does one branch of an
        # event-based gateway: those models still run.
        if self.node.tag not in _TOKEN_HOLDING_EVENTS or self._after_event_gateway():
            return
        self.raise_validation_exception(
            f"{etree.QName(self.node).localname} '{self.bpmn_id}' names no {kind}: give it a {ref} to a {target} "
            f"with a name (or give the {etree.QName(self.node).localname} a name)")

    def _after_event_gateway(self) -> bool:
        scope = self.node.getparent()
        sources = {flow.get("sourceRef") for flow in scope.iterchildren(full_tag("sequenceFlow"))
                   if flow.get("targetRef") == self.bpmn_id}
        return any(node.tag == full_tag("eventBasedGateway") for node in scope if node.get("id") in sources)

    def _create_task(self, event_definition, *args, **kwargs):
        if self.node.tag == full_tag("receiveTask") and isinstance(event_definition, NoneEventDefinition):
            # SpiffWorkflow let a receive task without a message pass at once. It waits, as in
            # Camunda, here for the message named like the task (its name, else its id), which
            # its instance lists among what it waits for.
            name = self.node.get("name") or self.bpmn_id
            event_definition = event_definitions.flowdesk_message(MessageEventDefinition(name, {}, description="Message"))
        return super()._create_task(event_definition, *args, **kwargs)

    def get_event_definition(self, xpaths):
        # SpiffWorkflow's parsers leave these out: a signal end event threw nothing, and an error
        # or escalation event subprocess started with the process instead of on the event.
        missing = [x for cls, paths in _MISSING_DEFINITIONS.items() if isinstance(self, cls)
                   for x in paths if x not in xpaths]
        definition = super().get_event_definition([*xpaths, *missing])
        return event_definitions.flowdesk_multiple(definition) if type(definition) is MultipleEventDefinition else definition

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        if node is None and self._interrupts_parent():
            extensions["interrupting"] = True
        return extensions

    def _interrupts_parent(self) -> bool:
        parent = self.node.getparent()
        return (self.node.tag == full_tag("startEvent") and parent is not None
                and parent.get("triggeredByEvent") == "true" and self.node.get("isInterrupting") != "false")


class GatewayFlowsMixin:
    """Names the gateway's kind (SpiffWorkflow calls every conditional gateway exclusive)."""

    def connect_outgoing(self, outgoing_task, sequence_flow_node, is_default):
        if not is_default and self.parse_condition(sequence_flow_node) is None:
            kind = etree.QName(self.node).localname.replace("Gateway", "")
            raise ValidationException(
                f"{kind} gateway '{self.bpmn_id}': outgoing sequence flow '{sequence_flow_node.get('id')}' has no "
                "condition and is not the gateway's default flow", node=sequence_flow_node, file_name=self.filename)
        super().connect_outgoing(outgoing_task, sequence_flow_node, is_default)


class DataAssociationsMixin:
    """Names an unresolved data association by its reference (SpiffWorkflow printed an lxml object)."""

    def parse_incoming_data_references(self):
        return self._resolved(super().parse_incoming_data_references, "dataInputAssociation", "sourceRef")

    def parse_outgoing_data_references(self):
        return self._resolved(super().parse_outgoing_data_references, "dataOutputAssociation", "targetRef")

    def _resolved(self, parse, kind: str, end: str):
        try:
            return parse()
        except ValidationException:
            for ref in self.xpath(f"./bpmn:{kind}/bpmn:{end}"):
                target = (ref.text or "").strip()
                if not self.doc_xpath(f".//*[@id='{target}']") or target == "":
                    raise ValidationException(
                        f"{etree.QName(self.node).localname} '{self.bpmn_id}': {kind} "
                        f"'{ref.getparent().get('id') or ''}' has {end} '{target}', which is not a data object or "
                        "data store of this file", node=self.node, file_name=self.filename) from None
            raise


@lru_cache(maxsize=None)
def _with_dialects(parser_class):
    """``parser_class`` with the mixins that apply to it (one subclass per class, cached)."""
    mixins = []
    if issubclass(parser_class, EventDefinitionParser):
        mixins.append(EventDefinitionsMixin)
    if issubclass(parser_class, TaskParser):
        mixins += [CamundaLoopMixin, DataAssociationsMixin]
    if issubclass(parser_class, ConditionalGatewayParser):
        mixins.append(GatewayFlowsMixin)
    if not mixins:
        return parser_class
    return type(f"Flowdesk{parser_class.__name__}", (*mixins, parser_class), {})


class FlowdeskProcessParser(SpiffProcessParser):
    """SpiffArena's process parser, with event subprocesses wired so they cannot leak (see events)."""

    def add_tasks(self):
        super().add_tasks()
        events.wire_event_subprocesses(self.spec)


class FlowdeskParser(SpiffBpmnParser):
    """SpiffArena's parser plus camunda ticket attributes, action service tasks, clocked
    timers, link events, camunda decisions and multi-instance."""

    PROCESS_PARSER_CLASS = FlowdeskProcessParser
    DATA_STORE_CLASSES = EveryDataStoreName()  # any named data store is a JSON store
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (UserTaskParser, UserTask),
        full_tag("manualTask"): (HumanTaskParser, ManualTask),
        full_tag("scriptTask"): (ScriptTaskParser, ScriptTask),
        full_tag("serviceTask"): (ActionTaskParser, ActionTask),
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
        full_tag("callActivity"): (MappedCallActivityParser, MappedCallActivity),
        full_tag("startEvent"): (SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][0],
                                 events.FlowdeskStartEvent),
    }

    def __init__(self):
        super().__init__(namespaces={**DEFAULT_NSMAP, **NAMESPACES}, validator=_validator())
        self._non_table_decisions: dict[str, str] = {}

    def _get_parser_class(self, tag):
        # Mixing in here reaches every event and activity parser, SpiffArena's included.
        parser_class, spec_class = super()._get_parser_class(tag)
        return (_with_dialects(parser_class) if parser_class else None), spec_class

    def add_dmn_xml(self, node, filename=None):
        """Validate a DMN document (1.1 to 1.3) and make every decision table in it callable by its id."""
        validator = dmn_validator(etree.QName(node).namespace)
        if validator is not None:
            validator.validate(node, filename)
        for decision in decision_parsers(self, node, filename):
            self.dmn_parsers[decision.bpmn_id] = decision
            self.dmn_parsers_by_name[decision.get_name()] = decision
        self._non_table_decisions.update(non_table_decisions(node))

    def get_engine(self, decision_ref, node):
        if decision_ref in self._non_table_decisions:
            raise ValidationException(
                f"decision '{decision_ref}' is a {self._non_table_decisions[decision_ref]}, not a decision table: "
                "only decision tables can run", node=node)
        return super().get_engine(decision_ref, node)

    def add_bpmn_xml(self, bpmn, filename=None):
        """Rewrite timers, Camunda send tasks, flows leaving activities, implicit ends and starts and
        link events into what SpiffWorkflow runs, then parse."""
        preprocess.normalise_timers(bpmn)
        preprocess.camunda_send_tasks_as_service_tasks(bpmn)
        preprocess.split_outgoing_flows(bpmn)
        preprocess.add_end_events(bpmn)
        problems = preprocess.link_problems(bpmn)
        if problems:
            node, _ = problems[0]
            raise ValidationException("; ".join(p for _, p in problems), node=node, file_name=filename)
        preprocess.add_start_events(bpmn)
        super().add_bpmn_xml(bpmn, filename)


class LenientIdValidator(BpmnValidator):
    """The BPMN XSD check, except that a repeated id is not an error.

    The SpiffArena editor writes the same id twice (a data object declared in two places, a
    multi-instance input and output data item); SpiffWorkflow runs such models, so refusing
    them would refuse working models. Every other schema error still refuses the upload.
    """

    def validate(self, bpmn, filename=None):
        self.preprocess(bpmn)
        if self.validator.validate(bpmn):
            return
        errors = [e for e in self.validator.error_log if "atomic type 'xs:ID'" not in e.message]
        if errors:
            raise ValidationException(errors[0].message, file_name=filename, line_number=errors[0].line)


_VALIDATOR: BpmnValidator | None = None


def _validator() -> BpmnValidator:
    # Building the XSD validator reads a dozen schema files; do it once per process.
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = LenientIdValidator(imports={"spiffworkflow": SPIFF_XSD})
    return _VALIDATOR
