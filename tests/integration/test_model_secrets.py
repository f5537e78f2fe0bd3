"""The tenant's allow-list of secrets models may use: a model names a secret, the admin decides."""

from __future__ import annotations

import pytest

from flowdesk.engine.process import jobs


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


def _instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def test_secret_off_the_allow_list_is_never_sent(client, admin, deploy_for, start, drain, action_server,
                                                worker_runtime):
    client.put("/api/v1/secrets/scanner_key", json={"value": "s3cr3t-key", "models_may_use": False}, headers=admin)
    deploy_for("service_async.bpmn")
    started = start("service_async")

    drain(until=lambda: _instance(client, admin, started["id"])["incidents"])

    [incident] = _instance(client, admin, started["id"])["incidents"]
    assert "scanner_key' is not one a model may use" in incident["message"]
    assert action_server.calls("/scan") == []


def test_new_secrets_are_on_the_allow_list_until_taken_off(client, admin):
    client.put("/api/v1/secrets/scanner_key", json={"value": "s3cr3t-key"}, headers=admin)
    client.put("/api/v1/secrets/vault_token", json={"value": "t0ken", "models_may_use": False}, headers=admin)
    client.put("/api/v1/secrets/vault_token", json={"value": "t0ken-2"}, headers=admin)

    listed = client.get("/api/v1/secrets", headers=admin).get_json()["items"]

    assert {s["name"]: s["models_may_use"] for s in listed} == {"scanner_key": True, "vault_token": False}
