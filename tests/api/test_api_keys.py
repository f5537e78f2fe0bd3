"""API keys: scopes, expiry, rotation with and without grace, revocation and last use."""

from datetime import timedelta

from flowdesk.engine.models.base import utcnow


def _new_key(client, admin, user="crm", **body):
    response = client.post("/api/v1/api-keys", json={"user": user, **body}, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_created_key_works_and_its_secret_is_shown_once(client, admin, make_user):
    make_user("crm", "system")
    created = _new_key(client, admin, name="nightly import")
    assert created["key"].startswith("fd_") and created["prefix"] == created["key"][:7]
    assert client.get("/api/v1/definitions", headers=_bearer(created["key"])).status_code == 200
    listed = client.get("/api/v1/api-keys?user=crm", headers=admin).get_json()["items"]
    assert {k["id"] for k in listed} >= {created["id"]}
    assert all("key" not in k for k in listed)


def test_read_scoped_key_cannot_write(client, admin, make_user, deploy):
    deploy("simple_user_task.bpmn")
    make_user("crm", "system")
    key = _new_key(client, admin, scopes=["read"])["key"]
    assert client.get("/api/v1/instances", headers=_bearer(key)).status_code == 200
    response = client.post("/api/v1/processes/simple_user_task/instances", json={}, headers=_bearer(key))
    assert response.status_code == 403
    assert "write" in response.get_json()["detail"]


def test_write_scoped_key_cannot_read(client, admin, make_user):
    make_user("crm", "system")
    key = _new_key(client, admin, scopes=["write"])["key"]
    assert client.get("/api/v1/instances", headers=_bearer(key)).status_code == 403


def test_unknown_scope_is_422(client, admin, make_user):
    make_user("crm", "system")
    response = client.post("/api/v1/api-keys", json={"user": "crm", "scopes": ["root"]}, headers=admin)
    assert response.status_code == 422


def test_key_for_unknown_user_is_422(client, admin):
    assert client.post("/api/v1/api-keys", json={"user": "ghost"}, headers=admin).status_code == 422


def test_expired_key_is_401(client, admin, make_user, runtime):
    make_user("crm", "system")
    key = _new_key(client, admin, expires_in=60)["key"]
    assert client.get("/api/v1/definitions", headers=_bearer(key)).status_code == 200
    later = utcnow() + timedelta(seconds=61)
    runtime.clock = lambda: later
    response = client.get("/api/v1/definitions", headers=_bearer(key))
    assert response.status_code == 401
    assert "expired" in response.get_json()["detail"]


def test_rotation_without_grace_revokes_the_old_key(client, admin, make_user):
    make_user("crm", "system")
    old = _new_key(client, admin, scopes=["read"], process_keys=["billing"])
    response = client.post(f"/api/v1/api-keys/{old['id']}/rotate", json={}, headers=admin)
    assert response.status_code == 201
    new = response.get_json()
    assert new["key"] != old["key"] and new["scopes"] == ["read"] and new["process_keys"] == ["billing"]
    assert client.get("/api/v1/definitions", headers=_bearer(old["key"])).status_code == 401
    assert client.get("/api/v1/definitions", headers=_bearer(new["key"])).status_code == 200


def test_rotation_with_grace_keeps_the_old_key_until_the_grace_ends(client, admin, make_user, runtime):
    make_user("crm", "system")
    old = _new_key(client, admin)
    new = client.post(f"/api/v1/api-keys/{old['id']}/rotate", json={"grace_seconds": 3600}, headers=admin).get_json()
    assert client.get("/api/v1/definitions", headers=_bearer(old["key"])).status_code == 200
    later = utcnow() + timedelta(seconds=3601)
    runtime.clock = lambda: later
    assert client.get("/api/v1/definitions", headers=_bearer(old["key"])).status_code == 401
    assert client.get("/api/v1/definitions", headers=_bearer(new["key"])).status_code == 200


def test_a_key_is_rotated_only_once(client, admin, make_user):
    make_user("crm", "system")
    old = _new_key(client, admin)
    client.post(f"/api/v1/api-keys/{old['id']}/rotate", json={"grace_seconds": 60}, headers=admin)
    assert client.post(f"/api/v1/api-keys/{old['id']}/rotate", json={}, headers=admin).status_code == 422


def test_owner_rotates_their_own_key(client, admin, make_user):
    make_user("crm", "system")
    mine = _new_key(client, admin)
    response = client.post(f"/api/v1/api-keys/{mine['id']}/rotate", json={}, headers=_bearer(mine["key"]))
    assert response.status_code == 201
    assert client.get("/api/v1/definitions", headers=_bearer(response.get_json()["key"])).status_code == 200


def test_someone_elses_key_is_404(client, admin, make_user):
    make_user("crm", "system")
    theirs = _new_key(client, admin)
    other = make_user("erp", "system")
    assert client.post(f"/api/v1/api-keys/{theirs['id']}/rotate", json={}, headers=other).status_code == 404
    assert client.delete(f"/api/v1/api-keys/{theirs['id']}", headers=other).status_code == 404


def test_revoked_key_is_401(client, admin, make_user):
    make_user("crm", "system")
    key = _new_key(client, admin)
    assert client.delete(f"/api/v1/api-keys/{key['id']}", headers=admin).status_code == 204
    response = client.get("/api/v1/definitions", headers=_bearer(key["key"]))
    assert response.status_code == 401
    assert "revoked" in response.get_json()["detail"]


def test_last_use_is_written_at_most_once_a_minute(client, admin, make_user, runtime):
    make_user("crm", "system")
    key = _new_key(client, admin)
    start = utcnow()
    runtime.clock = lambda: start
    client.get("/api/v1/definitions", headers=_bearer(key["key"]))
    runtime.clock = lambda: start + timedelta(seconds=30)
    client.get("/api/v1/definitions", headers=_bearer(key["key"]))

    def last_used():
        listed = client.get("/api/v1/api-keys?user=crm", headers=admin).get_json()["items"]
        return next(k["last_used_at"] for k in listed if k["id"] == key["id"])
    assert last_used().startswith(start.strftime("%Y-%m-%dT%H:%M:%S"))
    runtime.clock = lambda: start + timedelta(seconds=61)
    client.get("/api/v1/definitions", headers=_bearer(key["key"]))
    assert last_used().startswith((start + timedelta(seconds=61)).strftime("%Y-%m-%dT%H:%M:%S"))


def test_key_changes_are_in_the_audit_log(client, admin, make_user):
    make_user("crm", "system")
    key = _new_key(client, admin)
    client.post(f"/api/v1/api-keys/{key['id']}/rotate", json={"grace_seconds": 10}, headers=admin)
    client.delete(f"/api/v1/api-keys/{key['id']}", headers=admin)
    entries = client.get("/api/v1/audit-log", headers=admin).get_json()["items"]
    mine = [(e["action"], e["actor"]) for e in entries if e["target"] == key["id"]]
    assert mine == [("api_key.created", "admin"), ("api_key.rotated", "admin"), ("api_key.revoked", "admin")]
    assert all(key["key"] not in str(e) for e in entries)
