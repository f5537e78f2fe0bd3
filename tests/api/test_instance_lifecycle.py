"""Cancelling, suspending and resuming instances."""

import pytest


@pytest.fixture
def instance(deploy, start):
    deploy("two_step.bpmn")
    return start("two_step")


def _post(client, headers, instance_id, action, json=None):
    return client.post(f"/api/v1/instances/{instance_id}/{action}", json=json or {}, headers=headers)


def test_cancel_closes_tickets(client, admin, instance):
    response = _post(client, admin, instance["id"], "cancel", {"reason": "duplicate request"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled"
    assert body["open_tickets"] == []
    ticket = client.get(f"/api/v1/tickets/{instance['open_tickets'][0]['id']}", headers=admin).get_json()
    assert ticket["status"] == "cancelled"


def test_cancelled_instance_cannot_be_cancelled_again(client, admin, instance):
    _post(client, admin, instance["id"], "cancel")
    assert _post(client, admin, instance["id"], "cancel").status_code == 409


def test_suspended_instance_refuses_ticket_work(client, admin, instance):
    assert _post(client, admin, instance["id"], "suspend").get_json()["status"] == "suspended"
    ticket_id = instance["open_tickets"][0]["id"]
    response = client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": {"skip": True}}, headers=admin)
    assert response.status_code == 409
    assert response.get_json()["instance_status"] == "suspended"


def test_resume_lets_work_continue(client, admin, instance):
    _post(client, admin, instance["id"], "suspend")
    assert _post(client, admin, instance["id"], "resume").get_json()["status"] == "running"
    ticket_id = instance["open_tickets"][0]["id"]
    assert client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": {"skip": True}},
                       headers=admin).status_code == 200


def test_resume_of_running_instance_is_409(client, admin, instance):
    assert _post(client, admin, instance["id"], "resume").status_code == 409


def test_suspended_instance_can_be_cancelled(client, admin, instance):
    _post(client, admin, instance["id"], "suspend")
    assert _post(client, admin, instance["id"], "cancel").get_json()["status"] == "cancelled"


def test_agents_cannot_cancel(client, make_user, instance):
    agent = make_user("ann", "agent", "agents")
    assert _post(client, agent, instance["id"], "cancel").status_code == 403


def test_unknown_instance_is_404(client, admin):
    assert _post(client, admin, "nope", "suspend").status_code == 404
