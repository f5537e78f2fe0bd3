"""External tasks: workers outside flowdesk fetch and lock by topic, complete, fail, raise errors."""

import pytest


@pytest.fixture
def worker(make_user):
    return make_user("payments-worker", "system")


@pytest.fixture
def invoice(deploy, start):
    deploy("external_invoice.bpmn")
    return start("external_invoice", {"amount": 120})


def _fetch(client, headers, worker_id="w1", topic="payments", lock=60_000, max_tasks=10):
    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=headers, json={
        "worker_id": worker_id, "max_tasks": max_tasks, "topics": [{"topic_name": topic, "lock_duration": lock}]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _post(client, headers, task_id, action, **body):
    return client.post(f"/api/v1/external-tasks/{task_id}/{action}", json=body, headers=headers)


def test_fetch_locks_task_with_variables(client, worker, invoice):
    [task] = _fetch(client, worker)
    assert task["topic_name"] == "payments"
    assert task["activity_id"] == "charge"
    assert task["process_instance_id"] == invoice["id"]
    assert task["variables"] == {"amount": 120}
    assert _fetch(client, worker, worker_id="w2") == []


def test_complete_moves_instance_on(client, admin, worker, invoice):
    [task] = _fetch(client, worker)
    response = _post(client, worker, task["id"], "complete", worker_id="w1", variables={"charge_id": "ch_1"})
    assert response.status_code == 200
    instance = client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()
    assert instance["status"] == "completed"
    assert instance["variables"]["charge_id"] == "ch_1"


def test_other_worker_cannot_complete(client, worker, invoice):
    [task] = _fetch(client, worker)
    assert _post(client, worker, task["id"], "complete", worker_id="intruder").status_code == 409


def test_expired_lock_is_fetched_again(client, worker, invoice, runtime):
    from datetime import timedelta

    [task] = _fetch(client, worker, lock=1_000)
    real = runtime.clock
    runtime.clock = lambda: real() + timedelta(seconds=5)
    [again] = _fetch(client, worker, worker_id="w2")
    assert again["id"] == task["id"]
    assert _post(client, worker, task["id"], "complete", worker_id="w1").status_code == 409
    assert _post(client, worker, task["id"], "complete", worker_id="w2").status_code == 200


def test_failure_with_retries_makes_it_fetchable_again(client, worker, invoice):
    [task] = _fetch(client, worker)
    response = _post(client, worker, task["id"], "failure", worker_id="w1", error_message="gateway down", retries=2)
    assert response.get_json()["status"] == "available"
    [again] = _fetch(client, worker)
    assert again["retries"] == 2
    assert again["error_message"] == "gateway down"


def test_failure_without_retries_opens_incident_and_retry_reopens(client, admin, worker, invoice):
    [task] = _fetch(client, worker)
    _post(client, worker, task["id"], "failure", worker_id="w1", error_message="card expired", retries=0)
    [incident] = client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()["incidents"]
    assert "card expired" in incident["message"]
    assert _fetch(client, worker) == []

    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin).status_code == 200
    [again] = _fetch(client, worker)
    assert again["id"] == task["id"]


def test_bpmn_error_is_caught_by_boundary_event(client, admin, worker, invoice):
    [task] = _fetch(client, worker)
    response = _post(client, worker, task["id"], "bpmn-error", worker_id="w1", error_code="payment_declined")
    assert response.status_code == 200
    instance = client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()
    assert [t["element_id"] for t in instance["open_tickets"]] == ["call_customer"]


def test_uncaught_bpmn_error_is_409_and_changes_nothing(client, admin, worker, invoice):
    [task] = _fetch(client, worker)
    assert _post(client, worker, task["id"], "bpmn-error", worker_id="w1", error_code="nobody_catches").status_code == 409
    assert _post(client, worker, task["id"], "complete", worker_id="w1").status_code == 200


def test_extend_lock(client, worker, invoice):
    [task] = _fetch(client, worker, lock=1_000)
    response = _post(client, worker, task["id"], "extend-lock", worker_id="w1", new_duration=600_000)
    assert response.status_code == 200
    assert response.get_json()["lock_expiration_time"] > task["lock_expiration_time"]


def test_agents_cannot_fetch(client, make_user, invoice):
    agent = make_user("ann", "agent", "billing")
    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=agent, json={
        "worker_id": "w", "topics": [{"topic_name": "payments", "lock_duration": 1000}]})
    assert response.status_code == 403


def test_bad_lock_duration_is_422(client, worker, invoice):
    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w", "topics": [{"topic_name": "payments", "lock_duration": -5}]})
    assert response.status_code == 422


def test_unknown_external_task_is_404(client, worker):
    assert _post(client, worker, "nope", "complete", worker_id="w1").status_code == 404


def _waiting(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()["external_tasks"]


def test_the_instance_shows_its_waiting_external_task(client, admin, invoice):
    [task] = _waiting(client, admin, invoice["id"])
    assert (task["element_id"], task["topic"], task["status"], task["worker_id"]) == ("charge", "payments",
                                                                                     "available", None)


def test_the_instance_shows_which_worker_holds_its_external_task(client, admin, worker, invoice):
    [fetched] = _fetch(client, worker)
    [task] = _waiting(client, admin, invoice["id"])
    assert (task["id"], task["status"], task["worker_id"]) == (fetched["id"], "locked", "w1")
    assert task["lock_expires_at"] is not None


def test_a_completed_external_task_no_longer_shows_as_waiting(client, admin, worker, invoice):
    [task] = _fetch(client, worker)
    assert _post(client, worker, task["id"], "complete", worker_id="w1").status_code == 200
    assert _waiting(client, admin, invoice["id"]) == []
