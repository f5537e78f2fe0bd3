"""Models refused at deploy name the element, its line and the real reason."""

import pytest

from pathlib import Path

from flowdesk.bpmn import ModelError

DATA = Path(__file__).resolve().parents[1] / "data"



@pytest.fixture
def issues(parse):
    def refused(name: str, content: bytes | None = None) -> dict:
        with pytest.raises(ModelError) as raised:
            parse(name, content)
        return {issue.element_id: issue for issue in raised.value.issues}
    return refused


@pytest.mark.parametrize(("element_id", "line", "says"), [
    ("catch_without_message_wait", 7, "names no message"),
    ("catch_without_signal_wait", 14, "names no signal"),
    ("catch_nameless_message_wait", 21, "names no message"),
    ("message_end_without_message_end", 28, "names no message"),
])
def test_a_wait_nobody_can_trigger_or_a_throw_nobody_can_catch_is_refused(issues, element_id, line, says):
    issue = issues("untriggerable_waits.bpmn")[element_id]

    assert issue.line == line
    assert says in issue.message


def test_a_receive_task_without_a_message_waits_for_the_message_named_like_it(run_clocked):
    instance = run_clocked("receive_without_message.bpmn")

    assert [m.name for m in instance.execution.waiting_messages()] == ["receive_without_message_wait"]
    assert instance.deliver("receive_without_message_wait")
    assert instance.execution.reached_end_event


def test_a_feel_condition_runs(run):
    instance = run("feel_condition.bpmn", amount=1500)

    assert instance.execution.reached_end_event


def test_an_untranslatable_feel_condition_is_refused_naming_the_construct(issues):
    content = (DATA / "feel_condition.bpmn").read_bytes().replace(b"=amount &gt; 1000", b"=amount in [1000..2000]")
    issue = issues("feel_condition.bpmn", content)["fc2"]

    assert issue.line == 8
    assert "FEEL construct 'in' (ranges and list tests) is not supported" in issue.message


def test_an_inclusive_gateway_flow_without_condition_is_refused_as_inclusive(issues):
    issue = issues("clear_refusals.bpmn")["ic3"]

    assert issue.line == 10
    assert issue.message.startswith("inclusive gateway 'ic_split'")


def test_an_unresolved_data_output_association_is_named_by_its_reference(issues):
    issue = issues("clear_refusals.bpmn")["do_write"]

    assert issue.line == 16
    assert "targetRef 'no_such_data_object'" in issue.message and " at 0x" not in issue.message


def test_an_xml_comment_inside_a_script_does_not_cut_it_off(run_clocked):
    instance = run_clocked("script_with_comments.bpmn")

    assert {"a": 1, "b": 2, "c": 3, "d": 4}.items() <= instance.task("u").data.items()


def test_compensation_is_refused_naming_each_compensation_element(issues):
    refused = issues("compensation.bpmn")

    assert refused["bu_undo_booking"].line == 7
    assert "compensation is not supported" in refused["bu_undo_booking"].message
    assert {"bu_undo_booking", "bu_cancel_booking", "bu_undo"} <= set(refused)
