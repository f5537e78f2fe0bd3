"""Item 2 of the security review: a process allow-list holds at every entry point, and external-task
workers are limited to their topics.

``crm`` is a system user allowed only ``allowed_proc``; every process used here is another one.
"""

import pytest

from flowdesk.engine.process import scheduler


@pytest.fixture
def crm(make_user):
    return make_user("crm", "system", process_keys=["allowed_proc"])


def _instances(client, admin, process_key):
    return client.get(f"/api/v1/instances?process_key={process_key}", headers=admin).get_json()["items"]


def _status(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()["status"]


def test_a_message_start_event_of_another_process_is_out_of_reach(client, admin, deploy, crm):
    deploy("messages.bpmn")
    response = client.post("/api/v1/messages", json={"name": "new_order"}, headers=crm)
    assert response.status_code == 404
    assert _instances(client, admin, "new_order") == []


def test_a_signal_start_event_of_another_process_is_out_of_reach(client, admin, deploy, crm):
    deploy("signal_start.bpmn")
    response = client.post("/api/v1/signals", json={"name": "launch"}, headers=crm)
    assert response.status_code == 200
    assert response.get_json()["started"] == []
    assert _instances(client, admin, "launched_by_signal") == []


def test_a_message_does_not_reach_a_waiting_instance_of_another_process(client, admin, deploy, start, crm):
    deploy("messages.bpmn")
    waiting = start("order", {"order_id": "A-1"})
    response = client.post("/api/v1/messages", json={"name": "payment_received"}, headers=crm)
    assert response.status_code == 404
    history = client.get(f"/api/v1/instances/{waiting['id']}", headers=admin).get_json()["history"]
    assert "wait_payment" not in history


def test_a_buffered_message_later_reaches_only_allowed_processes(client, admin, deploy, start, runtime, crm):
    deploy("messages.bpmn")
    response = client.post("/api/v1/messages", json={"name": "payment_received", "buffer_ttl": 600}, headers=crm)
    assert response.status_code == 202
    waiting = start("order", {"order_id": "A-1"})
    scheduler.route_messages(runtime)
    history = client.get(f"/api/v1/instances/{waiting['id']}", headers=admin).get_json()["history"]
    assert "wait_payment" not in history


def test_a_buffered_message_is_not_routed_to_a_waiting_instance_of_another_process(client, admin, deploy, start,
                                                                                  runtime, crm):
    deploy("waiting_events.bpmn")
    response = client.post("/api/v1/messages", json={"name": "payment_received", "business_key": "ORDER-9",
                                                     "buffer_ttl": 600}, headers=crm)
    assert response.status_code == 202
    waiting = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    detail = client.get(f"/api/v1/instances/{waiting['id']}", headers=admin).get_json()
    assert detail["open_tickets"] == []



@pytest.mark.parametrize("action", ["cancel", "suspend"])
def test_lifecycle_commands_on_another_process_are_403(client, admin, deploy, start, crm, action):
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    response = client.post(f"/api/v1/instances/{instance['id']}/{action}", json={}, headers=crm)
    assert response.status_code == 403
    assert _status(client, admin, instance["id"]) == "running"


def test_resuming_another_process_is_403(client, admin, deploy, start, crm):
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    assert client.post(f"/api/v1/instances/{instance['id']}/suspend", json={}, headers=admin).status_code == 200
    response = client.post(f"/api/v1/instances/{instance['id']}/resume", json={}, headers=crm)
    assert response.status_code == 403
    assert _status(client, admin, instance["id"]) == "suspended"


def test_instances_of_another_process_are_not_listed_or_read(client, deploy, start, crm):
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    assert client.get("/api/v1/instances", headers=crm).get_json()["items"] == []
    assert client.get(f"/api/v1/instances/{instance['id']}", headers=crm).status_code == 404


def _fetch(client, headers, topic="payments", worker_id="w1"):
    return client.post("/api/v1/external-tasks/fetch-and-lock", headers=headers, json={
        "worker_id": worker_id, "max_tasks": 5, "topics": [{"topic_name": topic, "lock_duration": 60_000}]})


def test_external_tasks_of_another_process_are_not_fetched(client, deploy, start, crm):
    deploy("external_invoice.bpmn")
    start("external_invoice", {"amount": 120})
    response = _fetch(client, crm)
    assert response.status_code == 200 and response.get_json() == []


def test_external_tasks_of_another_process_cannot_be_completed(client, admin, deploy, start, make_user, crm):
    deploy("external_invoice.bpmn")
    invoice = start("external_invoice", {"amount": 120})
    [task] = _fetch(client, make_user("payments", "system")).get_json()
    response = client.post(f"/api/v1/external-tasks/{task['id']}/complete", headers=crm,
                           json={"worker_id": "w1", "variables": {"amount": 1}})
    assert response.status_code == 404
    instance = client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()
    assert instance["status"] == "running" and instance["variables"]["amount"] == 120


@pytest.mark.parametrize("action, body", [
    ("failure", {"worker_id": "w1", "error_message": "no", "retries": 0}),
    ("bpmn-error", {"worker_id": "w1", "error_code": "declined"}),
    ("extend-lock", {"worker_id": "w1", "new_duration": 60_000}),
])
def test_other_external_task_commands_outside_the_allow_list_are_404(client, deploy, start, make_user, crm,
                                                                      action, body):
    deploy("external_invoice.bpmn")
    start("external_invoice", {"amount": 120})
    [task] = _fetch(client, make_user("payments", "system")).get_json()
    assert client.post(f"/api/v1/external-tasks/{task['id']}/{action}", headers=crm, json=body).status_code == 404


def test_a_worker_fetches_only_its_topics(client, deploy, start, make_user):
    deploy("external_invoice.bpmn")
    start("external_invoice", {"amount": 120})
    shipping = make_user("shipping", "system", topics=["shipping"])
    response = _fetch(client, shipping)
    assert response.status_code == 403
    assert "payments" in response.get_json()["detail"]


def test_a_worker_cannot_complete_a_task_of_another_topic(client, deploy, start, make_user):
    deploy("external_invoice.bpmn")
    start("external_invoice", {"amount": 120})
    [task] = _fetch(client, make_user("payments", "system")).get_json()
    shipping = make_user("shipping", "system", topics=["shipping"])
    response = client.post(f"/api/v1/external-tasks/{task['id']}/complete", headers=shipping,
                           json={"worker_id": "w1"})
    assert response.status_code == 404


def test_a_key_narrows_its_users_topics(client, admin, deploy, start, make_user):
    deploy("external_invoice.bpmn")
    start("external_invoice", {"amount": 120})
    make_user("workers", "system")
    key = client.post("/api/v1/api-keys", json={"user": "workers", "topics": ["shipping"]}, headers=admin).get_json()
    assert _fetch(client, {"Authorization": f"Bearer {key['key']}"}).status_code == 403


def test_the_allowed_process_still_works_everywhere(client, admin, deploy, make_user):
    deploy("messages.bpmn")
    shop = make_user("shop", "system", process_keys=["new_order"], topics=["payments"])
    response = client.post("/api/v1/messages", json={"name": "new_order"}, headers=shop)
    assert response.status_code == 200
    [started] = response.get_json()["started"]
    assert client.get(f"/api/v1/instances/{started}", headers=shop).status_code == 200
    assert client.post(f"/api/v1/instances/{started}/cancel", json={}, headers=shop).status_code == 200
