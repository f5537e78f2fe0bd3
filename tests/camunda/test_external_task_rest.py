"""/engine-rest/external-task: Camunda's paths, camelCase fields, 204s, typed variables and errors."""

import pytest


def fetch(client, headers, worker="w1", topic=None):
    body = {"workerId": worker, "maxTasks": 5,
            "topics": [{"topicName": "payments", "lockDuration": 60_000, **(topic or {})}]}
    response = client.post("/engine-rest/external-task/fetchAndLock", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_fetch_and_lock_answers_camunda_dto_with_typed_variables(client, basic, invoice):
    [task] = fetch(client, basic)
    assert task["topicName"] == "payments"
    assert task["activityId"] == "charge"
    assert task["processInstanceId"] == invoice["id"]
    assert task["processDefinitionKey"] == "external_invoice"
    assert task["workerId"] == "w1"
    assert task["variables"] == {"amount": {"type": "Integer", "value": 120, "valueInfo": {}}}
    assert task["lockExpirationTime"].endswith("+0000")


def test_fetch_keeps_only_the_variables_asked_for(client, basic, invoice):
    [task] = fetch(client, basic, topic={"variables": ["missing"]})
    assert task["variables"] == {}


def test_fetch_filters_by_process_definition_key(client, basic, invoice):
    assert fetch(client, basic, topic={"processDefinitionKey": "other"}) == []
    assert len(fetch(client, basic, topic={"processDefinitionKeyIn": ["external_invoice"]})) == 1


def test_fetch_with_another_tenant_finds_nothing(client, basic, invoice):
    assert fetch(client, basic, topic={"tenantIdIn": ["acme"]}) == []


def test_complete_answers_204_and_converts_typed_variables(client, admin, basic, invoice):
    [task] = fetch(client, basic)
    response = client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=basic, json={
        "workerId": "w1",
        "variables": {"charged": {"value": True, "type": "Boolean"},
                      "receipt": {"value": '{"id": "ch_1"}', "type": "Json"},
                      "total": {"value": 9000000000, "type": "Long"}},
        "localVariables": {"note": {"value": "ok"}}})
    assert response.status_code == 204
    assert response.data == b""
    instance = client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()
    assert instance["status"] == "completed"
    assert instance["variables"]["charged"] is True
    assert instance["variables"]["receipt"] == {"id": "ch_1"}
    assert instance["variables"]["total"] == 9000000000
    assert "note" not in instance["variables"]  # a local variable of the task: gone with it


def test_complete_by_another_worker_is_a_400_exception(client, basic, invoice):
    [task] = fetch(client, basic)
    response = client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=basic,
                           json={"workerId": "intruder"})
    assert response.status_code == 400
    assert response.get_json()["type"] == "BadUserRequestException"
    assert "intruder" in response.get_json()["message"]


def test_unknown_task_is_404_with_camunda_body(client, basic):
    response = client.post("/engine-rest/external-task/nope/complete", headers=basic, json={"workerId": "w1"})
    assert response.status_code == 404
    assert set(response.get_json()) == {"type", "message"}


def test_wrong_variable_type_is_400_and_changes_nothing(client, basic, invoice):
    [task] = fetch(client, basic)
    response = client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=basic,
                           json={"workerId": "w1", "variables": {"n": {"value": "x", "type": "Integer"}}})
    assert response.status_code == 400
    assert response.get_json()["type"] == "InvalidRequestException"
    [still] = client.get("/engine-rest/external-task", headers=basic).get_json()
    assert still["workerId"] == "w1"


def test_failure_with_retries_is_fetchable_again_with_retries(client, basic, invoice):
    [task] = fetch(client, basic)
    response = client.post(f"/engine-rest/external-task/{task['id']}/failure", headers=basic, json={
        "workerId": "w1", "errorMessage": "gateway down", "errorDetails": "trace", "retries": 2, "retryTimeout": 0})
    assert response.status_code == 204
    [again] = fetch(client, basic)
    assert again["retries"] == 2
    assert again["errorMessage"] == "gateway down"
    assert again["errorDetails"] == "trace"


def test_failure_without_retries_opens_incident_and_retries_put_reopens(client, admin, basic, invoice):
    [task] = fetch(client, basic)
    client.post(f"/engine-rest/external-task/{task['id']}/failure", headers=basic,
                json={"workerId": "w1", "errorMessage": "card expired", "retries": 0})
    assert fetch(client, basic) == []
    assert client.get("/engine-rest/external-task/count?noRetriesLeft=true", headers=basic).get_json() == {"count": 1}
    response = client.put(f"/engine-rest/external-task/{task['id']}/retries", headers=basic, json={"retries": 3})
    assert response.status_code == 204
    assert client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()["incidents"] == []
    assert len(fetch(client, basic)) == 1


def test_bpmn_error_with_variables_reaches_the_instance(client, admin, basic, invoice):
    [task] = fetch(client, basic)
    response = client.post(f"/engine-rest/external-task/{task['id']}/bpmnError", headers=basic, json={
        "workerId": "w1", "errorCode": "payment_declined", "errorMessage": "insufficient funds",
        "variables": {"reason": {"value": "insufficient funds", "type": "String"}}})
    assert response.status_code == 204
    instance = client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()
    assert instance["variables"]["reason"] == "insufficient funds"
    assert [t["element_id"] for t in instance["open_tickets"]] == ["call_customer"]


def test_extend_lock_and_unlock(client, basic, invoice):
    [task] = fetch(client, basic)
    assert client.post(f"/engine-rest/external-task/{task['id']}/extendLock", headers=basic,
                       json={"workerId": "w1", "newDuration": 120_000}).status_code == 204
    assert client.post(f"/engine-rest/external-task/{task['id']}/unlock", headers=basic).status_code == 204
    [again] = fetch(client, basic, worker="w2")
    assert again["id"] == task["id"]


def test_list_count_get_and_topic_names(client, basic, invoice):
    [listed] = client.get("/engine-rest/external-task?topicName=payments", headers=basic).get_json()
    assert listed["processInstanceId"] == invoice["id"]
    assert client.get(f"/engine-rest/external-task/{listed['id']}", headers=basic).get_json()["id"] == listed["id"]
    assert client.get("/engine-rest/external-task/count?locked=true", headers=basic).get_json() == {"count": 0}
    assert client.get("/engine-rest/external-task/topic-names", headers=basic).get_json() == ["payments"]
    fetch(client, basic)
    assert client.get("/engine-rest/external-task/count?locked=true", headers=basic).get_json() == {"count": 1}
    assert client.get("/engine-rest/external-task/topic-names?withUnlockedTasks=true",
                      headers=basic).get_json() == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic bm9ib2R5Om5vcGU="},
                                     {"Authorization": "Bearer wrong"}])
def test_bad_credentials_are_401(client, headers):
    response = client.get("/engine-rest/external-task", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["type"] == "AuthenticationException"
    assert "Basic" in response.headers["WWW-Authenticate"]


def test_basic_user_must_own_the_key(client, worker_key):
    import base64
    token = base64.b64encode(f"admin:{worker_key}".encode()).decode()
    response = client.get("/engine-rest/external-task", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401


def test_bearer_key_works_too(client, admin, invoice):
    assert len(client.get("/engine-rest/external-task", headers=admin).get_json()) == 1


def test_unknown_path_answers_camunda_404(client, basic):
    response = client.get("/engine-rest/no-such-resource", headers=basic)
    assert response.status_code == 404
    assert response.get_json()["type"] == "NotFoundException"
