"""Business rule tasks with DMN decision tables uploaded in the same call, in both dialects."""

import pytest

from flowdesk.bpmn import ModelError


def test_a_camunda_decision_ref_runs_its_unique_table(run_clocked):
    instance = run_clocked("decisions.bpmn", also=("discounts.dmn",), amount=50, member=True)

    assert instance.task("quote").data["band"] == "small"


def test_a_unique_table_picks_the_one_matching_rule(run_clocked):
    instance = run_clocked("decisions.bpmn", also=("discounts.dmn",), amount=5000, member=True)

    assert instance.task("quote").data["band"] == "large"


def test_a_collect_table_merges_every_matching_output_as_a_list(run_clocked):
    instance = run_clocked("decisions.bpmn", also=("discounts.dmn",), amount=5000, member=False)

    assert instance.task("quote").data["discount"] == ["bulk", "welcome"]


def test_a_camunda_result_variable_collects_entries(run_clocked):
    instance = run_clocked("decisions.bpmn", also=("discounts.dmn",), amount=5000, member=True)

    assert instance.task("quote").data["discount_names"] == ["member", "bulk"]


def test_a_camunda_single_entry_result_is_the_value(run_clocked):
    instance = run_clocked("decisions.bpmn", also=("discounts.dmn",), amount=50, member=True)

    assert instance.task("quote").data["band_name"] == "small"


def test_every_decision_of_a_dmn_file_can_be_called(parse_files):
    # SpiffWorkflow registers only a file's first decision; discounts.dmn has two.
    [process] = parse_files("decisions.bpmn", "discounts.dmn")

    assert process.process_id == "pricing"


def test_a_corpus_camunda_decision_ref_with_result_variable_runs(run_clocked):
    instance = run_clocked("BusinessRuleTaskVersionTagTest.bpmn20.xml",
                           also=("BusinessRuleTaskVersionTagTest.testDecisionVersionTagOkay.dmn11.xml",))

    assert instance.execution.reached_end_event
    assert instance.execution.variables["result"] == "okay"


def test_a_corpus_spiff_called_decision_runs_its_table(run_clocked):
    instance = run_clocked("user-guide-basics.bpmn", also=("norris_score.dmn",))
    instance.complete("Activity_intro")

    instance.complete("Activity_Display_Questions", pushups=True, thanos=False, bulletproof=True)

    assert instance.execution.variables["score_message"] == "Pefect! You answered it all correctly."


def test_a_decision_missing_from_the_upload_is_refused_naming_the_task(parse_files):
    with pytest.raises(ModelError) as raised:
        parse_files("decisions.bpmn")

    assert any(issue.element_id == "band" for issue in raised.value.issues)


def test_a_business_rule_task_without_a_decision_is_refused(parse, bpmn):
    content = bpmn("decisions.bpmn").replace(b' camunda:decisionRef="price_band" />', b" />", 1)

    with pytest.raises(ModelError) as raised:
        parse("decisions.bpmn", content)

    assert "calledDecisionId or camunda:decisionRef" in str(raised.value)
