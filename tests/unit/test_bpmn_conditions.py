"""Conditional events wait until their condition holds, checked again whenever variables change."""


def test_a_conditional_event_fires_when_another_branch_makes_its_condition_true(run_clocked):
    instance = run_clocked("conditional_waits.bpmn", ready=False)
    assert instance.waiting() == ["wu_prepare"]

    instance.complete("wu_prepare", ready=True)

    assert instance.waiting() == ["wu_go"]
    instance.complete("wu_go")
    assert instance.execution.reached_end_event


def test_a_conditional_event_keeps_waiting_while_its_condition_is_false(run_clocked):
    instance = run_clocked("conditional_waits.bpmn", ready=False)

    instance.complete("wu_prepare", ready=False)

    assert instance.waiting() == []
    assert not instance.execution.is_completed
