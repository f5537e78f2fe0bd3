"""/engine-rest/process-definition and /process-instance, and /message and /signal, as Camunda answers them."""

import pytest


@pytest.fixture
def intake(deploy):
    deploy("intake_v1.bpmn")
    deploy("intake_v2.bpmn")


def start(client, headers, path, **body):
    response = client.post(f"/engine-rest/process-definition/{path}", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_list_definitions_and_latest_version(client, admin, intake):
    versions = client.get("/engine-rest/process-definition?key=intake", headers=admin).get_json()
    assert [(d["key"], d["version"]) for d in versions] == [("intake", 1), ("intake", 2)]
    [latest] = client.get("/engine-rest/process-definition?key=intake&latestVersion=true", headers=admin).get_json()
    assert latest["version"] == 2
    assert client.get("/engine-rest/process-definition/count?key=intake", headers=admin).get_json() == {"count": 2}
    assert client.get("/engine-rest/process-definition/key/intake", headers=admin).get_json()["id"] == latest["id"]


def test_xml_of_a_definition(client, admin, intake):
    answer = client.get("/engine-rest/process-definition/key/intake/xml", headers=admin).get_json()
    assert answer["bpmn20Xml"].lstrip().startswith("<?xml")
    by_id = client.get(f"/engine-rest/process-definition/{answer['id']}/xml", headers=admin).get_json()
    assert by_id == answer


def test_start_by_key_answers_the_instance_with_typed_variables(client, admin, intake):
    started = start(client, admin, "key/intake/start", businessKey="case-1", withVariablesInReturn=True,
                    variables={"amount": {"value": "12.5", "type": "Double"}})
    assert started["businessKey"] == "case-1"
    assert started["ended"] is False
    assert started["variables"]["amount"] == {"type": "Double", "value": 12.5, "valueInfo": {}}
    assert client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()["process_version"] == 2


def test_start_a_given_version_by_id(client, admin, intake):
    [first, _] = client.get("/engine-rest/process-definition?key=intake", headers=admin).get_json()
    started = start(client, admin, f"{first['id']}/start")
    assert started["definitionId"] == first["id"]
    assert client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()["process_version"] == 1


def test_start_in_own_tenant_path_works_and_another_is_404(client, admin, intake):
    start(client, admin, "key/intake/tenant-id/default/start")
    response = client.post("/engine-rest/process-definition/key/intake/tenant-id/acme/start", json={},
                           headers=admin)
    assert response.status_code == 404
    assert response.get_json()["type"] == "RestException"


def test_start_unknown_key_is_404(client, admin):
    response = client.post("/engine-rest/process-definition/key/nope/start", json={}, headers=admin)
    assert response.status_code == 404


def test_instances_list_count_get_and_delete(client, admin, intake):
    started = start(client, admin, "key/intake/start", businessKey="b-1")
    [listed] = client.get("/engine-rest/process-instance?processDefinitionKey=intake", headers=admin).get_json()
    assert listed["id"] == started["id"]
    assert client.get("/engine-rest/process-instance/count?businessKey=b-1",
                      headers=admin).get_json() == {"count": 1}
    assert client.get(f"/engine-rest/process-instance/{started['id']}", headers=admin).get_json()["businessKey"] == "b-1"
    assert client.delete(f"/engine-rest/process-instance/{started['id']}", headers=admin).status_code == 204
    assert client.get(f"/engine-rest/process-instance/{started['id']}", headers=admin).status_code == 404
    assert client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()["status"] == "cancelled"


def test_instance_variables_read_put_modify_and_delete(client, admin, intake):
    started = start(client, admin, "key/intake/start", variables={"n": {"value": 1}, "doc": {"value": {"a": 1}}})
    path = f"/engine-rest/process-instance/{started['id']}/variables"
    variables = client.get(path, headers=admin).get_json()
    assert variables["n"] == {"type": "Integer", "value": 1, "valueInfo": {}}
    assert variables["doc"] == {"type": "Json", "value": '{"a":1}', "valueInfo": {}}
    assert client.put(f"{path}/n", json={"value": 2, "type": "Long"}, headers=admin).status_code == 204
    assert client.post(path, json={"modifications": {"flag": {"value": True}}, "deletions": ["doc"]},
                       headers=admin).status_code == 204
    assert client.delete(f"{path}/flag", headers=admin).status_code == 204
    variables = client.get(path, headers=admin).get_json()
    assert {k: v["value"] for k, v in variables.items()} == {"n": 2}
    assert client.get(f"{path}/doc", headers=admin).status_code == 404
    written = [e for e in client.get("/api/v1/audit-log", headers=admin).get_json()["items"]
               if e["action"] == "instance.variables_written"]
    assert len(written) == 3
    assert {e["actor"] for e in written} == {"admin"}


def test_writing_variables_needs_an_admin(client, make_user, intake, admin):
    started = start(client, admin, "key/intake/start")
    system = make_user("starter", "system")
    response = client.put(f"/engine-rest/process-instance/{started['id']}/variables/x", json={"value": 1},
                          headers=system)
    assert response.status_code == 403
    assert response.get_json()["type"] == "AuthorizationException"


def test_message_without_result_is_204_and_unmatched_is_400(client, admin, deploy):
    deploy("messages.bpmn")
    assert client.post("/engine-rest/message", json={"messageName": "new_order"}, headers=admin).status_code == 204
    response = client.post("/engine-rest/message", json={"messageName": "payment_received", "businessKey": "none"},
                           headers=admin)
    assert response.status_code == 400
    assert response.get_json()["type"] == "MismatchingMessageCorrelationException"


def test_signal_is_204_and_starts_processes(client, admin, deploy):
    deploy("signal_start.bpmn")
    response = client.post("/engine-rest/signal", json={"name": "launch", "variables": {"x": {"value": 1}}},
                           headers=admin)
    assert response.status_code == 204
    [started] = client.get("/engine-rest/process-instance?processDefinitionKey=launched_by_signal",
                           headers=admin).get_json()
    assert client.get(f"/engine-rest/process-instance/{started['id']}/variables/x",
                      headers=admin).get_json()["value"] == 1


def test_starts_are_rate_limited_like_the_native_api(make_client, deploy, basic):
    deploy("intake_v1.bpmn")
    limited = make_client(rate_limit="2/minute")
    answers = [limited.post("/engine-rest/process-definition/key/intake/start", json={}, headers=basic)
               for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert answers[2].status_code == 429
    assert answers[2].get_json()["type"] == "InvalidRequestException"
