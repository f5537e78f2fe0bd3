"""Items 4, 5 and 12 of the security review: idempotency keys and message ids belong to one caller
of one tenant, and users signed in with a token (no user row) can use every endpoint."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from flowdesk.engine.access import identity, tenants

ISSUER = "https://idp.example.test/realms/flowdesk"
AUDIENCE = "flowdesk-api"


@pytest.fixture
def token_client(make_client, signing_key):
    pem = signing_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key=pem)


@pytest.fixture
def token_for(signing_key):
    """``token_for(sub, tenant=..., roles=[...])`` -> request headers with a signed token."""
    def make(sub: str, tenant: str = "default", roles=("admin",)) -> dict:
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "exp": int(time.time()) + 300,
                  "roles": list(roles), "tenant": tenant}
        return {"Authorization": f"Bearer {jwt.encode(claims, signing_key, algorithm='RS256')}"}
    return make


@pytest.fixture
def acme_admin(runtime):
    tenants.create_tenant(runtime, "acme", "Acme Corp")
    _, key = identity.create_user(runtime, "admin", "admin", tenant="acme")
    return {"Authorization": f"Bearer {key}"}


def _start(client, headers, key="order-1"):
    return client.post("/api/v1/processes/simple_user_task/instances", json={},
                       headers={**headers, "Idempotency-Key": key})


def test_the_same_token_user_in_two_tenants_has_two_sets_of_idempotency_keys(token_client, token_for, deploy,
                                                                               acme_admin):
    deploy("simple_user_task.bpmn")
    deploy("simple_user_task.bpmn", headers=acme_admin)
    ours = _start(token_client, token_for("alice"))
    theirs = _start(token_client, token_for("alice", tenant="acme"))
    assert ours.status_code == theirs.status_code == 201, theirs.get_json()
    assert ours.get_json()["id"] != theirs.get_json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers


def test_a_long_token_subject_can_send_an_idempotency_key(token_client, token_for, deploy):
    deploy("simple_user_task.bpmn")
    headers = token_for("service-account-" + "x" * 300)
    first, again = _start(token_client, headers), _start(token_client, headers)
    assert first.status_code == again.status_code == 201, first.get_data(as_text=True)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_token_user_saves_an_inbox_filter(token_client, token_for):
    response = token_client.post("/api/v1/me/filters", json={"name": "mine", "query": {}},
                                 headers=token_for("carol", roles=("agent",)))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert [f["name"] for f in token_client.get("/api/v1/me/filters",
                                                 headers=token_for("carol", roles=("agent",))).get_json()["items"]] == ["mine"]


def test_a_message_id_claimed_by_another_sender_does_not_swallow_the_message(client, admin, deploy, make_user):
    deploy("messages.bpmn")
    squatter, shop = make_user("squatter", "system"), make_user("shop", "system")
    claimed = client.post("/api/v1/messages", json={"name": "nobody_waits", "message_id": "order-7", "buffer_ttl": 60},
                          headers=squatter)
    assert claimed.status_code in (200, 202)
    response = client.post("/api/v1/messages", json={"name": "new_order", "message_id": "order-7"}, headers=shop)
    assert response.status_code == 200
    body = response.get_json()
    assert body["replayed"] is False and len(body["started"]) == 1


def test_a_sender_still_replays_its_own_message_id(client, deploy, make_user):
    deploy("messages.bpmn")
    shop = make_user("shop", "system")
    first = client.post("/api/v1/messages", json={"name": "new_order", "message_id": "order-7"}, headers=shop)
    again = client.post("/api/v1/messages", json={"name": "new_order", "message_id": "order-7"}, headers=shop)
    assert again.get_json()["replayed"] is True and again.get_json()["started"] == first.get_json()["started"]
