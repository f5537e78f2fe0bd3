"""The DMN decision tables a deployed process carries, evaluated on their own (outside any instance).

A DMN file is deployed with the BPMN file whose business rule tasks use its decisions; each
such task's spec keeps the decision table, but not the decision's id. The id is what the task
names in the model (``camunda:decisionRef``, ``spiffworkflow:calledDecisionId`` or
``zeebe:calledDecision``), so it is read back from the deployed source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import ExecutionError, XmlRefused, error_from
from .model import ProcessSpec
from .script_engine import restricted_script_engine
from .xml import BPMN_NS, CAMUNDA_NS, NAMESPACES, ZEEBE_NS, parse_xml


@dataclass
class DecisionTable:
    """A decision table as deployed: its decision's id, shape and rules (the engine runs ``engine``)."""

    decision_id: str
    name: str | None
    hit_policy: str
    inputs: list[str]
    outputs: list[str]
    rules: int
    engine: object = field(repr=False, compare=False)


@dataclass
class MatchedRule:
    id: str
    row: int
    outputs: dict


@dataclass
class DecisionResult:
    """The rules that matched (the first only, unless the hit policy is COLLECT) and their outputs."""

    decision_id: str
    hit_policy: str
    matched_rules: list[MatchedRule]

    @property
    def result(self) -> list[dict]:
        return [rule.outputs for rule in self.matched_rules]


def _decision_refs(source: bytes) -> dict[str, str]:
    """Business rule task id -> the decision id it names, as the modeler wrote it."""
    try:
        root = parse_xml(source)
    except XmlRefused:
        return {}
    refs = {}
    for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        ref = task.get(f"{{{CAMUNDA_NS}}}decisionRef")
        spiff = task.find(f".//{{{NAMESPACES['spiffworkflow']}}}calledDecisionId")
        zeebe = task.find(f".//{{{ZEEBE_NS}}}calledDecision")
        if spiff is not None and (spiff.text or "").strip():
            ref = spiff.text.strip()
        elif zeebe is not None and zeebe.get("decisionId"):
            ref = zeebe.get("decisionId")
        if ref and task.get("id"):
            refs[task.get("id")] = ref.strip()
    return refs


def decision_tables(spec: ProcessSpec, source: bytes) -> dict[str, DecisionTable]:
    """The decision tables the process's business rule tasks run, by decision id."""
    refs = _decision_refs(source)
    found: dict[str, DecisionTable] = {}
    for workflow_spec in (spec.spec, *spec.subprocess_specs.values()):
        for task_spec in workflow_spec.task_specs.values():
            engine = getattr(task_spec, "dmnEngine", None)
            decision_id = refs.get(getattr(task_spec, "bpmn_id", None))
            if engine is None or decision_id is None or decision_id in found:
                continue
            table = engine.decision_table
            found[decision_id] = DecisionTable(
                decision_id, table.name or None, table.hit_policy,
                [i.label or i.expression or i.id for i in table.inputs],
                [o.name or o.label or o.id for o in table.outputs], len(table.rules), engine)
    return found


def _evaluation(decision: DecisionTable, variables: dict):
    """What the DMN engine reads of a task: its data, its workflow's script engine (the same
    sandbox every model's expressions run in) and, for error messages, names."""
    workflow = SimpleNamespace(script_engine=restricted_script_engine(), spec=SimpleNamespace(file=None),
                               parent_workflow=None)
    workflow.top_workflow = workflow
    task_spec = SimpleNamespace(bpmn_id=decision.decision_id, bpmn_name=decision.name or decision.decision_id,
                                name=decision.decision_id)
    return SimpleNamespace(data=dict(variables), workflow=workflow, task_spec=task_spec)


def evaluate(decision: DecisionTable, variables: dict) -> DecisionResult:
    """Run the table against ``variables`` as a business rule task would; ExecutionError when a rule fails."""
    task = _evaluation(decision, variables)
    try:
        matched = decision.engine.decide(task)
        if decision.hit_policy != HitPolicy.COLLECT.value:
            matched = matched[:1]  # as in an instance: every other policy is first-hit
        rules = [MatchedRule(rule.id, rule.row_number, dict(rule.output_as_dict(task))) for rule in matched]
    except SpiffWorkflowException as exc:
        raise error_from(exc) from exc
    except Exception as exc:  # noqa: BLE001 - rules are model code; report what failed
        raise ExecutionError(f"decision '{decision.decision_id}' failed: {type(exc).__name__}: {exc}",
                             element_id=decision.decision_id) from exc
    return DecisionResult(decision.decision_id, decision.hit_policy, rules)
