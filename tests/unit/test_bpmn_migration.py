"""Migration: checking and moving running instances onto a new version, with save/restore around it."""

import json
import re
from pathlib import Path

import pytest

from flowdesk.bpmn import Execution, ParsedProcess, ProcessSpec, parse_models
from flowdesk.bpmn import migration

DATA = Path(__file__).parent.parent / "data"

CHECK_TASK = (b'<bpmn:userTask id="check" name="Check" camunda:candidateGroups="agents" />'
              b'<bpmn:sequenceFlow id="flow_check_to_gateway" sourceRef="check" targetRef="skip_gateway" />')


def read_bpmn(name: str) -> bytes:
    return (DATA / name).read_bytes()


def spec_of(parsed: ParsedProcess) -> ProcessSpec:
    return ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict)


def version(name: str, process_id: str, content: bytes) -> ParsedProcess:
    """``process_id`` of a changed copy of ``name`` (same file name, as a redeploy would be)."""
    return next(p for p in parse_models([(name, content)]) if p.process_id == process_id)


def two_step_with_check() -> ParsedProcess:
    """two_step.bpmn with a new user task ``check`` between ``first`` and the gateway."""
    content = read_bpmn("two_step.bpmn").replace(
        b'sourceRef="first" targetRef="skip_gateway" />', b'sourceRef="first" targetRef="check" />' + CHECK_TASK)
    return version("two_step.bpmn", "two_step", content)


def two_step_without_first() -> ParsedProcess:
    """two_step.bpmn whose start leads straight to the gateway: ``first`` is gone."""
    content = read_bpmn("two_step.bpmn")
    content = re.sub(rb'<bpmn:userTask id="first".*?</bpmn:userTask>', b"", content, flags=re.S)
    content = content.replace(b'<bpmn:sequenceFlow id="flow_first_to_gateway" sourceRef="first" '
                              b'targetRef="skip_gateway" />', b"")
    content = content.replace(b'sourceRef="start" targetRef="first"', b'sourceRef="start" targetRef="skip_gateway"')
    return version("two_step.bpmn", "two_step", content)


def flow_control(process_id: str, *replacements: tuple[bytes, bytes]) -> ParsedProcess:
    content = read_bpmn("flow_control.bpmn")
    for old, new in replacements:
        assert old in content, old
        content = content.replace(old, new)
    return version("flow_control.bpmn", process_id, content)


def migrate(instance, new: ParsedProcess) -> None:
    """Move ``instance`` to ``new`` and save/restore it, as the server does in one command."""
    execution = migration.migrate(instance.execution, spec_of(new))
    state = json.loads(json.dumps(execution.dump()))
    instance.parsed = new
    instance.execution = Execution.restore(spec_of(new), state, clock=execution.clock)


def test_a_waiting_task_that_still_exists_keeps_its_task_and_runs_on_the_new_version(run):
    instance = run("two_step.bpmn")
    task_id = instance.task("first").task_id

    migrate(instance, two_step_with_check())

    assert instance.task("first").task_id == task_id
    instance.complete("first", skip=False)
    assert instance.waiting() == ["check"]
    instance.complete("check")
    instance.complete("second")
    assert instance.execution.reached_end_event


def test_the_check_allows_a_waiting_task_that_still_exists(run):
    instance = run("two_step.bpmn")

    verdict = migration.check(instance.execution, spec_of(two_step_with_check()))

    assert verdict.possible and verdict.reasons == []


def test_a_waiting_task_whose_element_was_removed_is_refused_by_name(run):
    instance = run("two_step.bpmn")

    verdict = migration.check(instance.execution, spec_of(two_step_without_first()))

    assert not verdict.possible
    assert verdict.reasons == ["element 'first' has an open ticket and no counterpart in the new version"]
    assert verdict.affected_elements == ["first"]


def test_a_refused_migration_raises_and_leaves_the_instance_as_it_was(run):
    instance = run("two_step.bpmn")
    before = json.dumps(instance.execution.dump(), sort_keys=True)

    with pytest.raises(migration.MigrationRefused) as refused:
        migration.migrate(instance.execution, spec_of(two_step_without_first()))

    assert "first" in refused.value.reasons[0]
    assert json.dumps(instance.execution.dump(), sort_keys=True) == before


def test_a_finished_task_whose_element_was_removed_leaves_the_history(run):
    instance = run("two_step.bpmn")
    instance.complete("first", skip=False)

    migrate(instance, two_step_without_first())

    assert "first" not in instance.completed_elements()
    instance.complete("second")
    assert instance.execution.reached_end_event


def test_changed_ticket_properties_apply_to_the_waiting_task(run):
    instance = run("two_step.bpmn")
    content = read_bpmn("two_step.bpmn").replace(
        b'name="First step" camunda:candidateGroups="agents"', b'name="First step" camunda:candidateGroups="managers"')

    verdict = migration.check(instance.execution, spec_of(version("two_step.bpmn", "two_step", content)))
    migrate(instance, version("two_step.bpmn", "two_step", content))

    assert verdict.affected_elements == ["first"]
    assert instance.task("first").candidate_groups == ["managers"]


def test_a_waiting_timer_keeps_its_due_time(run_clocked, clock):
    instance = run_clocked("timers.bpmn", process_id="wait_duration")
    due = instance.execution.next_timer_due()
    content = read_bpmn("timers.bpmn").replace(b">PT5M<", b">PT50M<")

    migrate(instance, version("timers.bpmn", "wait_duration", content))

    assert instance.execution.next_timer_due() == due
    instance.advance(minutes=6)
    assert instance.waiting() == ["wd_after"]


def test_a_task_waiting_in_a_running_subprocess_moves_with_it(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="escalation")
    new = flow_control("escalation", (
        b'<bpmn:sequenceFlow id="sw_f3" sourceRef="inner_work" targetRef="sub_work_end" />',
        b'<bpmn:userTask id="inner_check" name="Inner check" />'
        b'<bpmn:sequenceFlow id="sw_f3" sourceRef="inner_work" targetRef="inner_check" />'
        b'<bpmn:sequenceFlow id="sw_f4" sourceRef="inner_check" targetRef="sub_work_end" />'))

    migrate(instance, new)
    instance.complete("inner_work")

    assert "inner_check" in instance.waiting()


def test_a_removed_task_waiting_in_a_running_subprocess_is_refused(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="escalation")
    new = flow_control("escalation",
                       (b'<bpmn:userTask id="inner_work" name="Inner work" />', b""),
                       (b'sourceRef="raise_attention" targetRef="inner_work"',
                        b'sourceRef="raise_attention" targetRef="sub_work_end"'),
                       (b'<bpmn:sequenceFlow id="sw_f3" sourceRef="inner_work" targetRef="sub_work_end" />', b""))

    verdict = migration.check(instance.execution, spec_of(new))

    assert verdict.reasons == ["element 'inner_work' in subprocess 'sub_work' has an open ticket "
                               "and no counterpart in the new version"]


def test_a_running_called_process_the_new_version_no_longer_calls_is_refused(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="call_parent")
    new = flow_control("call_parent", (b'calledElement="call_child"', b'calledElement="votes"'))

    verdict = migration.check(instance.execution, spec_of(new))

    assert not verdict.possible
    assert verdict.reasons == ["subprocess 'call_child_activity' is running process 'call_child', "
                               "which the new version does not run there"]


def test_multi_instance_items_survive_a_migration(run_clocked):
    instance = run_clocked("flow_control.bpmn", process_id="votes", voters=["ann", "bob"])
    new = flow_control("votes", (b'<bpmn:userTask id="count" name="Count the votes" />',
                                 b'<bpmn:userTask id="count" name="Count the ballots" />'))

    migrate(instance, new)

    assert sorted(task.data["voter"] for task in instance.execution.user_tasks()) == ["ann", "bob"]
    instance.complete_first("vote", ballot="yes")
    instance.complete_first("vote", ballot="yes")
    assert instance.task("count").name == "Count the ballots"


@pytest.mark.parametrize("name, process_id, variables", [
    ("flow_control.bpmn", "escalation", {}),
    ("flow_control.bpmn", "inclusive", {"x": 2, "y": 2}),
    ("flow_control.bpmn", "reviews", {"reviewers": ["ann", "bob"], "approved": False}),
    ("timers.bpmn", "sla", {}),
    ("waiting_events.bpmn", "reminder", {}),
])
def test_moving_to_an_unchanged_model_at_every_step_changes_nothing(run_clocked, parse_files, name, process_id,
                                                                     variables):
    def walk(migrating: bool) -> list:
        instance = run_clocked(name, process_id=process_id, **variables)
        seen = []
        for _ in range(12):
            if migrating:
                same = parse_files(name)
                migrate(instance, next(p for p in same if p.process_id == instance.parsed.process_id))
            seen.append((instance.waiting(), instance.completed_ids()))
            if instance.execution.is_completed:
                break
            if instance.waiting():
                instance.complete_first(instance.waiting()[0], **variables)
            else:
                instance.advance(days=1)
        return seen

    assert walk(migrating=True) == walk(migrating=False)
