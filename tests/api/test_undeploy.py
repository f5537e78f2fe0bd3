"""DELETE /processes/{key}[/versions/{n}]: undeploying versions no instance uses."""

from __future__ import annotations

import pytest

from flowdesk.engine.process import scheduler

VERSION_PATH = "/api/v1/processes/{process_key}/versions/{version}"
PROCESS_PATH = "/api/v1/processes/{process_key}"


@pytest.fixture
def ticking(deploy, clock):
    """Version 1 starts by timer every hour; version 2 by message 'tick'."""
    deploy("ticking_v1.bpmn")
    deploy("ticking_v2.bpmn")


def _versions(client, admin, key):
    response = client.get(f"/api/v1/definitions/{key}", headers=admin)
    return [v["version"] for v in response.get_json()["versions"]] if response.status_code == 200 else []


def test_undeploy_a_version(client, admin, ticking, as_documented):
    response = client.delete("/api/v1/processes/ticking/versions/1", headers=admin)
    assert response.status_code == 204
    as_documented(response, VERSION_PATH, "delete")
    assert _versions(client, admin, "ticking") == [2]


def test_the_highest_remaining_version_becomes_the_latest(client, admin, deploy, start):
    deploy("intake_v1.bpmn")
    deploy("intake_v2.bpmn")
    assert client.delete("/api/v1/processes/intake/versions/2", headers=admin).status_code == 204
    assert start("intake")["process_version"] == 1
    definitions = client.get("/api/v1/definitions", headers=admin).get_json()["items"]
    assert [(d["key"], d["latest_version"]) for d in definitions] == [("intake", 1)]


def test_timer_starts_go_with_the_version(client, admin, ticking, runtime, clock):
    client.delete("/api/v1/processes/ticking/versions/1", headers=admin)
    clock.advance(hours=1, seconds=1)
    assert scheduler.start_timer_processes(runtime) == 0


def test_the_remaining_latest_version_takes_over_the_timer_starts(client, admin, ticking, runtime, clock):
    assert client.delete("/api/v1/processes/ticking/versions/2", headers=admin).status_code == 204
    clock.advance(hours=1, seconds=1)
    assert scheduler.start_timer_processes(runtime) == 1
    [started] = client.get("/api/v1/instances?process_key=ticking", headers=admin).get_json()["items"]
    assert started["process_version"] == 1


def test_message_starts_go_with_the_version(client, admin, ticking):
    client.delete("/api/v1/processes/ticking/versions/2", headers=admin)
    response = client.post("/api/v1/messages", json={"name": "tick"}, headers=admin)
    assert response.status_code == 404  # nothing waits for it, nothing starts by it
    assert client.get("/api/v1/instances?process_key=ticking", headers=admin).get_json()["items"] == []


def test_a_version_any_instance_ran_stays(client, admin, deploy, start, as_documented):
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    client.post(f"/api/v1/instances/{instance['id']}/cancel", json={}, headers=admin)  # finished counts too
    response = client.delete("/api/v1/processes/simple_user_task/versions/1", headers=admin)
    assert response.status_code == 409
    body = as_documented(response, VERSION_PATH, "delete")
    assert (body["code"], body["instances"]) == ("conflict", 1)
    assert _versions(client, admin, "simple_user_task") == [1]
    assert client.get(f"/api/v1/instances/{instance['id']}", headers=admin).status_code == 200


def test_a_version_an_instance_called_stays(client, admin, deploy, start):
    deploy("call_child.bpmn")
    deploy("call_parent.bpmn")
    start("call_parent", {"name": "Ada"})
    response = client.delete("/api/v1/processes/call_child", headers=admin)
    assert response.status_code == 409
    assert _versions(client, admin, "call_child") == [1]


def test_undeploy_a_whole_process(client, admin, ticking, as_documented):
    response = client.delete("/api/v1/processes/ticking", headers=admin)
    assert response.status_code == 204
    as_documented(response, PROCESS_PATH, "delete")
    assert _versions(client, admin, "ticking") == []
    assert client.post("/api/v1/processes/ticking/instances", json={}, headers=admin).status_code == 404


def test_a_process_with_instances_stays_whole(client, admin, ticking):
    client.post("/api/v1/processes/ticking/instances", json={"version": 1}, headers=admin)
    response = client.delete("/api/v1/processes/ticking", headers=admin)
    assert response.status_code == 409
    assert _versions(client, admin, "ticking") == [2, 1]


def test_undeploy_is_audited(client, admin, ticking):
    client.delete("/api/v1/processes/ticking/versions/2", headers=admin)
    entries = client.get("/api/v1/audit-log?action=definition.undeployed", headers=admin).get_json()["items"]
    assert [(e["target"], e["detail"]["versions"]) for e in entries] == [("ticking", [2])]


@pytest.mark.parametrize("path", ["/api/v1/processes/ticking/versions/3", "/api/v1/processes/nope"])
def test_unknown_is_404(client, admin, ticking, path, as_documented):
    response = client.delete(path, headers=admin)
    assert response.status_code == 404
    documented = VERSION_PATH if "versions" in path else PROCESS_PATH
    assert as_documented(response, documented, "delete")["code"] == "not_found"
    assert _versions(client, admin, "ticking") == [2, 1]


@pytest.mark.parametrize("role", ["agent", "system", "auditor"])
def test_only_modelers_and_admins_undeploy(client, admin, ticking, make_user, role):
    response = client.delete("/api/v1/processes/ticking/versions/1", headers=make_user("uma", role))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert _versions(client, admin, "ticking") == [2, 1]


def test_modelers_undeploy(client, admin, ticking, make_user):
    assert client.delete("/api/v1/processes/ticking/versions/1", headers=make_user("mo", "modeler")).status_code == 204
