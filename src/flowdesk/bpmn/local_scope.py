"""Input mappings as variables local to their activity, as Camunda 7 and Zeebe scope them.

An input mapping (``camunda:inputParameter``, ``zeebe:input``) makes a variable of the
activity's own scope: the activity sees it (its scripts, expressions, form, worker payload)
and the process does not, once the activity is done. SpiffWorkflow has one data dict per task,
copied to the next tasks when it completes; so the mapping scripts carry a marker line
(a Python comment, kept with the scripts through serialization) that the script engine acts
on: :func:`enter` before the pre-script runs, :func:`leave` after the post-script ran, before
the data flows on.

* Before the inputs run, the values they are about to shadow are kept in the task's internal
  data (all of the task data when only outputs may leave the activity).
* After the outputs ran, every input variable that no output wrote gets its earlier value back
  (or is removed). In Zeebe an activity with outputs passes on only its outputs (what its job or
  form completed with stays local too); in Camunda 7 variables the task sets still pass on.
"""

from __future__ import annotations

import json
from copy import deepcopy
from dataclasses import dataclass

_PREFIX = "# flowdesk:local-scope "
_ENTER = _PREFIX + "enter "
_LEAVE = _PREFIX + "leave "
_KEPT = "flowdesk_local_scope"  # task.internal_data key of what the inputs shadowed
_ABSENT = "absent"
# Where a Zeebe catch event with outputs keeps its message's variables until the outputs read them.
MESSAGE_VARIABLE = "flowdesk_message_variables"


@dataclass(frozen=True)
class Scope:
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    only_outputs: bool  # the dialect passes nothing but the outputs on when there are any (Zeebe)
    unpack: str | None = None  # a variable whose entries become local variables (a message's)

    @property
    def declared(self) -> dict:
        """What the marker lines say (JSON)."""
        declared = {"inputs": list(self.inputs), "outputs": list(self.outputs),
                    "only_outputs": self.only_outputs and bool(self.outputs)}
        if self.unpack:
            declared["unpack"] = self.unpack
        return declared


def enter_line(scope: Scope) -> str:
    """The pre-script marker line of ``scope``."""
    return _ENTER + json.dumps(scope.declared)


def leave_line(scope: Scope) -> str:
    """The post-script marker line of ``scope``."""
    return _LEAVE + json.dumps(scope.declared)


def _marker(script: str | None, prefix: str) -> dict | None:
    for line in (script or "").splitlines():
        if line.startswith(prefix):
            return json.loads(line[len(prefix):])
    return None


def is_marker_only(script: str | None) -> bool:
    """True for a script of nothing but markers: there is nothing to run in the sandbox."""
    return all(not line.strip() or line.startswith(_PREFIX) for line in (script or "").splitlines())


def enter(task, script: str | None) -> None:
    """Before a pre-script with a scope marker: keep what its inputs will shadow (once per task)."""
    declared = _marker(script, _ENTER)
    if declared is None or _KEPT in task.internal_data:
        return
    unpacked = task.data.pop(declared["unpack"], None) if declared.get("unpack") else None
    if declared["only_outputs"]:
        task.internal_data[_KEPT] = {"all": deepcopy(task.data)}
    else:
        # JSON-safe: a shadowed value is wrapped, a variable that did not exist is "absent".
        task.internal_data[_KEPT] = {"inputs": {
            name: {"value": deepcopy(task.data[name])} if name in task.data else _ABSENT
            for name in declared["inputs"]}}
    if isinstance(unpacked, dict):
        set_local(task, unpacked, declared)


def leave(task, script: str | None) -> None:
    """After a post-script with a scope marker: drop the activity's local variables."""
    declared = _marker(script, _LEAVE)
    if declared is None:
        return
    kept = task.internal_data.pop(_KEPT, None)
    if kept is None:
        return
    outputs = set(declared["outputs"])
    if "all" in kept:
        data = kept["all"]
        data.update({name: task.data[name] for name in outputs if name in task.data})
        task.data.clear()
        task.data.update(data)
        return
    for name, before in kept["inputs"].items():
        if name in outputs:
            continue
        if before == _ABSENT:
            task.data.pop(name, None)
        else:
            task.data[name] = before["value"]


def local_variables(task) -> dict:
    """The variables local to ``task`` now: the values of its inputs (empty without input mappings)."""
    declared = _marker(getattr(task.task_spec, "prescript", None), _ENTER)
    if declared is None:
        return {}
    return {name: task.data[name] for name in declared["inputs"] if name in task.data}


def set_local(task, values: dict, declared: dict | None = None) -> None:
    """Set ``values`` in ``task``'s own scope (a worker's local variables): its output mappings
    read them, and they are gone with the task. A task without mappings reads nothing after its
    worker, so there they are dropped at once."""
    declared = declared or _marker(getattr(task.task_spec, "postscript", None), _LEAVE)
    if declared is None or not values:
        return
    kept = task.internal_data.setdefault(_KEPT, {"inputs": {}})
    if "inputs" in kept:  # else all of the task data before it is kept, so these go anyway
        for name in values:
            kept["inputs"].setdefault(name, {"value": deepcopy(task.data[name])} if name in task.data else _ABSENT)
    task.data.update(values)
