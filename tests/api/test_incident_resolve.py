"""POST /incidents/<id>/resolve: an operator closes an incident without retrying what failed."""

import pytest

FETCH = {"worker_id": "w1", "max_tasks": 1, "topics": [{"topic_name": "payments", "lock_duration": 60_000}]}


@pytest.fixture
def worker(make_user):
    return make_user("payments-worker", "system")


@pytest.fixture
def incident(client, admin, worker, deploy, start):
    """An open incident: the invoice's external task failed with no retries left."""
    deploy("external_invoice.bpmn")
    instance = start("external_invoice", {"amount": 120})
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json=FETCH).get_json()
    client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                json={"worker_id": "w1", "error_message": "card expired", "retries": 0})
    [found] = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["incidents"]
    return found


def _resolve(client, headers, incident_id, **body):
    return client.post(f"/api/v1/incidents/{incident_id}/resolve", json=body, headers=headers)


def test_resolving_closes_the_incident(client, admin, incident, documented):
    response = _resolve(client, admin, incident["id"], note="charged by phone")
    assert response.status_code == 200, response.get_json()
    body = documented("Incident", response.get_json())
    assert (body["status"], body["resolved_by"]) == ("resolved", "admin")
    assert body["resolved_at"] is not None
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=admin).get_json()["status"] == "resolved"


def test_resolving_leaves_the_instance_where_it_stopped_and_runs_nothing_again(client, admin, worker, incident):
    _resolve(client, admin, incident["id"])
    instance = client.get(f"/api/v1/instances/{incident['instance_id']}", headers=admin).get_json()
    assert instance["status"] == "running" and instance["incidents"] == []
    assert incident["element_id"] not in [element["element_id"] for element in instance["history"]]
    assert client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json=FETCH).get_json() == []


def test_resolving_is_in_the_audit_log_with_its_note(client, admin, incident):
    _resolve(client, admin, incident["id"], note="charged by phone")
    [entry] = client.get("/api/v1/audit-log?action=incident.resolved", headers=admin).get_json()["items"]
    assert (entry["actor"], entry["target"]) == ("admin", incident["id"])
    assert entry["detail"] == {"instance_id": incident["instance_id"], "note": "charged by phone"}


def test_a_body_is_optional(client, admin, incident):
    response = client.post(f"/api/v1/incidents/{incident['id']}/resolve", headers=admin)
    assert response.status_code == 200, response.get_json()


def test_a_resolved_incident_cannot_be_resolved_or_retried_again(client, admin, incident):
    _resolve(client, admin, incident["id"])
    again = _resolve(client, admin, incident["id"])
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin).status_code == 409


def test_an_agent_may_not_resolve(client, make_user, admin, incident):
    response = _resolve(client, make_user("alice", "agent"), incident["id"])
    assert response.status_code == 403
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=admin).get_json()["status"] == "open"


def test_an_unknown_incident_is_404(client, admin):
    assert _resolve(client, admin, "no-such-incident").status_code == 404
