"""Global event definitions and namespace-prefixed references resolve as the standard says."""

import pytest

from flowdesk.bpmn import ModelError


@pytest.mark.parametrize(("process_id", "after"), [("waits_by_ref", "wr_ship"), ("prefixed_refs", "pr_ship")])
def test_a_message_catch_event_waits_for_its_message(run_clocked, process_id, after):
    instance = run_clocked("global_definitions.bpmn", process_id=process_id)

    assert instance.waiting() == []
    assert [m.name for m in instance.execution.waiting_messages()] == ["order paid"]
    assert instance.deliver("order paid", {"paid": True})
    assert instance.waiting() == [after]


def test_an_event_definition_ref_to_nothing_is_refused_naming_the_event(parse, bpmn):
    content = bpmn("global_definitions.bpmn").replace(b"tns:paid_definition</", b"tns:no_such_definition</")

    with pytest.raises(ModelError) as refused:
        parse("global_definitions.bpmn", content)

    [issue] = refused.value.issues
    assert issue.element_id == "wr_paid"
    assert "no_such_definition" in issue.message and issue.line == 8
