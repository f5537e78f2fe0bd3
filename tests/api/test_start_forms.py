"""A start event's form (camunda:formData) is part of the deployed version, as a JSON schema."""

from pathlib import Path

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
