"""Dialects: who works a task, when it is due and what form it shows, as modelers write it.

camunda attributes (camunda_dialect.bpmn, ticket_progression.bpmn), lanes (lanes.bpmn) and
spiffworkflow extensions (spiff_dialect.bpmn) all end up in the same WaitingUserTask fields.
"""

from flowdesk.bpmn import ProcessSpec

CLAIM = {"requester": "alice", "team": "fraud, legal", "urgency": 80}


def test_camunda_literal_assignee_and_candidate_group(run):
    task = run("simple_user_task.bpmn").task("approve")

    assert task.assignee == "alice"
    assert task.candidate_groups == ["agents"]
    assert task.candidate_users == []


def test_camunda_assignee_expression_names_a_process_variable(run):
    assert run("camunda_dialect.bpmn", **CLAIM).task("assess").assignee == "alice"


def test_camunda_assignee_expression_on_an_unset_variable_assigns_nobody(run):
    assert run("camunda_dialect.bpmn").task("assess").assignee is None


def test_camunda_candidate_users_are_split_on_commas(run):
    assert run("camunda_dialect.bpmn", **CLAIM).task("assess").candidate_users == ["bob", "carol"]


def test_camunda_candidate_groups_mix_literals_and_a_variable_holding_a_list(run):
    assert run("camunda_dialect.bpmn", **CLAIM).task("assess").candidate_groups == ["claims", "fraud", "legal"]


def test_camunda_priority_is_an_integer(run):
    assert run("ticket_progression.bpmn").task("triage").priority == 50


def test_camunda_priority_expression_is_resolved_from_variables(run):
    assert run("camunda_dialect.bpmn", **CLAIM).task("assess").priority == 80


def test_camunda_priority_expression_on_an_unset_variable_is_no_priority(run):
    assert run("camunda_dialect.bpmn", requester="alice").task("assess").priority is None


def test_camunda_priority_that_is_not_a_number_is_no_priority(run):
    assert run("camunda_dialect.bpmn", urgency="high").task("assess").priority is None


def test_camunda_due_date_is_passed_on_as_written(run):
    assert run("camunda_dialect.bpmn", **CLAIM).task("assess").due_date == "P2D"


def test_camunda_form_key_and_form_fields(run):
    form = run("camunda_dialect.bpmn", **CLAIM).task("assess").form

    assert form["key"] == "claims:assess"
    assert [field["id"] for field in form["fields"]] == ["verdict", "note"]


def test_camunda_form_field_details(run):
    verdict, note = run("camunda_dialect.bpmn", **CLAIM).task("assess").form["fields"]

    assert verdict == {
        "id": "verdict", "label": "Verdict", "type": "enum", "default": "accept", "required": True,
        "options": [{"id": "accept", "label": "Accept"}, {"id": "refuse", "label": "Refuse"}],
    }
    assert note == {"id": "note", "label": "note", "type": "string", "default": None, "required": False}


def test_ticket_progression_triage_form_marks_category_required(run):
    fields = run("ticket_progression.bpmn").task("triage").form["fields"]

    assert {f["id"]: f["required"] for f in fields} == {"category": True, "amount": False}
    assert {f["id"]: f["type"] for f in fields} == {"category": "string", "amount": "long"}


def test_task_documentation_is_carried(run):
    task = run("ticket_progression.bpmn").task("triage")

    assert task.name == "Triage request"
    assert task.documentation == "Categorise the request and record the amount involved."


def test_task_without_form_has_no_form(run):
    assert run("simple_user_task.bpmn").task("approve").form is None


def test_camunda_manual_task_waits_for_a_person_too(run):
    instance = run("camunda_dialect.bpmn", **CLAIM)

    instance.complete("assess", verdict="accept")

    task = instance.task("file_papers")
    assert task.candidate_groups == ["archive"]
    assert task.priority == 7


def test_camunda_properties_are_kept_in_the_task_spec(parse):
    process = parse("camunda_dialect.bpmn")[0]
    spec = ProcessSpec.from_dict(process.process_id, process.spec_dict).spec

    assert spec.task_specs["assess"].extensions["ticket"]["properties"] == {"sla": "gold"}


def test_waiting_task_data_is_the_process_data(run):
    assert run("camunda_dialect.bpmn", **CLAIM).task("assess").data == CLAIM


def test_lane_name_becomes_the_candidate_group_of_a_task_naming_nobody(run):
    task = run("lanes.bpmn").task("quote")

    assert task.lane == "Sales"
    assert task.candidate_groups == ["Sales"]


def test_each_task_takes_the_candidate_group_of_its_own_lane(run):
    instance = run("lanes.bpmn")

    instance.complete("quote")

    assert instance.task("invoice").lane == "Finance"
    assert instance.task("invoice").candidate_groups == ["Finance"]


def test_task_naming_a_group_ignores_its_lane(run, bpmn):
    named = bpmn("lanes.bpmn").replace(
        b'<bpmn:userTask id="quote" name="Prepare quote">',
        b'<bpmn:userTask id="quote" name="Prepare quote" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
        b' camunda:candidateGroups="quoting">')

    task = run("lanes.bpmn", named).task("quote")

    assert task.lane == "Sales"
    assert task.candidate_groups == ["quoting"]


def test_task_outside_any_lane_has_no_lane(run):
    assert run("simple_user_task.bpmn").task("approve").lane is None


def test_spiff_property_candidate_groups(run):
    assert run("spiff_dialect.bpmn", price=3, quantity=4).task("check").candidate_groups == ["agents"]


def test_spiff_script_task_computes_total_before_the_user_task(run):
    task = run("spiff_dialect.bpmn", price=3, quantity=4).task("check")

    assert task.data == {"price": 3, "quantity": 4, "total": 12}


def test_spiff_instructions_are_kept_in_the_task_spec(parse):
    # WaitingUserTask has no field for instructions yet, so the parsed spec is as far as they get.
    process = parse("spiff_dialect.bpmn")[0]
    spec = ProcessSpec.from_dict(process.process_id, process.spec_dict).spec

    assert spec.task_specs["check"].extensions["ticket"]["instructions"] == "Check the total of {{total}}"
