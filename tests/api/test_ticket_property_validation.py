"""Deploy-time checks of the work queue's settings on human tasks: 422 naming element and property."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"
PROBLEM = "application/problem+json"


@pytest.fixture
def upload(client, admin):
    def post(name: str):
        files = [((DATA / name).open("rb"), name)]
        return client.post("/api/v1/definitions", data={"file": files}, headers=admin,
                           content_type="multipart/form-data")
    return post


@pytest.fixture
def issues(upload):
    """The errors of deploying bad_ticket_properties.bpmn, by element id."""
    response = upload("bad_ticket_properties.bpmn")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert body["code"] == "invalid_model"
    return {error["element_id"]: error for error in body["errors"]}


@pytest.mark.parametrize("element, property_, value", [
    ("bad_ticket_properties", "property 'assignment'", "first_come"),  # on the process: all its tasks
    ("policy", "property 'assignment'", "fastest"),
    ("sla_duration", "property 'sla'", "P2X"),
    ("due_date_property", "property 'dueDate'", "2026-13-01T09:00:00Z"),
    ("sla_expression", "property 'sla'", "${urgent ? 'PT1H' :}"),
    ("camunda_due_date", "camunda:dueDate", "PT4"),
    ("approval_flag", "property 'approval'", "maybe"),
    ("approval_level", "property 'level'", "first"),
    ("camunda_priority", "camunda:priority", "high"),
    ("spiff_priority", "property 'priority'", "urgent"),
    ("case_fields", "property 'caseFields'", "3rd"),
])
def test_bad_setting_is_refused_naming_element_and_property(issues, element, property_, value):
    error = issues[element]
    assert error["message"].startswith(f"{property_} of ")
    assert f"'{element}'" in error["message"] and f"'{value}'" in error["message"]
    assert error["file"] == "bad_ticket_properties.bpmn" and error["line"] > 0


def test_every_bad_setting_is_reported_at_once(issues):
    assert len(issues) == 11


def test_refused_model_deploys_nothing(client, admin, upload):
    assert upload("bad_ticket_properties.bpmn").status_code == 422
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_unknown_policy_message_lists_the_policies(issues):
    assert "manual, least_loaded, round_robin" in issues["policy"]["message"]


def test_good_settings_in_every_form_deploy(upload):
    # ISO durations, a Camunda ternary, ${variable} priorities and due dates, approval levels, policies.
    for name in ("sla.bpmn", "camunda_dialect.bpmn", "assignment.bpmn", "inbox.bpmn"):
        response = upload(name)
        assert response.status_code == 201, response.get_json()
