"""Completion data is checked against the task's form on the server."""

import io
import json
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"


def _complete(client, headers, ticket_id, data):
    return client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": data}, headers=headers)


def test_missing_required_camunda_field_is_422(client, admin, deploy, start):
    deploy("ticket_progression.bpmn")
    ticket = start("ticket_progression")["open_tickets"][0]
    response = _complete(client, admin, ticket["id"], {"amount": 10})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"category": ["is required"]}
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()["status"] == "open"


def test_wrong_type_for_long_field_is_422(client, admin, deploy, start):
    deploy("ticket_progression.bpmn")
    ticket = start("ticket_progression")["open_tickets"][0]
    response = _complete(client, admin, ticket["id"], {"category": "x", "amount": "lots"})
    assert response.status_code == 422
    assert "amount" in response.get_json()["errors"]


def test_ticket_shows_form_schema(client, admin, deploy, start):
    deploy("ticket_progression.bpmn")
    ticket = start("ticket_progression")["open_tickets"][0]
    schema = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()["form_schema"]
    assert schema["required"] == ["category"]
    assert schema["properties"]["amount"] == {"type": "integer", "title": "Amount"}


def test_json_schema_deployed_with_model(client, admin, deploy, start):
    body = deploy("refund.bpmn", "refund_form.json")
    assert sorted((d["kind"], d["key"]) for d in body) == [("form", "refund_form.json"), ("process", "refund")]
    ticket = start("refund")["open_tickets"][0]
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()
    assert detail["form_schema"] == json.loads((DATA / "refund_form.json").read_text())
    bad = _complete(client, admin, ticket["id"], {"decision": "maybe", "amount": -1})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"decision", "amount"}
    assert _complete(client, admin, ticket["id"], {"decision": "refund", "amount": 12.5}).status_code == 200


def test_invalid_json_schema_is_422(client, admin):
    upload = {"file": [(io.BytesIO(b'{"type": 5}'), "broken.json")]}
    response = client.post("/api/v1/definitions", data=upload, headers=admin, content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["file"] == "broken.json"


def test_form_fields_name_the_fields_in_the_modelers_order(client, admin, deploy, start):
    """JSON answers sort object keys, so the order the modeler wrote comes as a list."""
    deploy("refund.bpmn", "refund_form.json", "triage_form.bpmn")
    from_file = start("refund")["open_tickets"][0]
    from_fields = start("triage_form")["open_tickets"][0]
    assert client.get(f"/api/v1/tickets/{from_file['id']}", headers=admin).get_json()["form_fields"] == [
        "decision", "amount"]
    assert client.get(f"/api/v1/tickets/{from_fields['id']}", headers=admin).get_json()["form_fields"] == [
        "subject", "category", "amount"]


SPIFFARENA_MODEL = ("corpus/user-guide-basics.bpmn", "corpus/norris_score.dmn")
SPIFFARENA_FORMS = ("norris-schema.json", "norris-uischema.json")


def _upload(client, admin, *names):
    files = [((DATA / name).open("rb"), Path(name).name) for name in names]
    return client.post("/api/v1/definitions", data={"file": files}, headers=admin, content_type="multipart/form-data")


def _spiffarena_ticket(client, admin, deploy, start):
    """The questions' ticket, after the model's introduction (a manual task without a form)."""
    deploy(*SPIFFARENA_MODEL, *SPIFFARENA_FORMS)
    intro = start("Proccess_general22")["open_tickets"][0]
    assert _complete(client, admin, intro["id"], {}).status_code == 200
    instance = client.get(f"/api/v1/tickets/{intro['id']}", headers=admin).get_json()["instance_id"]
    tickets = client.get(f"/api/v1/instances/{instance}", headers=admin).get_json()["open_tickets"]
    return client.get(f"/api/v1/tickets/{tickets[0]['id']}", headers=admin).get_json()


def test_spiffarena_property_form_reaches_the_ticket(client, admin, deploy, start):
    detail = _spiffarena_ticket(client, admin, deploy, start)
    assert detail["element_id"] == "Activity_Display_Questions"
    assert detail["form_schema"] == json.loads((DATA / "norris-schema.json").read_text())


def test_spiffarena_property_form_refuses_invalid_completion(client, admin, deploy, start):
    detail = _spiffarena_ticket(client, admin, deploy, start)
    response = _complete(client, admin, detail["id"], {"bulletproof": "very"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"bulletproof", "thanos", "pushups"}
    assert client.get(f"/api/v1/tickets/{detail['id']}", headers=admin).get_json()["status"] == "open"


def test_spiffarena_property_form_accepts_valid_completion(client, admin, deploy, start):
    detail = _spiffarena_ticket(client, admin, deploy, start)
    response = _complete(client, admin, detail["id"], {"bulletproof": True, "thanos": False, "pushups": True})
    assert response.status_code == 200
    assert client.get(f"/api/v1/tickets/{detail['id']}", headers=admin).get_json()["status"] == "completed"


def test_model_without_its_property_form_file_is_refused(client, admin):
    response = _upload(client, admin, *SPIFFARENA_MODEL, "norris-uischema.json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{
        "file": "user-guide-basics.bpmn", "line": 10, "element_id": "Activity_Display_Questions",
        "message": "the task's form file 'norris-schema.json' is not in this upload: deploy it with the model"}]
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_model_without_its_ui_schema_file_is_refused(client, admin):
    response = _upload(client, admin, *SPIFFARENA_MODEL, "norris-schema.json")
    assert response.status_code == 422
    assert [(e["line"], e["element_id"]) for e in response.get_json()["errors"]] == [
        (11, "Activity_Display_Questions")]
    assert "norris-uischema.json" in response.get_json()["errors"][0]["message"]


def test_model_without_its_element_form_file_is_refused(client, admin):
    response = _upload(client, admin, "refund.bpmn")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["element_id"] == "decide"
    assert "refund_form.json" in response.get_json()["errors"][0]["message"]


def test_ui_schema_reaches_the_ticket(client, admin, deploy, start):
    detail = _spiffarena_ticket(client, admin, deploy, start)
    assert detail["form_ui_schema"] == json.loads((DATA / "norris-uischema.json").read_text())


def test_ui_order_decides_the_field_order(client, admin, deploy, start):
    """"*" stands for the fields ui:order does not name, in the modeler's order."""
    detail = _spiffarena_ticket(client, admin, deploy, start)
    assert detail["form_fields"] == ["pushups", "bulletproof", "thanos", "email"]


def test_form_without_ui_schema_has_none(client, admin, deploy, start):
    deploy("refund.bpmn", "refund_form.json")
    ticket = start("refund")["open_tickets"][0]
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()["form_ui_schema"] is None


def test_email_format_is_checked(client, admin, deploy, start):
    detail = _spiffarena_ticket(client, admin, deploy, start)
    answers = {"bulletproof": True, "thanos": False, "pushups": True}
    response = _complete(client, admin, detail["id"], {**answers, "email": "not-an-email"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["email"]
    assert _complete(client, admin, detail["id"], {**answers, "email": "chuck@example.com"}).status_code == 200


def test_dry_run_refuses_a_model_without_its_form_file_as_deploy_does(client, admin):
    files = [((DATA / name).open("rb"), Path(name).name) for name in SPIFFARENA_MODEL]
    response = client.post("/api/v1/definitions?dry_run=true", data={"file": files}, headers=admin,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert {e["line"] for e in response.get_json()["errors"]} == {10, 11}
