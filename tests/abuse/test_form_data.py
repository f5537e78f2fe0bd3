"""Item 7 of the security review: completion data is limited to the task's form, so an agent
cannot set variables the form does not offer and steer later gateways."""

import pytest


@pytest.fixture
def request_ticket(deploy, start, make_user):
    deploy("form_gate.bpmn")
    instance = start("form_gate")
    [ticket] = instance["open_tickets"]
    return {"instance": instance["id"], "ticket": ticket["id"], "agent": make_user("ann", "agent", "agents")}


def _complete(client, headers, ticket_id, data):
    return client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": data}, headers=headers)


def test_a_field_the_form_does_not_offer_is_422_and_changes_nothing(client, admin, request_ticket):
    response = _complete(client, request_ticket["agent"], request_ticket["ticket"],
                         {"reason": "urgent", "approved": True})
    assert response.status_code == 422
    assert "approved" in str(response.get_json())
    instance = client.get(f"/api/v1/instances/{request_ticket['instance']}", headers=admin).get_json()
    assert [t["element_id"] for t in instance["open_tickets"]] == ["request"]
    assert "approved" not in instance["variables"]


def test_a_sandbox_helper_cannot_be_shadowed_through_a_form(client, request_ticket):
    response = _complete(client, request_ticket["agent"], request_ticket["ticket"], {"datetime": "x"})
    assert response.status_code == 422


def test_the_forms_own_fields_are_accepted(client, request_ticket):
    response = _complete(client, request_ticket["agent"], request_ticket["ticket"], {"reason": "urgent"})
    assert response.status_code == 200
    assert [t["element_id"] for t in response.get_json()["open_tickets"]] == ["notes"]


def test_a_task_that_opts_out_takes_free_data(client, request_ticket):
    _complete(client, request_ticket["agent"], request_ticket["ticket"], {"reason": "urgent"})
    notes = client.get("/api/v1/tickets?status=open", headers=request_ticket["agent"]).get_json()
    notes_id = next(t["id"] for t in notes["items"] if t["element_id"] == "notes")
    response = _complete(client, request_ticket["agent"], notes_id, {"note": "n", "approved": True})
    assert response.status_code == 200
    assert [t["element_id"] for t in response.get_json()["open_tickets"]] == ["fast_track"]
