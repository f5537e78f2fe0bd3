"""Call activities reach processes deployed separately: the latest version, fixed at start."""

from pathlib import Path

DATA = Path(__file__).parent.parent / "data"


def _complete(client, admin, ticket, data=None):
    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": data or {}}, headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_calling_an_undeployed_process_is_422(client, admin):
    response = client.post("/api/v1/definitions", data=(DATA / "call_parent.bpmn").read_bytes(),
                           content_type="application/xml", headers=admin)
    assert response.status_code == 422
    assert "call_child" in response.get_json()["errors"][0]["message"]


def test_called_process_deployed_before_runs(client, admin, deploy, start):
    deploy("call_child.bpmn")
    deploy("call_parent.bpmn")
    instance = start("call_parent", {"name": "Ada"})
    [check] = instance["open_tickets"]
    assert check["element_id"] == "check"
    result = _complete(client, admin, check, {"references_ok": True})
    assert [t["element_id"] for t in result["open_tickets"]] == ["welcome"]
    assert result["instance"]["variables"]["references_ok"] is True
    final = _complete(client, admin, result["open_tickets"][0])
    assert final["instance"]["status"] == "completed"


def test_running_instance_keeps_the_called_version_it_started_with(client, admin, deploy, start):
    deploy("call_child.bpmn")
    deploy("call_parent.bpmn")
    before = start("call_parent")
    changed = (DATA / "call_child.bpmn").read_bytes().replace(b'name="Check references"', b'name="Check twice"')
    assert client.post("/api/v1/definitions", data=changed, content_type="application/xml",
                       headers=admin).status_code == 201
    after = start("call_parent")

    assert after["open_tickets"][0]["name"] == "Check twice"
    result = _complete(client, admin, before["open_tickets"][0])
    assert [t["element_id"] for t in result["open_tickets"]] == ["welcome"]


def test_deploying_both_together_works(deploy, start):
    deploy("call_parent.bpmn", "call_child.bpmn")
    assert start("call_parent")["open_tickets"][0]["element_id"] == "check"
