"""Rewriting uploaded trees before SpiffWorkflow parses them: timer values and link events."""

import pytest
from lxml import etree

from flowdesk.bpmn import ModelError
from flowdesk.bpmn.preprocess import normalise_timers, resolve_links
from flowdesk.bpmn.xml import BPMN_NS

NS = {"bpmn": BPMN_NS}


def tree(body: str):
    return etree.fromstring(
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="d" targetNamespace="t">{body}</bpmn:definitions>')


def timer_text(kind: str, text: str) -> str:
    root = tree(f"<bpmn:process id='p'><bpmn:intermediateCatchEvent id='t'><bpmn:timerEventDefinition>"
                f"<bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
                "</bpmn:process>")
    normalise_timers(root)
    return root.find(f".//bpmn:{kind}", NS).text


@pytest.mark.parametrize("kind, bare", [
    ("timeDuration", "PT5M"),
    ("timeDuration", "P1DT12H"),
    ("timeDate", "2026-12-01T10:00:00Z"),
    ("timeDate", "2026-12-01"),
    ("timeDate", "2026-12-01T10:00:00+02:00"),
    ("timeCycle", "R3/PT10M"),
    ("timeCycle", "R/2026-01-01T00:00:00Z/P1D"),
    ("timeCycle", "0 0 9 * * ?"),
    ("timeCycle", "*/5 * * * *"),
])
def test_bare_timer_values_become_string_literals(kind, bare):
    assert timer_text(kind, bare) == f'"{bare}"'


@pytest.mark.parametrize("kind, expression", [
    ("timeDuration", '"PT" + str(days) + "D"'),
    ("timeDuration", "reminder_delay"),
    ("timeDuration", '"PT5M"'),
    ("timeDate", "'2026-12-01T10:00:00Z'"),
    ("timeCycle", "cycle if urgent else other_cycle"),
])
def test_expressions_and_quoted_values_are_left_alone(kind, expression):
    assert timer_text(kind, expression) == expression


def test_a_camunda_variable_reference_becomes_the_variable():
    assert timer_text("timeDate", "${follow_up}") == "follow_up"


def test_normalising_twice_changes_nothing_more():
    root = tree("<bpmn:process id='p'><bpmn:intermediateCatchEvent id='t'><bpmn:timerEventDefinition>"
                "<bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition>"
                "</bpmn:intermediateCatchEvent></bpmn:process>")
    normalise_timers(root)
    once = etree.tostring(root)

    normalise_timers(root)

    assert etree.tostring(root) == once


LINKS = """
<bpmn:process id="p">
  <bpmn:startEvent id="s" />
  <bpmn:intermediateThrowEvent id="to_b"><bpmn:linkEventDefinition name="B" /></bpmn:intermediateThrowEvent>
  <bpmn:intermediateCatchEvent id="from_a"><bpmn:linkEventDefinition name="B" /></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="e" />
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="to_b" />
  <bpmn:sequenceFlow id="f2" sourceRef="from_a" targetRef="e" />
</bpmn:process>
"""


def test_a_link_throw_gets_a_flow_to_the_catch_with_its_name():
    root = tree(LINKS)

    assert resolve_links(root) == []

    [flow] = root.xpath("//bpmn:sequenceFlow[@sourceRef='to_b']", namespaces=NS)
    assert flow.get("targetRef") == "from_a"
    assert flow.get("id")


def test_resolved_link_events_become_plain_intermediate_events():
    root = tree(LINKS)

    resolve_links(root)

    assert root.xpath("//bpmn:linkEventDefinition", namespaces=NS) == []


def test_resolving_links_twice_adds_no_second_flow():
    root = tree(LINKS)
    resolve_links(root)

    assert resolve_links(root) == []
    assert len(root.xpath("//bpmn:sequenceFlow[@sourceRef='to_b']", namespaces=NS)) == 1


def test_a_link_throw_without_a_catch_is_a_problem_naming_it():
    root = tree(LINKS.replace('<bpmn:linkEventDefinition name="B" /></bpmn:intermediateCatchEvent>',
                              '<bpmn:linkEventDefinition name="C" /></bpmn:intermediateCatchEvent>'))

    [problem] = resolve_links(root)

    assert "to_b" in problem and "'B'" in problem


def test_a_link_catch_in_another_subprocess_does_not_match():
    root = tree("""
<bpmn:process id="p">
  <bpmn:intermediateThrowEvent id="to_b"><bpmn:linkEventDefinition name="B" /></bpmn:intermediateThrowEvent>
  <bpmn:subProcess id="sub">
    <bpmn:intermediateCatchEvent id="from_a"><bpmn:linkEventDefinition name="B" /></bpmn:intermediateCatchEvent>
  </bpmn:subProcess>
</bpmn:process>""")

    [problem] = resolve_links(root)

    assert "to_b" in problem


def test_two_link_catches_with_one_name_are_a_problem():
    root = tree(LINKS.replace('<bpmn:endEvent id="e" />', '<bpmn:endEvent id="e" /><bpmn:intermediateCatchEvent '
                              'id="again"><bpmn:linkEventDefinition name="B" /></bpmn:intermediateCatchEvent>'))

    [problem] = resolve_links(root)

    assert "again" in problem


def test_a_corpus_process_with_links_runs_through_them_to_its_end(run_clocked):
    instance = run_clocked("LinkEventTest.testValidEventLink.bpmn20.xml")

    # Its receive tasks name no message: each waits for the message named like it.
    for receive_task in ("waitAfterLink1", "waitAfterLink2"):
        assert [m.name for m in instance.execution.waiting_messages()] == [receive_task]
        assert instance.deliver(receive_task)

    assert instance.execution.reached_end_event
    assert {"IntermediateCatchEvent_1", "IntermediateCatchEvent_2", "EndEvent_1"} <= instance.completed_elements()


def test_an_upload_with_a_dangling_link_throw_is_refused_naming_it(parse, bpmn):
    content = bpmn("LinkEventTest.testValidEventLink.bpmn20.xml").replace(
        b'<linkEventDefinition name="B" />\n    </intermediateCatchEvent>',
        b'<linkEventDefinition name="C" />\n    </intermediateCatchEvent>')

    with pytest.raises(ModelError) as raised:
        parse("links.bpmn", content)

    [issue] = raised.value.issues
    assert issue.element_id == "IntermediateThrowEvent_2"
    assert issue.line is not None
