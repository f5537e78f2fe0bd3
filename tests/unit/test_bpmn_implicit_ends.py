"""A token reaching an activity with no outgoing flow ends there, as an end event would."""

import pytest


def test_a_subprocess_ending_at_an_activity_without_outgoing_flow_returns_to_its_parent(run_clocked):
    instance = run_clocked("implicit_ends.bpmn", process_id="sub_without_end")

    instance.complete("se_inner")

    assert instance.waiting() == ["se_after"]
    instance.complete("se_after")
    assert instance.execution.is_completed and instance.execution.reached_end_event


@pytest.mark.parametrize("order", [("db_a", "db_b"), ("db_b", "db_a")])
def test_a_subprocess_with_a_dangling_branch_returns_once_both_branches_are_done(run_clocked, order):
    instance = run_clocked("implicit_ends.bpmn", process_id="sub_with_dangling_branch")

    for task in order:
        instance.complete(task)

    assert instance.waiting() == ["db_after"]


def test_a_process_ending_at_an_activity_without_outgoing_flow_has_ended(run_clocked):
    instance = run_clocked("implicit_ends.bpmn", process_id="choice_to_dangling_task", stop=True)

    instance.complete("cd_stop")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event
