"""Business rule tasks that run a DMN decision table uploaded with the process.

Both dialects name the decision: ``spiffworkflow:calledDecisionId`` (SpiffArena) and
``camunda:decisionRef``. Without a result variable the decision's outputs are merged into the
task data (SpiffWorkflow's behaviour); ``camunda:resultVariable`` stores the result under
that name instead, shaped by ``camunda:mapDecisionResult`` as Camunda does.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.serializer.task_spec import BusinessRuleTaskConverter
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from .xml import CAMUNDA_NS

MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList")


class DecisionTask(BusinessRuleTask):
    """A business rule task that can also store its result the way Camunda does."""

    def __init__(self, wf_spec, name, dmnEngine, result_variable=None, map_decision_result=None, **kwargs):
        super().__init__(wf_spec, name, dmnEngine, **kwargs)
        self.result_variable = result_variable
        self.map_decision_result = map_decision_result

    def _run_hook(self, my_task):
        if not self.result_variable:
            return super()._run_hook(my_task)
        try:
            my_task.data[self.result_variable] = self._mapped_result(my_task)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Business Rule Task '{self.bpmn_name or self.bpmn_id}'.")
            raise
        except Exception as exc:  # noqa: BLE001 - rules run model code; report it on the task
            raise WorkflowTaskException(str(exc), task=my_task, exception=exc) from exc
        return True

    def _mapped_result(self, my_task):
        engine = self.dmnEngine
        rows = [rule.output_as_dict(my_task) for rule in engine.decide(my_task)]
        if engine.decision_table.hit_policy != HitPolicy.COLLECT.value:
            rows = rows[:1]  # SpiffWorkflow's engine treats every other policy as first-hit
        mapping = self.map_decision_result or "resultList"
        if mapping == "resultList":
            return rows
        if mapping in ("singleEntry", "collectEntries") and any(len(row) > 1 for row in rows):
            raise ValueError(f"mapDecisionResult '{mapping}' needs a decision with a single output")
        if mapping == "collectEntries":
            return [next(iter(row.values())) for row in rows]
        if len(rows) > 1:
            raise ValueError(f"mapDecisionResult '{mapping}' needs at most one matching rule, {len(rows)} matched")
        if not rows:
            return None
        return next(iter(rows[0].values())) if mapping == "singleEntry" else rows[0]


class SingleDecisionParser(DMNParser):
    """Parses one decision of a DMN file (SpiffWorkflow's parser only ever reads the first)."""

    def __init__(self, parser, node, namespaces, decision, filename=None):
        super().__init__(parser, node, namespaces, filename=filename)
        self.decision_node = decision

    def parse(self):
        if self.decision is None:
            self.decision = self._parse_decision([self.decision_node])

    @property
    def bpmn_id(self):
        return self.decision_node.get("id")

    def get_name(self):
        return self.decision_node.get("name")


# SpiffWorkflow's DMN 1.2 schema imports, as its DMNDI schema, a file that declares another
# namespace, so it does not compile. The diagram is not what we validate: any content will do.
_DMN12 = "http://www.omg.org/spec/DMN/20180521/MODEL/"
_DMNDI12_ANY = b"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified"
    targetNamespace="http://www.omg.org/spec/DMN/20180521/DMNDI/">
  <xsd:element name="DMNDI"><xsd:complexType>
    <xsd:sequence><xsd:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xsd:sequence>
    <xsd:anyAttribute processContents="skip"/>
  </xsd:complexType></xsd:element>
</xsd:schema>"""


class _AnyDmnDiagram(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url.endswith("DMNDI12.xsd"):
            return self.resolve_string(_DMNDI12_ANY, context)
        return None


class _Dmn12Validator(BpmnValidator):
    def __init__(self):  # noqa: D107 - BpmnValidator's own builds the schema from a plain file
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        parser.resolvers.add(_AnyDmnDiagram())
        self.validator = etree.XMLSchema(etree.parse(SCHEMAS[_DMN12], parser))


@lru_cache(maxsize=None)
def dmn_validator(namespace: str) -> BpmnValidator | None:
    """The schema check of DMN documents in ``namespace`` (None: a namespace without a schema)."""
    if namespace == _DMN12:
        return _Dmn12Validator()
    return BpmnValidator(SCHEMAS[namespace]) if namespace in SCHEMAS else None


def non_table_decisions(node) -> dict[str, str]:
    """Decision id -> what it is, for the decisions of DMN document ``node`` without a decision table."""
    found = {}
    for decision in node.iterchildren(f"{{{etree.QName(node).namespace}}}decision"):
        if decision.find(f"{{{etree.QName(node).namespace}}}decisionTable") is None:
            logic = next((etree.QName(child).localname for child in decision
                          if isinstance(child.tag, str) and etree.QName(child).localname not in
                          ("description", "extensionElements", "question", "allowedAnswers", "variable",
                           "informationRequirement", "knowledgeRequirement", "authorityRequirement")), None)
            found[decision.get("id")] = logic or "decision without logic"
    return found


def decision_parsers(parser, node, filename=None) -> list[SingleDecisionParser]:
    """A parser for every decision with a decision table in the DMN document ``node``."""
    namespaces = {**parser.namespaces, **{k: v for k, v in node.nsmap.items() if k}}
    namespaces["dmn"] = etree.QName(node).namespace
    return [
        SingleDecisionParser(parser, node, namespaces, decision, filename)
        for decision in node.xpath("./dmn:decision[dmn:decisionTable]", namespaces=namespaces)
    ]


class DecisionTaskConverter(BusinessRuleTaskConverter):
    """Adds the Camunda result settings only when they are used, so other specs keep their form."""

    def to_dict(self, spec):
        dct = super().to_dict(spec)
        if spec.result_variable:
            dct["result_variable"] = spec.result_variable
            dct["map_decision_result"] = spec.map_decision_result
        return dct


class DecisionTaskParser(SpiffTaskParser):
    """Parses a businessRuleTask naming its decision in either dialect."""

    @staticmethod
    def get_decision_ref(node):
        extensions = SpiffTaskParser._parse_extensions(node)
        return extensions.get("calledDecisionId") or node.get(f"{{{CAMUNDA_NS}}}decisionRef")

    def create_task(self):
        decision_ref = self.get_decision_ref(self.node)
        if not decision_ref:
            self.raise_validation_exception(
                "a business rule task needs a decision: spiffworkflow:calledDecisionId or camunda:decisionRef")
        mapping = self.node.get(f"{{{CAMUNDA_NS}}}mapDecisionResult")
        if mapping is not None and mapping not in MAPPINGS:
            self.raise_validation_exception(
                f"camunda:mapDecisionResult '{mapping}' must be one of {', '.join(MAPPINGS)}")
        extensions = self.parse_extensions()
        try:
            engine = self.process_parser.parser.get_engine(decision_ref, self.node)
        except ValidationException as exc:
            exc.file_name = exc.file_name or self.filename
            raise
        return DecisionTask(
            self.spec,
            self.bpmn_id,
            dmnEngine=engine,
            result_variable=self.node.get(f"{{{CAMUNDA_NS}}}resultVariable") or None,
            map_decision_result=mapping,
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )
