"""Multi-instance activities as Camunda writes them: ``camunda:collection`` and
``camunda:elementVariable``, and the loop variables its completion conditions read."""

from __future__ import annotations

import re

from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from .xml import CAMUNDA_NS

_VARIABLE = re.compile(r"^\s*(?:[$#]\{\s*)?([A-Za-z_][A-Za-z0-9_]*)(?:\s*\})?\s*$")
# Camunda's multi-instance variables, which completion conditions commonly use.
LOOP_VARIABLES = ("nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances", "loopCounter")


class _LocalElementVariable:
    """Camunda's elementVariable is local to one instance; SpiffWorkflow would merge it into the
    process variables and then refuse to start the next instance because it exists."""

    def create_child(self, my_task, item, key_or_index=None):
        if self.input_item is not None:
            my_task.data.pop(self.input_item.bpmn_id, None)
        super().create_child(my_task, item, key_or_index)

    def _run_hook(self, my_task):
        if self.input_item is not None:
            my_task.data.pop(self.input_item.bpmn_id, None)
        return super()._run_hook(my_task)


class _LoopVariables:
    """The completion condition sees Camunda's loop variables (only while it is evaluated: they
    are not process variables)."""

    def check_completion_condition(self, my_task):
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return super().check_completion_condition(my_task)
        instances = list(self._instances(my_task))
        last = next(c for c in instances if str(c.id) == merged[-1])
        active = sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK))
        index = last.internal_data.get("key_or_index")
        values = {
            "nrOfInstances": len(instances) + len(my_task.internal_data.get("remaining") or []),
            "nrOfActiveInstances": active,
            "nrOfCompletedInstances": len(merged),
            "loopCounter": index if isinstance(index, int) else instances.index(last),
        }
        shadowed = {name: last.data[name] for name in values if name in last.data}
        last.data.update(values)
        try:
            return super().check_completion_condition(my_task)
        finally:
            for name in values:
                last.data.pop(name, None)
            last.data.update(shadowed)


class CamundaSequentialMultiInstanceTask(_LoopVariables, _LocalElementVariable, SequentialMultiInstanceTask):
    """``isSequential`` multi-instance declared with ``camunda:collection``."""


class CamundaParallelMultiInstanceTask(_LoopVariables, _LocalElementVariable, ParallelMultiInstanceTask):
    """Parallel multi-instance declared with ``camunda:collection``."""


class LoopVariablesSequentialMultiInstanceTask(_LoopVariables, SequentialMultiInstanceTask):
    """Standard sequential multi-instance whose completion condition reads Camunda's loop variables."""


class LoopVariablesParallelMultiInstanceTask(_LoopVariables, ParallelMultiInstanceTask):
    """Standard parallel multi-instance whose completion condition reads Camunda's loop variables."""


class CamundaLoopMixin:
    """``camunda:collection`` / ``camunda:elementVariable`` multi-instance.

    Variables the instances set become process variables (the last instance's value wins), as
    in Camunda; the completion condition sees the data of the instance that just completed.
    """

    def _add_multiinstance_task(self, loop_characteristics):
        collection = loop_characteristics.get(f"{{{CAMUNDA_NS}}}collection")
        prefix = "./bpmn:multiInstanceLoopCharacteristics"
        standard = self.xpath(f"{prefix}/bpmn:loopDataInputRef") or self.xpath(f"{prefix}/bpmn:loopCardinality")
        if collection is None or standard:
            super()._add_multiinstance_task(loop_characteristics)
            if self.task.condition and any(name in self.task.condition for name in LOOP_VARIABLES):
                self.task.__class__ = {SequentialMultiInstanceTask: LoopVariablesSequentialMultiInstanceTask,
                                       ParallelMultiInstanceTask: LoopVariablesParallelMultiInstanceTask,
                                       }.get(type(self.task), type(self.task))
            return
        match = _VARIABLE.match(collection)
        if not match:
            self.raise_validation_exception(f"camunda:collection '{collection}' must name a process variable")
        element = loop_characteristics.get(f"{{{CAMUNDA_NS}}}elementVariable")
        condition = self.xpath(f"{prefix}/bpmn:completionCondition")
        original = self.spec.task_specs.pop(self.task.name)
        params = {
            "task_spec": "",
            "data_input": TaskDataReference(match.group(1)),
            "input_item": TaskDataReference(element) if element else None,
            "condition": condition[0].text if condition else None,
        }
        if loop_characteristics.get("isSequential") == "true":
            self.task = CamundaSequentialMultiInstanceTask(
                self.spec, original.name, description="Sequential MultiInstance", **params)
        else:
            self.task = CamundaParallelMultiInstanceTask(
                self.spec, original.name, description="Parallel MultiInstance", **params)
        self._copy_task_attrs(original, loop_characteristics)


