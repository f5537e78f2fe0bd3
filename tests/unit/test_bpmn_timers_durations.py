"""Timer durations only an instance knows (a variable) read with the one ISO 8601 parser."""

from datetime import timedelta

import pytest

from flowdesk.bpmn import ExecutionError, ModelError


@pytest.mark.parametrize(("wait", "delta"), [
    ("P1W2D", timedelta(days=9)),
    ("PT1.5H", timedelta(minutes=90)),
])
def test_a_timer_waits_the_duration_its_variable_gives(run_clocked, clock, wait, delta):
    instance = run_clocked("timer_from_variable.bpmn", wait=wait)

    assert instance.execution.next_timer_due() == clock() + delta


def test_a_zero_duration_timer_is_over_at_once(run_clocked):
    instance = run_clocked("timer_from_variable.bpmn", wait="PT0S")

    assert instance.execution.next_timer_due() is None


@pytest.mark.parametrize(("wait", "reason"), [
    ("-PT1H", "negative duration"),
    ("P", "not an ISO 8601 duration"),
    ("soon", "not an ISO 8601 duration"),
])
def test_a_variable_that_is_no_forward_duration_fails_saying_why(run_clocked, wait, reason):
    with pytest.raises(ExecutionError, match=reason) as raised:
        run_clocked("timer_from_variable.bpmn", wait=wait)

    assert f"'{wait}'" in str(raised.value)


def _with_timer(timer: str, event: str = "intermediateCatchEvent") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:{event} id="timer">
      <bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition>
    </bpmn:{event}>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="timer" />
    <bpmn:sequenceFlow id="f2" sourceRef="timer" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize("timer", [
    "<bpmn:timeDuration>-PT1H</bpmn:timeDuration>",
    "<bpmn:timeDuration>+P</bpmn:timeDuration>",
    "<bpmn:timeDuration>PT</bpmn:timeDuration>",
    "<bpmn:timeDuration>\"-PT1H\"</bpmn:timeDuration>",  # as the SpiffArena editor quotes it
    "<bpmn:timeCycle>R3/-PT1H</bpmn:timeCycle>",
    "<bpmn:timeCycle>R/2026-01-01T00:00:00Z/-P1D</bpmn:timeCycle>",
    "<bpmn:timeCycle>R/P</bpmn:timeCycle>",
    "<bpmn:timeCycle>R/PT0S</bpmn:timeCycle>",  # would fire for ever at one instant
])
def test_a_duration_no_timer_can_wait_is_refused_at_deploy(parse, timer):
    with pytest.raises(ModelError) as raised:
        parse("bad_timer.bpmn", _with_timer(timer))

    [issue] = raised.value.issues
    assert issue.element_id == "timer" and issue.line


@pytest.mark.parametrize("timer", [
    "<bpmn:timeDuration>P1W2D</bpmn:timeDuration>",
    "<bpmn:timeDuration>PT1.5H</bpmn:timeDuration>",
    "<bpmn:timeCycle>R/2026-01-01T00:00:00Z/P1D</bpmn:timeCycle>",
    "<bpmn:timeDuration>${wait}</bpmn:timeDuration>",
])
def test_a_duration_a_timer_can_wait_deploys(parse, timer):
    assert parse("good_timer.bpmn", _with_timer(timer))


def test_a_negative_timer_start_event_is_refused_at_deploy(parse):
    with pytest.raises(ModelError) as raised:
        parse("bad_start.bpmn", _with_timer("<bpmn:timeDuration>-PT1H</bpmn:timeDuration>").replace(
            b'<bpmn:startEvent id="s" />', b'<bpmn:startEvent id="s"><bpmn:timerEventDefinition>'
            b'<bpmn:timeDuration>-PT5M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>'))

    assert {issue.element_id for issue in raised.value.issues} >= {"s"}
