"""Service tasks end to end: PostgreSQL, Redis, a real RQ worker and a real local HTTP server."""

from pathlib import Path

import pytest

from flowdesk.engine.process import jobs

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


def _instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def test_chain_runs_through_worker(client, admin, deploy_for, start, drain, action_server, worker_runtime):
    action_server.routes["/reserve"] = lambda r: (200, {"reservation_id": "R-1", "sku": r["json"]["sku"]}, {})
    action_server.routes["/notify"] = lambda r: (200, {"sent": True}, {})
    deploy_for("service_chain.bpmn")
    started = start("service_chain", {"sku": "A-1", "quantity": 2})
    assert started["open_tickets"] == []
    assert [j["element_id"] for j in started["jobs"]] == ["reserve"]

    drain(until=lambda: _instance(client, admin, started["id"])["open_tickets"])

    waiting = _instance(client, admin, started["id"])
    assert waiting["variables"]["reservation"] == {"reservation_id": "R-1", "sku": "A-1"}
    [reserve_call] = action_server.calls("/reserve")
    assert reserve_call["json"] == {"sku": "A-1", "quantity": 2}
    ticket = waiting["open_tickets"][0]
    done = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {"packed": True}}, headers=admin)
    assert done.status_code == 200
    assert [j["element_id"] for j in _instance(client, admin, started["id"])["jobs"]] == ["notify"]

    drain(until=lambda: _instance(client, admin, started["id"])["status"] == "completed")

    final = _instance(client, admin, started["id"])
    assert final["status"] == "completed"
    assert final["variables"]["notification"] == {"sent": True}
    assert final["jobs"] == [] and final["incidents"] == []
    [notify_call] = action_server.calls("/notify")
    assert notify_call["json"]["packed"] is True


def test_call_carries_idempotency_key_and_signature(client, admin, deploy_for, start, drain, action_server,
                                                    worker_runtime):
    from flowdesk.engine.access import signing, signing_keys

    deploy_for("service_chain.bpmn")
    started = start("service_chain", {"sku": "A-1", "quantity": 1})
    job_id = started["jobs"][0]["id"]
    drain(until=lambda: action_server.calls("/reserve"))
    [call] = action_server.calls("/reserve")
    headers = {k.lower(): v for k, v in call["headers"].items()}
    assert headers["idempotency-key"] == job_id
    [key] = signing_keys.keys_for(worker_runtime, "default", signing_keys.ACTION_SIGNING)
    assert signing.verify(key, headers["x-flowdesk-signature"], call["raw"])


def test_failures_retry_then_incident_then_api_retry_completes(client, admin, deploy_for, start, drain,
                                                               action_server, worker_runtime):
    failing = {"on": True}
    action_server.routes["/reserve"] = lambda r: (503, {"error": "down"}, {}) if failing["on"] else (200, {"ok": 1}, {})
    deploy_for("service_chain.bpmn")
    started = start("service_chain", {"sku": "A-1", "quantity": 1})

    drain(until=lambda: _instance(client, admin, started["id"])["incidents"])

    instance = _instance(client, admin, started["id"])
    [incident] = instance["incidents"]
    assert incident["element_id"] == "reserve"
    assert incident["attempts"] == 3  # retries=2 in the model: 1 try + 2 retries
    assert "503" in incident["message"]
    assert len(action_server.calls("/reserve")) == 3
    listed = client.get("/api/v1/incidents?status=open", headers=admin).get_json()["items"]
    assert [i["id"] for i in listed] == [incident["id"]]

    failing["on"] = False
    retried = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)
    assert retried.status_code == 200
    assert retried.get_json()["status"] == "resolved"
    drain(until=lambda: _instance(client, admin, started["id"])["open_tickets"])

    assert _instance(client, admin, started["id"])["variables"]["reservation"] == {"ok": 1}
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin).status_code == 409


def test_refused_url_is_incident_without_retries(client, admin, deploy_for, start, drain, action_server,
                                                 worker_runtime):
    worker_runtime.action_allow_hosts = ()
    deploy_for("service_chain.bpmn")
    started = start("service_chain", {"sku": "A-1", "quantity": 1})

    drain(until=lambda: _instance(client, admin, started["id"])["incidents"])

    [incident] = _instance(client, admin, started["id"])["incidents"]
    assert incident["attempts"] == 1
    assert "loopback" in incident["message"]
    assert action_server.calls("/reserve") == []


def test_redirect_is_refused(client, admin, deploy_for, start, drain, action_server, worker_runtime):
    action_server.routes["/reserve"] = lambda r: (302, b"", {"Location": "http://169.254.169.254/latest"})
    deploy_for("service_chain.bpmn")
    started = start("service_chain", {"sku": "A-1", "quantity": 1})

    drain(until=lambda: _instance(client, admin, started["id"])["incidents"])

    [incident] = _instance(client, admin, started["id"])["incidents"]
    assert "redirect" in incident["message"]
    assert incident["attempts"] == 1


def test_mapped_status_raises_bpmn_error(client, admin, deploy_for, start, drain, action_server, worker_runtime):
    action_server.routes["/lookup"] = lambda r: (404, {"error": "no such customer"}, {})
    deploy_for("service_error.bpmn")
    started = start("service_error")

    drain(until=lambda: _instance(client, admin, started["id"])["open_tickets"])

    instance = _instance(client, admin, started["id"])
    assert [t["element_id"] for t in instance["open_tickets"]] == ["register"]
    assert instance["incidents"] == []
    assert action_server.calls("/lookup")[0]["method"] == "GET"


def test_async_action_waits_for_signed_callback(client, admin, deploy_for, start, drain, action_server,
                                                worker_runtime):
    client.put("/api/v1/secrets/scanner_key", json={"value": "s3cr3t-key"}, headers=admin)
    action_server.routes["/scan"] = lambda r: (202, {"accepted": True}, {})
    deploy_for("service_async.bpmn")
    started = start("service_async")
    job_id = started["jobs"][0]["id"]

    drain(until=lambda: action_server.calls("/scan"))

    [call] = action_server.calls("/scan")
    headers = {k.lower(): v for k, v in call["headers"].items()}
    assert headers["x-api-key"] == "s3cr3t-key"
    assert headers["x-flowdesk-callback-url"].endswith(f"/api/v1/jobs/{job_id}/callback")
    assert _instance(client, admin, started["id"])["status"] == "running"
    forged = client.post(f"/api/v1/jobs/{job_id}/callback", json={"pages": 1},
                         headers={"X-Flowdesk-Callback-Token": "forged"})
    assert forged.status_code == 401

    answered = client.post(f"/api/v1/jobs/{job_id}/callback", json={"pages": 3},
                           headers={"X-Flowdesk-Callback-Token": headers["x-flowdesk-callback-token"]})
    assert answered.status_code == 200
    final = _instance(client, admin, started["id"])
    assert final["status"] == "completed"
    assert final["variables"]["scan"] == {"pages": 3}
    again = client.post(f"/api/v1/jobs/{job_id}/callback", json={"pages": 4},
                        headers={"X-Flowdesk-Callback-Token": headers["x-flowdesk-callback-token"]})
    assert again.status_code == 409


def test_secret_never_stored_in_job_or_task_data(client, admin, deploy_for, start, drain, action_server,
                                                 worker_runtime, caplog):
    caplog.set_level("DEBUG")
    client.put("/api/v1/secrets/scanner_key", json={"value": "s3cr3t-key"}, headers=admin)
    action_server.routes["/scan"] = lambda r: (500, {"error": "boom s3cr3t-key"}, {})
    deploy_for("service_async.bpmn")
    started = start("service_async")
    drain(until=lambda: len(action_server.calls("/scan")) >= 1)

    import sqlalchemy as sa

    with worker_runtime.db.connect() as conn:
        for table in ("jobs", "job_attempts", "instances", "incidents", "audit_events", "tickets"):
            dump = " ".join(str(row) for row in conn.execute(sa.text(f"select * from {table}")))
            assert "s3cr3t-key" not in dump, table
    assert client.get("/api/v1/secrets", headers=admin).get_json()["items"][0]["name"] == "scanner_key"
    job = client.get(f"/api/v1/jobs/{started['jobs'][0]['id']}", headers=admin).get_data(as_text=True)
    assert "s3cr3t-key" not in job
    assert "***" in job  # the action echoed the key in its error; it was scrubbed
    assert "s3cr3t-key" not in caplog.text
