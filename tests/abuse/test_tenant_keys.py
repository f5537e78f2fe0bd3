"""Item 3 of the security review: each tenant signs its action calls and mints its callback tokens
with keys of its own, so one tenant's receiver can neither forge calls to another tenant's
receivers nor complete another tenant's job; keys rotate with an overlap."""

from datetime import timedelta
from pathlib import Path

import pytest

from flowdesk.engine.access import identity, signing, signing_keys, tenants
from flowdesk.engine.process import jobs
from flowdesk.engine.store import tenancy
from flowdesk.workers import actions

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def acme(runtime):
    tenants.create_tenant(runtime, "acme", "Acme Corp")
    _, key = identity.create_user(runtime, "admin", "admin", tenant="acme")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def acme_job(client, acme, runtime, action_server):
    """A claimed async action job of tenant acme: what its worker sends, and the job id."""
    action_server.routes["/scan"] = lambda r: (202, {}, {})
    assert client.put("/api/v1/secrets/scanner_key", json={"value": "k"}, headers=acme).status_code in (200, 201)
    model = (DATA / "service_async.bpmn").read_text().replace("{{port}}", str(action_server.port)).encode()
    assert client.post("/api/v1/definitions", data=model, content_type="application/xml",
                       headers=acme).status_code == 201
    started = client.post("/api/v1/processes/service_async/instances", headers=acme, json={"variables": {}})
    [job] = started.get_json()["jobs"]
    runtime.action_allow_hosts = ("127.0.0.1",)
    claimed = jobs.claim(runtime, job["id"])
    with tenancy.acting_for(claimed.tenant_id):  # as the worker runs it
        assert actions.attempt(runtime, claimed).status_code == 202
    [call] = action_server.calls("/scan")
    return {"id": job["id"], "headers": {k.lower(): v for k, v in call["headers"].items()}, "raw": call["raw"]}


def _callback(client, job_id, token):
    return client.post(f"/api/v1/jobs/{job_id}/callback", json={"pages": 1},
                       headers={"X-Flowdesk-Callback-Token": token})


def test_each_tenant_and_purpose_has_its_own_key(runtime, acme):
    keys = {(tenant, purpose): tuple(signing_keys.keys_for(runtime, tenant, purpose))
            for tenant in ("default", "acme") for purpose in signing_keys.PURPOSES}
    assert len(set(keys.values())) == 4


def test_an_action_call_verifies_only_with_its_tenants_key(runtime, acme_job):
    header = acme_job["headers"]["x-flowdesk-signature"]
    [acme_key] = signing_keys.keys_for(runtime, "acme", signing_keys.ACTION_SIGNING)
    [default_key] = signing_keys.keys_for(runtime, "default", signing_keys.ACTION_SIGNING)
    assert signing.verify(acme_key, header, acme_job["raw"])
    assert not signing.verify(default_key, header, acme_job["raw"])


def test_another_tenants_receiver_cannot_complete_the_job(client, runtime, acme_job):
    for purpose in signing_keys.PURPOSES:  # whatever key the default tenant's receiver could hold
        [key] = signing_keys.keys_for(runtime, "default", purpose)
        assert _callback(client, acme_job["id"], signing.token(key, "job-callback", acme_job["id"])).status_code == 401


def test_the_signing_key_does_not_mint_callback_tokens(client, runtime, acme_job):
    [key] = signing_keys.keys_for(runtime, "acme", signing_keys.ACTION_SIGNING)
    assert _callback(client, acme_job["id"], signing.token(key, "job-callback", acme_job["id"])).status_code == 401


def test_the_token_sent_with_the_call_completes_the_job(client, acme_job):
    assert _callback(client, acme_job["id"], acme_job["headers"]["x-flowdesk-callback-token"]).status_code == 200


def test_a_rotation_signs_with_both_keys_and_accepts_old_tokens_until_the_overlap_ends(client, runtime, clock,
                                                                                      acme_job):
    [old] = signing_keys.keys_for(runtime, "acme", signing_keys.ACTION_SIGNING)
    new, previous = signing_keys.rotate(runtime, "acme", 3600)
    assert previous == old and new != old
    header = signing.sign(signing_keys.keys_for(runtime, "acme", signing_keys.ACTION_SIGNING), b"{}")
    assert signing.verify(old, header, b"{}") and signing.verify(new, header, b"{}")
    clock.advance(hours=1, seconds=1)
    assert signing_keys.keys_for(runtime, "acme", signing_keys.ACTION_SIGNING) == [new]
    assert _callback(client, acme_job["id"], acme_job["headers"]["x-flowdesk-callback-token"]).status_code == 401


def test_an_old_callback_token_works_within_the_overlap(client, runtime, acme_job):
    signing_keys.rotate(runtime, "acme", 3600)
    assert _callback(client, acme_job["id"], acme_job["headers"]["x-flowdesk-callback-token"]).status_code == 200


def test_a_rotation_without_overlap_drops_the_old_key_at_once(client, runtime, acme_job):
    assert len(signing_keys.rotate(runtime, "acme", 0)) == 1
    assert _callback(client, acme_job["id"], acme_job["headers"]["x-flowdesk-callback-token"]).status_code == 401
