"""Starting instances and reading them back."""

import pytest

from flowdesk.engine.access.principal import Principal
from flowdesk.engine.process import instances
from flowdesk.engine.store.errors import InvalidInput


def test_unknown_process_is_404(client, admin):
    response = client.post("/api/v1/processes/nope/instances", json={}, headers=admin)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_variables_must_be_an_object(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    response = client.post("/api/v1/processes/simple_user_task/instances", json={"variables": [1]}, headers=admin)
    assert response.status_code == 422
    assert "variables" in response.get_json()["errors"]


def test_malformed_json_is_400(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    response = client.post("/api/v1/processes/simple_user_task/instances", data="{nope",
                           content_type="application/json", headers=admin)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_start_variables_are_kept(start, deploy):
    deploy("spiff_dialect.bpmn")
    instance = start("spiff_dialect", {"price": 2.5, "quantity": 4})
    assert instance["variables"]["total"] == 10.0


def test_failing_start_is_422_and_creates_nothing(client, admin, deploy):
    deploy("spiff_dialect.bpmn")
    response = client.post("/api/v1/processes/spiff_dialect/instances", json={"variables": {"price": 1}},
                           headers=admin)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "execution_failed"
    assert body["element_id"] == "compute"
    assert client.get("/api/v1/instances", headers=admin).get_json()["items"] == []


def test_get_instance(client, admin, start, deploy):
    deploy("simple_user_task.bpmn")
    started = start("simple_user_task", {"a": 1})
    fetched = client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()
    assert fetched["id"] == started["id"]
    assert fetched["variables"] == {"a": 1}
    assert [t["id"] for t in fetched["open_tickets"]] == [t["id"] for t in started["open_tickets"]]


def test_unknown_instance_is_404(client, admin):
    assert client.get("/api/v1/instances/00000000-0000-0000-0000-000000000000", headers=admin).status_code == 404


def test_filter_instances(client, admin, start, deploy):
    deploy("simple_user_task.bpmn", "two_step.bpmn")
    a = start("simple_user_task", business_key="A")
    start("two_step", business_key="B")
    by_key = client.get("/api/v1/instances?process_key=simple_user_task", headers=admin).get_json()["items"]
    by_business_key = client.get("/api/v1/instances?business_key=A", headers=admin).get_json()["items"]
    assert [i["id"] for i in by_key] == [a["id"]]
    assert [i["id"] for i in by_business_key] == [a["id"]]
    assert client.get("/api/v1/instances?status=completed", headers=admin).get_json()["items"] == []
    running = client.get("/api/v1/instances?status=running", headers=admin).get_json()["items"]
    assert len(running) == 2


def test_unknown_status_filter_is_422(client, admin):
    assert client.get("/api/v1/instances?status=sleeping", headers=admin).status_code == 422


def test_the_engine_refuses_an_unknown_status_for_callers_other_than_the_api(runtime):
    # The API's query schema refuses it first; the engine holds the rule for every other caller.
    with pytest.raises(InvalidInput) as refused:
        instances.list_instances(runtime, Principal("u-admin", "admin", "admin"), status="sleeping")
    assert refused.value.detail == "unknown status"
    assert refused.value.errors == {"status": ["must be one of running, completed, failed, cancelled, suspended"]}


def test_instances_page_by_cursor(client, admin, start, deploy):
    deploy("simple_user_task.bpmn")
    ids = [start("simple_user_task")["id"] for _ in range(5)]
    seen, sizes, after = [], [], None
    while True:
        url = "/api/v1/instances?limit=2" + (f"&after={after}" if after else "")
        page = client.get(url, headers=admin).get_json()
        seen += [i["id"] for i in page["items"]]
        sizes.append(len(page["items"]))
        after = page["next_cursor"]
        if after is None:
            break
    assert sizes == [2, 2, 1]
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_bad_cursor_is_422(client, admin):
    assert client.get("/api/v1/instances?after=!!!", headers=admin).status_code == 422


def test_start_with_idempotency_key_replays(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    headers = {**admin, "Idempotency-Key": "order-42"}
    first = client.post("/api/v1/processes/simple_user_task/instances", json={"business_key": "42"}, headers=headers)
    second = client.post("/api/v1/processes/simple_user_task/instances", json={"business_key": "42"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(client.get("/api/v1/instances", headers=admin).get_json()["items"]) == 1


def test_idempotency_key_reused_for_other_request_is_422(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    headers = {**admin, "Idempotency-Key": "k"}
    client.post("/api/v1/processes/simple_user_task/instances", json={"business_key": "1"}, headers=headers)
    response = client.post("/api/v1/processes/simple_user_task/instances", json={"business_key": "2"},
                           headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["detail"] == "this Idempotency-Key was already used for a different request"
    assert body["errors"] == {"Idempotency-Key": ["reuse a key only to retry the identical request"]}
    assert len(client.get("/api/v1/instances", headers=admin).get_json()["items"]) == 1


def test_agent_sees_only_instances_with_their_tickets(client, start, deploy, make_user):
    deploy("simple_user_task.bpmn", "lanes.bpmn")
    mine = start("simple_user_task")
    other = start("lanes_process")
    agent = make_user("bob", "agent", "agents")
    listed = client.get("/api/v1/instances", headers=agent).get_json()["items"]
    assert [i["id"] for i in listed] == [mine["id"]]
    assert client.get(f"/api/v1/instances/{other['id']}", headers=agent).status_code == 404


def test_filter_instances_with_an_open_incident(client, admin, start, deploy, make_user):
    deploy("card_payment.bpmn")
    stuck = start("card_payment", {"amount": 120})
    worker = make_user("payments", "system")
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "max_tasks": 1, "topics": [{"topic_name": "payments", "lock_duration": 60000}]}).get_json()
    client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                json={"worker_id": "w1", "error_message": "card expired", "retries": 0})
    fine = start("card_payment", {"amount": 5})
    with_incident = client.get("/api/v1/instances?has_incident=true", headers=admin).get_json()["items"]
    without = client.get("/api/v1/instances?has_incident=false", headers=admin).get_json()["items"]
    assert [(i["id"], i["status"]) for i in with_incident] == [(stuck["id"], "running")]
    assert [i["id"] for i in without] == [fine["id"]]


def test_an_instance_whose_incident_was_retried_has_no_incident(client, admin, start, deploy, make_user):
    deploy("card_payment.bpmn")
    stuck = start("card_payment", {"amount": 120})
    worker = make_user("payments", "system")
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "max_tasks": 1, "topics": [{"topic_name": "payments", "lock_duration": 60000}]}).get_json()
    client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                json={"worker_id": "w1", "error_message": "card expired", "retries": 0})
    [incident] = client.get(f"/api/v1/instances/{stuck['id']}", headers=admin).get_json()["incidents"]
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin).status_code == 200

    with_incident = client.get("/api/v1/instances?has_incident=true", headers=admin).get_json()["items"]
    without = client.get("/api/v1/instances?has_incident=false", headers=admin).get_json()["items"]
    assert with_incident == []
    assert [i["id"] for i in without] == [stuck["id"]]
