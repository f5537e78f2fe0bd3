"""/engine-rest/deployment/create: multipart deploys as Camunda Modeler and Camunda's clients send them."""

import io
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def modeler(make_user):
    return make_user("mona", "modeler")


def _create(client, headers, *names, **form):
    data = {key.replace("_", "-"): value for key, value in form.items()}
    for name in names:  # the Modeler names each part after its file
        data[name] = (io.BytesIO((DATA / name).read_bytes()), name)
    return client.post("/engine-rest/deployment/create", data=data, headers=headers,
                       content_type="multipart/form-data")


def test_create_answers_camunda_deployment(client, modeler):
    response = _create(client, modeler, "decisions.bpmn", "discounts.dmn", deployment_name="pricing rules",
                       deploy_changed_only="true", deployment_source="Camunda Modeler")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["name"], body["source"], body["tenantId"]) == ("pricing rules", "Camunda Modeler", "default")
    [(definition_id, definition)] = body["deployedProcessDefinitions"].items()
    assert definition_id == definition["id"] == body["id"]
    assert (definition["key"], definition["version"], definition["deploymentId"]) == ("pricing", 1, body["id"])
    assert body["links"][0]["rel"] == "self" and body["links"][0]["href"].endswith(f"/deployment/{body['id']}")
    assert body["deploymentTime"].endswith("+0000")
    fetched = client.get(f"/engine-rest/process-definition/{definition_id}", headers=modeler).get_json()
    assert fetched["key"] == "pricing"


def test_an_unchanged_resource_deploys_nothing(client, modeler):
    _create(client, modeler, "simple_user_task.bpmn")
    again = _create(client, modeler, "simple_user_task.bpmn", deploy_changed_only="true").get_json()
    assert again["deployedProcessDefinitions"] is None
    versions = client.get("/engine-rest/process-definition?key=simple_user_task", headers=modeler).get_json()
    assert [v["version"] for v in versions] == [1]


def test_a_changed_resource_is_a_new_version(client, modeler):
    _create(client, modeler, "intake_v1.bpmn")
    data = {"intake.bpmn": (io.BytesIO((DATA / "intake_v2.bpmn").read_bytes()), "intake.bpmn")}
    body = client.post("/engine-rest/deployment/create", data=data, headers=modeler,
                       content_type="multipart/form-data").get_json()
    assert [d["version"] for d in body["deployedProcessDefinitions"].values()] == [2]


def test_an_invalid_model_is_a_parse_exception_and_deploys_nothing(client, modeler):
    response = _create(client, modeler, "priority_expression.bpmn")
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "ParseException" and "taskPriority" in body["message"]
    assert client.get("/engine-rest/process-definition/count", headers=modeler).get_json() == {"count": 0}


@pytest.mark.parametrize("form", [{}, {"deployment_name": "nothing attached"}])
def test_no_resource_is_400(client, modeler, form):
    response = _create(client, modeler, **form)
    assert response.status_code == 400
    assert response.get_json()["type"] == "InvalidRequestException"


def test_json_instead_of_multipart_is_400(client, modeler):
    response = client.post("/engine-rest/deployment/create", json={"deployment-name": "x"}, headers=modeler)
    assert response.status_code == 400


def test_another_tenant_is_refused(client, modeler):
    response = _create(client, modeler, "simple_user_task.bpmn", tenant_id="acme")
    assert response.status_code == 400
    assert client.get("/engine-rest/process-definition/count", headers=modeler).get_json() == {"count": 0}


def test_a_flag_must_be_true_or_false(client, modeler):
    assert _create(client, modeler, "simple_user_task.bpmn", deploy_changed_only="maybe").status_code == 400


def test_agents_may_not_deploy(client, make_user):
    response = _create(client, make_user("ann", "agent"), "simple_user_task.bpmn")
    assert response.status_code == 403
    assert response.get_json()["type"] == "AuthorizationException"
