"""API keys and roles."""


def test_health_needs_no_key(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_openapi_and_docs_need_no_key(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/tickets/{ticket_id}/complete" in spec.get_json()["paths"]
    assert client.get("/api/docs").status_code == 200


def test_missing_key_is_401_problem(client):
    response = client.get("/api/v1/tickets")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_key_is_401(client):
    assert client.get("/api/v1/tickets", headers={"Authorization": "Bearer fd_nope"}).status_code == 401


def test_wrong_scheme_is_401(client):
    assert client.get("/api/v1/tickets", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}).status_code == 401


def test_new_user_key_works(client, make_user):
    agent = make_user("ann", "agent", "support")
    assert client.get("/api/v1/tickets", headers=agent).status_code == 200


def test_agent_may_not_start_processes(client, deploy, make_user):
    deploy("simple_user_task.bpmn")
    agent = make_user("ann", "agent", "agents")
    response = client.post("/api/v1/processes/simple_user_task/instances", json={}, headers=agent)
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_system_may_start_processes(client, deploy, make_user):
    deploy("simple_user_task.bpmn")
    system = make_user("crm", "system")
    assert client.post("/api/v1/processes/simple_user_task/instances", json={}, headers=system).status_code == 201


def test_unknown_route_is_404_problem(client, admin):
    response = client.get("/api/v1/nothing-here", headers=admin)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_wrong_method_is_405_problem(client, admin):
    response = client.delete("/api/v1/tickets", headers=admin)
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
