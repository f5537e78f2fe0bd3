"""Flows leaving activities and events behave as BPMN says: every unconditional flow, each
conditional flow whose condition holds, the default flow when none holds."""

import pytest


@pytest.mark.parametrize(("amount", "taken"), [(500, "big_order"), (20, "small_order")])
def test_conditions_on_flows_leaving_a_start_event_choose_the_path(run_clocked, amount, taken):
    instance = run_clocked("flows_from_activities.bpmn", process_id="conditional_start", amount=amount)

    assert instance.waiting() == [taken]


def test_several_flows_leaving_a_task_all_get_a_token(run_clocked):
    instance = run_clocked("flows_from_activities.bpmn", process_id="task_forks")

    instance.complete("prepare")
    assert sorted(instance.waiting()) == ["invoice", "pack"]
    instance.complete("pack")
    instance.complete("invoice")

    assert instance.execution.is_completed and instance.execution.reached_end_event


@pytest.mark.parametrize(("approved", "taken"), [(True, "ship"), (False, "rework")])
def test_a_task_takes_its_conditional_flow_or_else_its_default(run_clocked, approved, taken):
    instance = run_clocked("flows_from_activities.bpmn", process_id="task_chooses")

    instance.complete("review", approved=approved)

    assert instance.waiting() == [taken]
