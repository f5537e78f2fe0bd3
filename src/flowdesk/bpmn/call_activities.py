"""Call activities that pass the variables their model maps, not all of them.

By default a call activity gives the called process every variable and takes every variable
back (SpiffArena's behaviour, and flowdesk's for plain BPMN). A Camunda 7 call activity with
``camunda:in``/``camunda:out`` passes only what those map (``variables="all"`` passes all), and
a Camunda 8 one with ``propagateAllChildVariables="false"`` takes back only its output mappings.

``variable_mappings`` says so: ``{"in": [...] | None, "in_all": bool, "out": [...] | None,
"out_all": bool}``, each mapping ``{"target": name, "python": expression}``; ``None`` keeps
the default for that direction. "in" expressions are evaluated on the caller's variables,
"out" ones on the called process's, in the sandbox; a missing source variable gives null.
"""

from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser
from SpiffWorkflow.spiff.serializer.task_spec import SubWorkflowTaskConverter
from SpiffWorkflow.spiff.specs.defaults import CallActivity

from . import expressions, feel
from .xml import CAMUNDA_NS, NAMESPACES, ZEEBE_NS


class MappedCallActivity(CallActivity):
    """A call activity with the variable mappings of its model (see the module docstring)."""

    def __init__(self, wf_spec, bpmn_id, subworkflow_spec, variable_mappings=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.variable_mappings = variable_mappings

    @staticmethod
    def _mapped(my_task, mappings: list[dict], context: dict) -> dict:
        environment = my_task.workflow.script_engine.environment
        return {m["target"]: deepcopy(environment.evaluate(m["python"], dict(context))) for m in mappings}

    def copy_data(self, my_task, subworkflow):
        mappings = self.variable_mappings or {}
        if mappings.get("in") is None:
            return super().copy_data(my_task, subworkflow)
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        data = deepcopy(my_task.data) if mappings.get("in_all") else {}
        data.update(self._mapped(my_task, mappings["in"], my_task.data))
        start.set_data(**data)
        return None

    def update_data(self, my_task, subworkflow):
        mappings = self.variable_mappings or {}
        if mappings.get("out") is None:
            return super().update_data(my_task, subworkflow)
        child = subworkflow.last_task.data
        data = deepcopy(my_task.data)
        if mappings.get("out_all"):
            data.update(deepcopy(child))
        data.update(self._mapped(my_task, mappings["out"], child))
        my_task.data = data
        return None


class MappedCallActivityConverter(SubWorkflowTaskConverter):
    def to_dict(self, spec):
        dct = super().to_dict(spec)
        if spec.variable_mappings is not None:  # unmapped call activities keep their content hash
            dct["variable_mappings"] = spec.variable_mappings
        return dct

    def from_dict(self, dct):
        dct.setdefault("variable_mappings", None)
        return super().from_dict(dct)


def _camunda(node, ns: dict, direction: str) -> tuple[list[dict] | None, bool]:
    found = node.xpath(f"./bpmn:extensionElements/camunda:{direction}", namespaces=ns)
    mappings, everything = [], False
    for mapping in found:
        if mapping.get("variables") == "all":
            everything = True
        elif mapping.get("target"):
            source = mapping.get("sourceExpression")
            python = (expressions.translate(source) if source
                      else "_lookup_(" + repr(mapping.get("source") or "") + ")")
            mappings.append({"target": mapping.get("target"), "python": python})
    if not found or (not mappings and not everything):
        return None, False
    return mappings, everything


def _zeebe_outputs(node, ns: dict) -> list[dict] | None:
    called = node.xpath("./bpmn:extensionElements/zeebe:calledElement", namespaces=ns)
    if not called or (called[0].get("propagateAllChildVariables") or "true").strip().lower() != "false":
        return None
    outputs = []
    for output in node.xpath("./bpmn:extensionElements/zeebe:ioMapping/zeebe:output", namespaces=ns):
        source = (output.get("source") or "").strip()
        outputs.append({"target": output.get("target"),
                        "python": feel.translate(source if feel.is_feel(source) else "=" + source)})
    return outputs


def variable_mappings(node, bpmn_ns: str) -> dict | None:
    """The variable mappings a call activity element declares (None: pass everything both ways)."""
    ns = {**NAMESPACES, "bpmn": bpmn_ns, "camunda": CAMUNDA_NS, "zeebe": ZEEBE_NS}
    into, in_all = _camunda(node, ns, "in")
    out, out_all = _camunda(node, ns, "out")
    if (into is None) != (out is None):
        # Camunda passes nothing in (or back) without a mapping for that direction.
        into, out = into if into is not None else [], out if out is not None else []
    zeebe_out = _zeebe_outputs(node, ns)
    if zeebe_out is not None:
        out, out_all = zeebe_out, False
    if into is None and out is None:
        return None
    return {"in": into, "in_all": in_all, "out": out, "out_all": out_all}


class MappedCallActivityParser(CallActivityParser):
    def create_task(self):
        task = super().create_task()
        task.variable_mappings = variable_mappings(self.node, self.nsmap["bpmn"])
        return task
