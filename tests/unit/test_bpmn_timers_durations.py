"""Timer durations only an instance knows (a variable) read with the one ISO 8601 parser."""

from datetime import timedelta

import pytest

from flowdesk.bpmn import ExecutionError


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
