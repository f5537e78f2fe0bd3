"""Item 1 of the security review: a narrowed API key never reaches its user's wider keys."""

import pytest


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def crm_keys(client, admin, make_user):
    """The system user ``crm`` with its full initial key and a key narrowed to ``allowed_proc``."""
    full = make_user("crm", "system")
    narrow = client.post("/api/v1/api-keys", json={"user": "crm", "process_keys": ["allowed_proc"]},
                         headers=admin).get_json()
    full_id = next(k["id"] for k in client.get("/api/v1/api-keys?user=crm", headers=admin).get_json()["items"]
                   if k["id"] != narrow["id"])
    return {"full": full, "full_id": full_id, "narrow": _bearer(narrow["key"]), "narrow_id": narrow["id"]}


def test_a_narrowed_key_lists_only_itself(client, crm_keys):
    listed = client.get("/api/v1/api-keys", headers=crm_keys["narrow"]).get_json()["items"]
    assert [k["id"] for k in listed] == [crm_keys["narrow_id"]]


def test_a_narrowed_key_cannot_rotate_its_users_full_key(client, crm_keys):
    response = client.post(f"/api/v1/api-keys/{crm_keys['full_id']}/rotate", json={"grace_seconds": 0},
                           headers=crm_keys["narrow"])
    assert response.status_code == 404
    assert client.get("/api/v1/definitions", headers=crm_keys["full"]).status_code == 200


def test_a_narrowed_key_cannot_revoke_its_users_full_key(client, crm_keys):
    response = client.delete(f"/api/v1/api-keys/{crm_keys['full_id']}", headers=crm_keys["narrow"])
    assert response.status_code == 404
    assert client.get("/api/v1/definitions", headers=crm_keys["full"]).status_code == 200


def test_rotating_a_narrowed_key_keeps_it_narrow(client, crm_keys):
    response = client.post(f"/api/v1/api-keys/{crm_keys['narrow_id']}/rotate", json={},
                           headers=crm_keys["narrow"])
    assert response.status_code == 201
    assert response.get_json()["process_keys"] == ["allowed_proc"]


def test_a_read_scoped_key_cannot_reach_a_read_write_key(client, admin, make_user):
    make_user("crm", "system")
    reader = client.post("/api/v1/api-keys", json={"user": "crm", "scopes": ["read"]}, headers=admin).get_json()
    listed = client.get("/api/v1/api-keys", headers=_bearer(reader["key"])).get_json()["items"]
    assert [k["id"] for k in listed] == [reader["id"]]


def test_the_full_key_still_manages_the_narrow_one(client, crm_keys):
    listed = {k["id"] for k in client.get("/api/v1/api-keys", headers=crm_keys["full"]).get_json()["items"]}
    assert listed == {crm_keys["full_id"], crm_keys["narrow_id"]}
    assert client.delete(f"/api/v1/api-keys/{crm_keys['narrow_id']}", headers=crm_keys["full"]).status_code == 204
    assert client.get("/api/v1/definitions", headers=crm_keys["narrow"]).status_code == 401
