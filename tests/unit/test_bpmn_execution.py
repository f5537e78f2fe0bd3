"""Execution: start, complete user tasks, and survive a save/restore between every step."""

import json
from datetime import timedelta

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from flowdesk.bpmn import Execution, ExecutionError, ProcessSpec, TaskNotReady
from flowdesk.bpmn.script_engine import RestrictedEnvironment


def test_start_runs_to_the_first_user_task(run):
    instance = run("ticket_progression.bpmn")

    assert instance.waiting() == ["triage"]
    assert not instance.execution.is_completed


def test_each_process_of_a_file_runs_on_its_own(run):
    instance = run("two_processes.bpmn", process_id="proc_b")

    instance.complete("task_b")

    assert instance.execution.reached_end_event
    assert "task_a" not in instance.completed_elements()


def test_start_variables_are_the_first_task_data(run):
    assert run("ticket_progression.bpmn", source="email").task("triage").data == {"source": "email"}


def test_completing_a_user_task_moves_on_to_the_next(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="billing", amount=500)

    assert instance.waiting() == ["review"]


def test_completed_data_is_visible_to_the_next_task(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="billing", amount=500)

    assert instance.task("review").data == {"category": "billing", "amount": 500}


def test_variables_reflect_completed_data(run):
    instance = run("ticket_progression.bpmn", source="email")

    instance.complete("triage", category="billing", amount=500)

    assert instance.execution.variables == {"source": "email", "category": "billing", "amount": 500}


def test_task_ids_survive_save_and_restore(run):
    instance = run("ticket_progression.bpmn")
    before = instance.task("triage").task_id

    instance.execution = Execution.restore(
        ProcessSpec.from_dict(instance.parsed.process_id, instance.parsed.spec_dict),
        json.loads(json.dumps(instance.execution.dump())))

    assert instance.task("triage").task_id == before


def test_completing_an_already_completed_task_is_refused(run):
    instance = run("ticket_progression.bpmn")
    triage_id = instance.task("triage").task_id
    instance.complete("triage", category="billing", amount=500)

    with pytest.raises(TaskNotReady):
        instance.execution.complete_user_task(triage_id, {"amount": 1})


def test_refused_completion_changes_nothing(run):
    instance = run("ticket_progression.bpmn")
    triage_id = instance.task("triage").task_id
    instance.complete("triage", category="billing", amount=500)

    with pytest.raises(TaskNotReady):
        instance.execution.complete_user_task(triage_id, {"amount": 1})

    assert instance.waiting() == ["review"]
    assert instance.execution.variables["amount"] == 500


# A fixed id, not uuid4(): every pytest-xdist worker must collect the same test ids.
@pytest.mark.parametrize("task_id", ["5b0c1c2e-7f57-4a8e-9c0a-3f1d2e4b6a70", "not-a-uuid", ""])
def test_completing_an_unknown_task_id_is_refused(run, task_id):
    with pytest.raises(TaskNotReady):
        run("ticket_progression.bpmn").execution.complete_user_task(task_id, {})


def test_completing_a_task_that_is_not_ready_yet_is_refused(run):
    instance = run("ticket_progression.bpmn")
    [closed_end] = instance.execution.workflow.get_tasks(spec_name="closed_end")

    with pytest.raises(TaskNotReady):
        instance.execution.complete_user_task(str(closed_end.id), {})


def test_completing_a_ready_task_that_is_not_a_human_task_is_refused(parse):
    process = parse("ticket_progression.bpmn")[0]
    spec = ProcessSpec.from_dict(process.process_id, process.spec_dict)
    # Not run yet: the workflow's start task is READY, but nobody is meant to complete it.
    execution = Execution(BpmnWorkflow(spec.spec, spec.subprocess_specs))
    [ready] = execution.workflow.get_tasks(state=TaskState.READY)

    with pytest.raises(TaskNotReady):
        execution.complete_user_task(str(ready.id), {})


def test_small_approved_request_is_closed(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="billing", amount=500)
    instance.complete("review", summary="refund a double charge")
    instance.complete("manager_approval", approved=True)
    instance.complete("close")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event
    assert "closed_end" in instance.completed_elements()
    assert "director_approval" not in instance.completed_elements()


def test_large_approved_request_needs_the_director_and_is_closed(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="purchase", amount=50000)
    instance.complete("review", summary="new servers")
    instance.complete("manager_approval", approved=True)
    instance.complete("director_approval", approved=True)
    instance.complete("close")

    assert instance.execution.reached_end_event
    assert {"director_approval", "closed_end"} <= instance.completed_elements()


def test_large_request_rejected_by_the_director_is_rejected(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="purchase", amount=50000)
    instance.complete("review", summary="new servers")
    instance.complete("manager_approval", approved=True)
    instance.complete("director_approval", approved=False)
    instance.complete("close_rejected")

    assert instance.execution.reached_end_event
    assert "rejected_end" in instance.completed_elements()


def test_request_rejected_by_the_manager_ends_at_rejected_end(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="billing", amount=500)
    instance.complete("review", summary="refund a double charge")
    instance.complete("manager_approval", approved=False)
    instance.complete("close_rejected")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event
    assert "rejected_end" in instance.completed_elements()
    assert "closed_end" not in instance.completed_elements()


def test_variables_of_a_completed_instance_hold_all_completed_data(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="billing", amount=500)
    instance.complete("review", summary="refund")
    instance.complete("manager_approval", approved=False, approval_comment="duplicate")
    instance.complete("close_rejected")

    assert instance.execution.variables == {
        "category": "billing", "amount": 500, "summary": "refund", "approved": False, "approval_comment": "duplicate",
    }


def test_later_completion_overwrites_a_variable(run):
    instance = run("ticket_progression.bpmn")

    instance.complete("triage", category="purchase", amount=50000)
    instance.complete("review", summary="servers")
    instance.complete("manager_approval", approved=True)
    instance.complete("director_approval", approved=False)

    assert instance.execution.variables["approved"] is False


def test_no_task_waits_once_the_instance_is_completed(run):
    instance = run("simple_user_task.bpmn")

    instance.complete("approve")

    assert instance.waiting() == []


def test_skip_condition_goes_straight_to_the_end(run):
    instance = run("two_step.bpmn")

    instance.complete("first", skip=True)

    assert instance.execution.reached_end_event


def test_default_gateway_flow_leads_to_the_second_step(run):
    instance = run("two_step.bpmn")

    instance.complete("first", skip=False)

    assert instance.waiting() == ["second"]


def test_condition_on_an_unset_variable_fails_naming_the_gateway(run):
    # SpiffWorkflow does not fall back to the default flow when a condition raises NameError.
    instance = run("two_step.bpmn")

    with pytest.raises(ExecutionError) as error:
        instance.complete("first")

    assert error.value.element_id == "skip_gateway"
    assert "skip == True" in error.value.message


def test_dumped_state_leaves_the_spec_out(run):
    state = run("ticket_progression.bpmn").execution.dump()

    assert "spec" not in state
    assert "subprocess_specs" not in state


def test_dumped_state_is_json_serialisable_as_is(run):
    instance = run("ticket_progression.bpmn")
    instance.complete("triage", category="billing", amount=500)

    state = instance.execution.dump()

    assert json.loads(json.dumps(state)) == state


def test_restored_instance_runs_scripts_in_the_restricted_environment(run):
    environment = run("spiff_dialect.bpmn", price=1, quantity=1).execution.workflow.script_engine.environment

    assert isinstance(environment, RestrictedEnvironment)


def test_failing_script_task_raises_execution_error_naming_the_element(parse):
    process = parse("failing_script.bpmn")[0]

    with pytest.raises(ExecutionError) as error:
        Execution.start(ProcessSpec.from_dict(process.process_id, process.spec_dict))

    assert error.value.element_id == "boom"
    assert error.value.line == 1
    assert "ZeroDivisionError" in error.value.message


def test_script_refused_at_run_time_raises_execution_error(run, bpmn):
    # Compiles, so it deploys; the attribute guard refuses the module while running.
    pre_script = bpmn("spiff_dialect.bpmn").replace(
        b"<spiffworkflow:properties>",
        b"<spiffworkflow:preScript>x = datetime.sys</spiffworkflow:preScript><spiffworkflow:properties>")

    with pytest.raises(ExecutionError) as error:
        run("spiff_dialect.bpmn", pre_script, price=1, quantity=1)

    assert error.value.element_id == "check"
    assert "modules are not available" in error.value.message


def test_module_attribute_escape_raises_execution_error(run, bpmn):
    escape = bpmn("spiff_dialect.bpmn").replace(
        b"total = price * quantity", b"total = datetime.sys.modules['os'].getcwd()")

    with pytest.raises(ExecutionError) as error:
        run("spiff_dialect.bpmn", escape, price=1, quantity=1)

    assert error.value.element_id == "compute"


def _active(execution) -> list:
    workflows = [execution.workflow, *execution.workflow.subprocesses.values()]
    return [t for wf in workflows for t in wf.tasks.values()
            if t.state & (TaskState.READY | TaskState.STARTED | TaskState.WAITING)]


def test_a_cancelled_instance_has_nothing_ready_started_or_waiting(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")

    instance.execution.cancel()
    instance.save_and_restore()

    assert _active(instance.execution) == []
    assert instance.execution.waiting_timers() == []


def test_cancelling_cancels_work_inside_subprocesses_too(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="timer_in_subprocess")

    instance.execution.cancel()
    instance.save_and_restore()

    assert _active(instance.execution) == []
    assert instance.execution.next_timer_due() is None


def test_a_cancelled_instance_waits_for_no_message(run_clocked):
    instance = run_clocked("messages.bpmn", process_id="interruptions")

    instance.execution.cancel()
    instance.save_and_restore()

    assert instance.execution.waiting_messages() == []
    assert not instance.deliver("question", {})


def test_a_cancelled_instance_did_not_reach_an_end_event(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")

    instance.execution.cancel()

    assert not instance.execution.reached_end_event


def test_completed_elements_are_the_bpmn_elements_in_completion_order(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="inclusive", x=2, y=0)

    instance.complete("task_x")

    assert instance.completed_ids() == ["inc_start", "which", "task_x", "join"]


def test_completed_elements_leave_out_internal_specs(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")

    instance.complete("handle")

    assert instance.completed_ids() == ["sla_start", "handle", "sla_done"]


def test_completed_elements_have_a_name_and_a_bpmn_type(run_clocked):
    instance = run_clocked("timers.bpmn", process_id="sla")
    instance.complete("handle")

    start, handle, end = instance.execution.completed_elements()

    assert (handle.name, handle.type) == ("Handle the request", "userTask")
    assert (start.type, end.type) == ("startEvent", "endEvent")


def test_completed_elements_are_stamped_with_the_instance_clock(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="wait_duration")
    started = clock()

    instance.advance(minutes=5)

    finished = {e.element_id: e.finished_at for e in instance.execution.completed_elements()}
    assert finished == {"wd_start": started, "wd_timer": started + timedelta(minutes=5)}


def test_completed_elements_include_subprocess_contents_before_the_subprocess(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="error_in_subprocess", fail=False)

    assert instance.completed_ids() == ["eis_start", "risky_start", "risky_ok", "risky_end", "risky"]
    assert instance.execution.completed_elements()[-1].type == "subProcess"


def test_process_without_end_events_ends_when_its_last_task_is_done(run):
    instance = run("no_end_event.bpmn")

    instance.complete("review")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event


def test_process_with_an_end_event_has_not_ended_while_a_task_waits(run):
    instance = run("simple_user_task.bpmn")

    assert not instance.execution.reached_end_event


def test_a_new_instance_was_loaded_waiting_for_nothing(parse):
    [parsed] = parse("two_step.bpmn")
    execution = Execution.start(ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict))
    assert execution.waits_when_loaded == frozenset()
    assert execution.waiting_kinds() == {"user_task"}


def test_a_restored_instance_remembers_what_it_waited_for_when_loaded(run):
    instance = run("two_step.bpmn")
    assert instance.execution.waits_when_loaded == {"user_task"}
    instance.execution.complete_user_task(instance.task("first").task_id, {"skip": True})
    assert instance.execution.waiting_kinds() == frozenset()
    assert instance.execution.waits_when_loaded == {"user_task"}


def test_waiting_kinds_names_a_started_service_task(run):
    instance = run("service_chain.bpmn")
    assert instance.execution.waiting_kinds() == {"action"}


@pytest.mark.parametrize("process_id", ["escalation", "error_event_subprocess"])
def test_restoring_leaves_the_saved_state_as_it_was(run, process_id):
    instance = run("flow_control.bpmn", process_id=process_id)
    state = json.loads(json.dumps(instance.execution.dump()))
    saved = json.dumps(state, sort_keys=True)

    restored = Execution.restore(ProcessSpec.from_dict(process_id, instance.parsed.spec_dict), state)

    assert json.dumps(state, sort_keys=True) == saved
    assert restored.dump() == instance.execution.dump()
