"""A start event's form (camunda:formData) is part of the deployed version, as a JSON schema."""

from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"


def _latest(client, admin, key):
    response = client.get(f"/api/v1/definitions/{key}", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["versions"][0]


def test_the_start_form_is_given_as_a_schema_in_the_modelers_order(client, admin, deploy):
    deploy("start_form.bpmn")
    version = _latest(client, admin, "support_request")
    assert version["start_form_fields"] == ["subject", "urgency", "amount"]
    schema = version["start_form_schema"]
    assert set(schema["required"]) == {"subject", "urgency"}
    assert schema["properties"]["subject"]["title"] == "Subject"
    assert schema["properties"]["urgency"]["enum"] == ["low", "high"]
    assert schema["properties"]["amount"]["type"] == "integer"
    documented = client.get("/api/openapi.json").get_json()["components"]["schemas"]["DefinitionVersion"]
    assert {"start_form_schema", "start_form_fields"} <= set(documented["properties"])


def test_a_process_without_a_start_form_has_none(client, admin, deploy):
    deploy("two_step.bpmn")
    version = _latest(client, admin, "two_step")
    assert version["start_form_schema"] is None and version["start_form_fields"] == []


def test_a_changed_start_form_is_a_new_version(client, admin, deploy):
    deploy("start_form.bpmn")
    xml = (DATA / "start_form.bpmn").read_text().replace('label="Amount"', 'label="Amount (EUR)"')
    response = client.post("/api/v1/definitions?filename=start_form.bpmn", data=xml.encode(),
                           content_type="application/xml", headers=admin)
    assert response.status_code == 201, response.get_json()
    version = _latest(client, admin, "support_request")
    assert version["version"] == 2
    assert version["start_form_schema"]["properties"]["amount"]["title"] == "Amount (EUR)"


def _instances_of(client, admin, key):
    return client.get(f"/api/v1/instances?process_key={key}&count=true", headers=admin).get_json()["total"]


@pytest.mark.parametrize("variables, fields", [
    ({"urgency": "low"}, {"subject"}),  # a required field missing
    ({"subject": "Printer", "urgency": "soon"}, {"urgency"}),  # not one of the options
    ({"subject": "Printer", "urgency": "low", "amount": "ten"}, {"amount"}),  # not a whole number
])
def test_a_start_that_breaks_the_start_form_is_refused_and_starts_nothing(client, admin, deploy, documented,
                                                                        variables, fields):
    deploy("start_form.bpmn")
    response = client.post("/api/v1/processes/support_request/instances", json={"variables": variables},
                           headers=admin)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = documented("Problem", response.get_json())
    assert body["detail"] == "the form data does not match the process's start form"
    assert set(body["errors"]) == fields
    assert _instances_of(client, admin, "support_request") == 0


def test_a_start_that_fits_the_start_form_is_accepted(client, admin, deploy, start):
    deploy("start_form.bpmn")
    started = start("support_request", {"subject": "Printer", "urgency": "high", "amount": 3})
    assert started["variables"] == {"subject": "Printer", "urgency": "high", "amount": 3}


def test_more_variables_than_the_form_asks_for_may_come_along(client, admin, deploy, start):
    """As the start page's "more variables" sends them; a requester's request takes the form's fields only."""
    deploy("start_form.bpmn")
    started = start("support_request", {"subject": "Printer", "urgency": "low", "channel": "phone"})
    assert started["variables"]["channel"] == "phone"


def test_a_process_without_a_start_form_takes_any_variables(client, admin, deploy, start):
    deploy("two_step.bpmn")
    assert start("two_step", {"anything": {"at": "all"}})["variables"]["anything"] == {"at": "all"}


def test_the_camunda_start_checks_the_start_form_after_converting_typed_variables(client, admin, deploy):
    deploy("start_form.bpmn")
    path = "/engine-rest/process-definition/key/support_request/start"
    wrong = client.post(path, json={"variables": {"subject": {"value": "Printer", "type": "String"},
                                                  "urgency": {"value": "low", "type": "String"},
                                                  "amount": {"value": "7", "type": "String"}}}, headers=admin)
    assert wrong.status_code == 400, wrong.get_json()
    assert "start form" in wrong.get_json()["message"]
    assert _instances_of(client, admin, "support_request") == 0
    right = client.post(path, json={"variables": {"subject": {"value": "Printer", "type": "String"},
                                                  "urgency": {"value": "low", "type": "String"},
                                                  "amount": {"value": "7", "type": "Long"}}}, headers=admin)
    assert right.status_code == 200, right.get_json()
    assert _instances_of(client, admin, "support_request") == 1
