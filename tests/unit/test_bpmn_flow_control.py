"""Errors, escalations, terminate, gateways, subprocesses, call activities and multi-instance,
each run through save and restore between every step."""


def test_an_error_end_event_in_a_subprocess_is_caught_by_its_boundary(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="error_in_subprocess", fail=True)

    assert instance.waiting() == ["handle_error"]
    assert "risky_error" in instance.completed_ids()


def test_a_subprocess_without_the_error_carries_on(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="error_in_subprocess", fail=False)

    assert instance.waiting() == ["carry_on"]


def test_a_non_interrupting_escalation_adds_a_path_and_keeps_the_subprocess(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="escalation")

    assert instance.waiting() == ["inner_work", "notify_manager"]


def test_an_escalation_end_event_is_caught_by_an_interrupting_boundary(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="escalation")

    instance.complete("inner_work")

    assert instance.waiting() == ["notify_manager", "take_over"]
    assert "esc_not_handed_end" not in instance.completed_ids()


def test_a_process_with_escalations_runs_to_its_ends(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="escalation")

    for task in ("inner_work", "take_over", "notify_manager"):
        instance.complete(task)

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event


def test_a_terminate_end_event_ends_the_whole_instance(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="terminate")

    instance.complete("fast")

    assert instance.waiting() == []
    assert instance.execution.is_completed
    assert instance.execution.reached_end_event
    assert "slow" not in instance.completed_ids()


def test_a_terminate_end_event_in_a_subprocess_ends_only_the_subprocess(run_clocked):
    instance = run_clocked("HistoricActivityInstanceStateTest.testEndTerminateEventCancelInSubprocess.bpmn")

    instance.deliver("continue", {})

    assert instance.waiting() == []
    assert instance.execution.reached_end_event
    assert instance.completed_ids()[-2:] == ["subprocess", "end"]


def test_an_inclusive_gateway_takes_every_branch_whose_condition_holds(run_clocked):
    assert run_clocked("flow_control.bpmn", process_id="inclusive", x=2, y=2).waiting() == ["task_x", "task_y"]


def test_an_inclusive_gateway_takes_its_default_when_no_condition_holds(run_clocked):
    assert run_clocked("flow_control.bpmn", process_id="inclusive", x=0, y=0).waiting() == ["task_none"]


def test_an_inclusive_join_waits_for_every_branch_taken(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="inclusive", x=2, y=2)

    instance.complete("task_x")
    assert instance.waiting() == ["task_y"]
    instance.complete("task_y")

    assert instance.waiting() == ["after_join"]


def test_an_inclusive_join_does_not_wait_for_a_branch_not_taken(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="inclusive", x=2, y=0)

    instance.complete("task_x")

    assert instance.waiting() == ["after_join"]


def test_an_error_event_subprocess_waits_for_its_error(run_clocked):
    # SpiffWorkflow's start event parser ignores error definitions: it started right away.
    assert run_clocked("flow_control.bpmn", process_id="error_event_subprocess").waiting() == ["attempt"]


def test_an_error_end_event_starts_the_error_event_subprocess(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="error_event_subprocess")

    instance.complete("attempt", failed=True)
    assert instance.waiting() == ["recover"]
    instance.complete("recover")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event


def test_a_process_without_the_error_never_starts_its_error_event_subprocess(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="error_event_subprocess")

    instance.complete("attempt", failed=False)

    assert instance.execution.is_completed
    assert "recover" not in instance.completed_ids()


def test_a_corpus_error_event_subprocess_catches_the_error_end_event(run_clocked):
    instance = run_clocked("ErrorEventSubProcessTest.testCatchErrorEventSubprocessSetErrorVariables.bpmn")

    assert instance.completed_ids()[:2] == ["StartEvent_3", "EndEvent_1"]
    instance.complete("UserTask_1")

    assert instance.execution.is_completed


def test_a_call_activity_runs_the_called_process_of_the_same_upload(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="call_parent")

    assert instance.waiting() == ["child_task"]


def test_a_call_activity_returns_the_called_process_data(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="call_parent")

    instance.complete("child_task", verdict="ok")

    assert instance.task("cp_after").data == {"verdict": "ok"}


def test_a_corpus_call_activity_calls_a_process_from_another_file(run_clocked):
    instance = run_clocked("superProcess.bpmn", also=("subProcess.bpmn",))

    instance.complete(instance.waiting()[0])

    assert instance.execution.reached_end_event


def test_a_parallel_multi_instance_task_has_one_task_per_item(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="votes", voters=["ann", "bob", "cy"])

    assert sorted(t.data["voter"] for t in instance.execution.user_tasks()) == ["ann", "bob", "cy"]


def test_a_parallel_multi_instance_collects_its_outputs(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="votes", voters=["ann", "bob"])

    for _ in range(2):
        instance.complete_first("vote", ballot="yes")

    assert instance.task("count").data["ballots"] == ["yes", "yes"]


def test_a_completion_condition_ends_a_parallel_multi_instance_early(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="votes", voters=["ann", "bob", "cy"])

    instance.complete_first("vote", ballot="veto")

    assert instance.waiting() == ["count"]


def test_a_camunda_sequential_multi_instance_offers_one_item_at_a_time(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="reviews", reviewers=["ann", "bob", "cy"])

    assert instance.task("review").data == {"reviewers": ["ann", "bob", "cy"], "reviewer": "ann"}
    instance.complete("review", approved=False)

    assert instance.task("review").data["reviewer"] == "bob"


def test_a_camunda_completion_condition_ends_a_sequential_multi_instance(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="reviews", reviewers=["ann", "bob", "cy"])

    instance.complete("review", approved=False)
    instance.complete("review", approved=True)

    assert instance.waiting() == ["publish"]


def test_a_camunda_element_variable_stays_local_to_its_instance(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="reviews", reviewers=["ann"])

    instance.complete("review", approved=True)

    assert instance.task("publish").data == {"reviewers": ["ann"], "approved": True}


def test_an_action_error_can_be_caught_by_an_error_event_subprocess(run_clocked):
    instance = run_clocked("action_error_subprocess.bpmn")
    [call] = instance.execution.pending_actions()

    assert instance.execution.throw_error(call.task_id, "customer_unknown")
    instance.save_and_restore()

    assert instance.waiting() == ["register"]
    assert instance.execution.pending_actions() == []


def test_an_action_error_no_event_subprocess_catches_changes_nothing(run_clocked):
    instance = run_clocked("action_error_subprocess.bpmn")
    [call] = instance.execution.pending_actions()

    assert not instance.execution.throw_error(call.task_id, "timeout")

    assert instance.execution.waiting_messages() == []
    assert [c.task_id for c in instance.execution.pending_actions()] == [call.task_id]
