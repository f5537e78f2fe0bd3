"""/engine-rest/task: tickets as Camunda tasks, for task apps written against Camunda 7."""

import base64

import pytest


@pytest.fixture
def bob(make_user):
    """An agent of group 'agents', with Basic credentials as a Camunda task app sends them."""
    key = make_user("bob", "agent", "agents")["Authorization"].split()[1]
    return {"Authorization": "Basic " + base64.b64encode(f"bob:{key}".encode()).decode()}


@pytest.fixture
def case(deploy, start):
    deploy("two_step.bpmn")
    return start("two_step", {"skip": False, "customer": "ACME"}, business_key="case-7")


def tasks(client, headers, query=""):
    response = client.get(f"/engine-rest/task{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_candidate_sees_task_with_camunda_fields(client, bob, case):
    [task] = tasks(client, bob, "?candidateGroup=agents")
    assert task["name"] == "First step"
    assert task["taskDefinitionKey"] == "first"
    assert task["processInstanceId"] == case["id"]
    assert task["assignee"] is None
    assert task["priority"] == 50
    assert task["created"].endswith("+0000")
    assert client.get("/engine-rest/task/count", headers=bob).get_json() == {"count": 1}
    assert client.get(f"/engine-rest/task/{task['id']}", headers=bob).get_json() == task


def test_claim_unclaim_and_filters(client, bob, case):
    [task] = tasks(client, bob)
    assert client.post(f"/engine-rest/task/{task['id']}/claim", json={"userId": "bob"}, headers=bob).status_code == 204
    assert [t["assignee"] for t in tasks(client, bob, "?assignee=bob")] == ["bob"]
    assert tasks(client, bob, "?unassigned=true") == []
    assert client.post(f"/engine-rest/task/{task['id']}/unclaim", headers=bob).status_code == 204
    assert [t["id"] for t in tasks(client, bob, "?unassigned=true")] == [task["id"]]


def test_assignee_by_admin(client, admin, bob, case):
    [task] = tasks(client, admin, f"?processInstanceId={case['id']}")
    assert client.post(f"/engine-rest/task/{task['id']}/assignee", json={"userId": "bob"},
                       headers=admin).status_code == 204
    assert tasks(client, bob)[0]["assignee"] == "bob"


def test_claim_taken_task_is_400(client, admin, bob, make_user, case):
    [task] = tasks(client, bob)
    client.post(f"/engine-rest/task/{task['id']}/claim", json={"userId": "bob"}, headers=bob)
    carol = make_user("carol", "agent", "agents")
    response = client.post(f"/engine-rest/task/{task['id']}/claim", json={"userId": "carol"}, headers=carol)
    assert response.status_code in (400, 403)
    assert set(response.get_json()) == {"type", "message"}


def test_form_variables_and_complete_with_typed_variables(client, admin, bob, case):
    [task] = tasks(client, bob)
    form = client.get(f"/engine-rest/task/{task['id']}/form-variables", headers=bob).get_json()
    assert form["customer"] == {"type": "String", "value": "ACME", "valueInfo": {}}
    response = client.post(f"/engine-rest/task/{task['id']}/complete", headers=bob,
                           json={"variables": {"approved": {"value": True, "type": "Boolean"}}})
    assert response.status_code == 204
    [second] = tasks(client, bob)
    assert second["taskDefinitionKey"] == "second"
    answer = client.post(f"/engine-rest/task/{second['id']}/complete", headers=bob,
                         json={"variables": {}, "withVariablesInReturn": True})
    assert answer.status_code == 200
    assert answer.get_json()["approved"]["value"] is True
    assert client.get(f"/api/v1/instances/{case['id']}", headers=admin).get_json()["status"] == "completed"


def test_comments(client, bob, case):
    [task] = tasks(client, bob)
    created = client.post(f"/engine-rest/task/{task['id']}/comment/create", json={"message": "called them"},
                          headers=bob)
    assert created.status_code == 200
    assert created.get_json()["userId"] == "bob"
    [comment] = client.get(f"/engine-rest/task/{task['id']}/comment", headers=bob).get_json()
    assert comment["message"] == "called them"
    assert comment["processInstanceId"] == case["id"]


def test_unknown_task_is_404(client, bob):
    response = client.get("/engine-rest/task/nope", headers=bob)
    assert response.status_code == 404
    assert response.get_json()["type"] == "RestException"
