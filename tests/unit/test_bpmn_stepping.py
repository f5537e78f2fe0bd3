"""What one command may step: call activities nested too deep and loops without a wait state stop
with an error naming the element."""

import json
import time

import pytest

from flowdesk.bpmn import Execution, ExecutionError, ProcessSpec, StepLimits

STATE_AFTER_LOOP_BYTES = 100_000  # 25 KB with pruning (mostly the history); unpruned, 4,500 task records


def _spec(parsed):
    """The spec as the server rebuilds it from the stored definition version."""
    return ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict)


@pytest.fixture
def process(parse):
    def find(process_id):
        return _spec(next(p for p in parse("recursive_calls.bpmn") if p.process_id == process_id))
    return find


def test_a_process_calling_itself_stops_at_the_call_depth_naming_the_call_activity(process):
    with pytest.raises(ExecutionError) as raised:
        Execution.start(process("calls_itself"), limits=StepLimits(max_call_depth=5))

    assert raised.value.element_id == "call_me_again"
    assert "more than 5 deep" in raised.value.message


def test_processes_calling_each_other_stop_at_the_call_depth(process):
    with pytest.raises(ExecutionError) as raised:
        Execution.start(process("ping"))

    assert raised.value.element_id in ("call_pong", "call_ping")
    assert "calls itself" in raised.value.message


def test_a_recursion_that_ends_within_the_depth_runs_to_its_end(process):
    execution = Execution.start(process("counts_down"), {"n": 4}, limits=StepLimits(max_call_depth=5))

    assert execution.is_completed and execution.reached_end_event


def test_a_loop_without_a_wait_state_stops_after_the_step_budget(process):
    began = time.monotonic()
    with pytest.raises(ExecutionError) as raised:
        Execution.start(process("loops_for_ever"), {"turns": 0}, limits=StepLimits(budget_seconds=0.5))

    assert time.monotonic() - began < 3
    assert raised.value.element_id in ("again", "spin")
    assert "0.5 s" in raised.value.message


def test_a_loop_runs_on_past_a_thousand_turns_and_keeps_its_state_small(parse):
    # Completed tasks of a loop are pruned while it runs, so SpiffWorkflow keeps seeing the next one
    # and the state does not grow with the turns. The wall-clock budget is lifted: speed is the
    # benchmarks' business (bench/history_growth.py), not a test's on a shared machine.
    xml = (b'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           b'id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="true">'
           b'<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
           b'<bpmn:exclusiveGateway id="g" default="f3"/>'
           b'<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"><bpmn:conditionExpression>n &gt;= 1500'
           b'</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="t"/>'
           b'<bpmn:scriptTask id="t" scriptFormat="python"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>'
           b'<bpmn:sequenceFlow id="f4" sourceRef="t" targetRef="g"/><bpmn:endEvent id="e"/>'
           b'</bpmn:process></bpmn:definitions>')
    [parsed] = parse("loop.bpmn", xml)

    execution = Execution.start(_spec(parsed), {"n": 0}, limits=StepLimits(budget_seconds=600))

    assert execution.is_completed and execution.reached_end_event
    assert execution.variables["n"] == 1500
    assert len(json.dumps(execution.dump())) < STATE_AFTER_LOOP_BYTES
