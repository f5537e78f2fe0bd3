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
