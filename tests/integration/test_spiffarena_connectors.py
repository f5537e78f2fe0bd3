"""A SpiffArena model's http/* connectors, end to end: a real RQ worker calls a local HTTP server."""

import base64

import pytest

from flowdesk.engine.process import jobs


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


def _instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def test_get_then_post_connectors_call_the_server_and_store_their_results(client, admin, deploy_for, start, drain,
                                                                          action_server, worker_runtime):
    action_server.routes["/orders"] = lambda r: (200, {"items": [{"id": 1}, {"id": 2}, {"id": 3}]}, {})
    action_server.routes["/reports"] = lambda r: (201, {"stored": True}, {})
    deploy_for("spiffarena_http.bpmn")
    started = start("spiffarena_http", {"orders_url": f"{action_server.url}/orders", "status": "open",
                                        "api_user": "sync", "api_password": "pw"})

    drain(until=lambda: _instance(client, admin, started["id"])["status"] == "completed")

    done = _instance(client, admin, started["id"])
    assert done["status"] == "completed"
    assert done["variables"]["orders"] == {"items": [{"id": 1}, {"id": 2}, {"id": 3}]}
    assert done["variables"]["report"] == {"stored": True}
    [get] = action_server.calls("/orders")
    assert (get["method"], get["path"]) == ("GET", "/orders?status=open")
    assert get["headers"]["Authorization"] == "Basic " + base64.b64encode(b"sync:pw").decode()
    assert get["headers"]["Accept"] == "application/json"
    [post] = action_server.calls("/reports")
    assert post["json"] == {"open": 3}
