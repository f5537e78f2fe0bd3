"""Deploying models: versions, dialects, and every kind of bad upload."""

from pathlib import Path

DATA = Path(__file__).parent.parent / "data"


def _raw(client, headers, body: bytes, content_type="application/xml"):
    return client.post("/api/v1/definitions", data=body, content_type=content_type, headers=headers)


def test_redeploying_same_content_keeps_version(deploy):
    deploy("simple_user_task.bpmn")
    again = deploy("simple_user_task.bpmn")
    assert [(d["version"], d["created"]) for d in again] == [(1, False)]


def test_changed_content_gets_new_version(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    changed = (DATA / "simple_user_task.bpmn").read_bytes().replace(b'name="Approve"', b'name="Approve it"')
    response = _raw(client, admin, changed)
    assert response.status_code == 201
    assert response.get_json()[0]["version"] == 2
    versions = client.get("/api/v1/definitions/simple_user_task", headers=admin).get_json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]


def test_one_upload_with_two_processes(deploy):
    body = deploy("two_processes.bpmn")
    assert sorted(d["key"] for d in body) == ["proc_a", "proc_b"]


def test_list_definitions(client, admin, deploy):
    deploy("simple_user_task.bpmn", "two_step.bpmn")
    listed = client.get("/api/v1/definitions", headers=admin).get_json()["items"]
    assert [d["key"] for d in listed] == ["simple_user_task", "two_step"]
    assert listed[0]["latest_version"] == 1


def test_version_xml_is_the_uploaded_file(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    response = client.get("/api/v1/definitions/simple_user_task/versions/1/xml", headers=admin)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.data == (DATA / "simple_user_task.bpmn").read_bytes()


def test_unknown_definition_is_404(client, admin):
    assert client.get("/api/v1/definitions/nope", headers=admin).status_code == 404
    assert client.get("/api/v1/definitions/nope/versions/1/xml", headers=admin).status_code == 404


def test_invalid_model_is_422_with_location(client, admin):
    response = _raw(client, admin, (DATA / "invalid_missing_ref.bpmn").read_bytes())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "invalid_model"
    [error] = body["errors"]
    assert error["element_id"] == "flow_work_to_nowhere"
    assert error["line"] > 0
    assert error["file"] == "upload.bpmn"


def test_invalid_upload_changes_nothing(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    files = [((DATA / "two_step.bpmn").open("rb"), "two_step.bpmn"),
             ((DATA / "invalid_missing_ref.bpmn").open("rb"), "broken.bpmn")]
    response = client.post("/api/v1/definitions", data={"file": files}, headers=admin,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert [d["key"] for d in client.get("/api/v1/definitions", headers=admin).get_json()["items"]] == ["simple_user_task"]


def test_not_xml_is_400(client, admin):
    response = _raw(client, admin, b"this is not xml")
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_document"


def test_doctype_is_refused(client, admin):
    response = _raw(client, admin, b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>')
    assert response.status_code == 400
    assert "DOCTYPE" in response.get_json()["detail"]


def test_billion_laughs_is_refused(client, admin):
    lol = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10))
    response = _raw(client, admin, b'<?xml version="1.0"?><!DOCTYPE lolz [' + lol + b']><lolz>&lol9;</lolz>')
    assert response.status_code == 400


def test_external_entity_is_refused(client, admin):
    body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>')
    response = _raw(client, admin, body)
    assert response.status_code == 400
    assert "root:" not in response.get_data(as_text=True)


def test_file_over_limit_is_413(client, admin):
    big = b'<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">' + \
        b"<!--" + b"x" * (2 * 1024 * 1024) + b"--></definitions>"
    response = _raw(client, admin, big)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_wrong_content_type_is_422(client, admin):
    response = client.post("/api/v1/definitions", json={"xml": "<x/>"}, headers=admin)
    assert response.status_code == 422


def test_multipart_without_file_is_422(client, admin):
    response = client.post("/api/v1/definitions", data={"other": "x"}, headers=admin,
                           content_type="multipart/form-data")
    assert response.status_code == 422


def test_non_bpmn_xml_is_400(client, admin):
    assert _raw(client, admin, b"<html><body/></html>").status_code == 400


def test_agents_may_not_deploy(client, make_user):
    agent = make_user("ann", "agent", "support")
    response = _raw(client, agent, (DATA / "simple_user_task.bpmn").read_bytes())
    assert response.status_code == 403


def test_modelers_may_deploy(client, make_user):
    modeler = make_user("mo", "modeler")
    assert _raw(client, modeler, (DATA / "simple_user_task.bpmn").read_bytes()).status_code == 201
