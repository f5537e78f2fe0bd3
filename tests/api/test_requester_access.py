"""What a requester can never do: reach an endpoint of the desk or the admin, see another
requester's request, another tenant's, an internal comment, a private file or a variable the
model does not mark public. Refusals are 403/404 problem+json and change nothing."""

import io
import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from flowdesk.api.auth import REQUESTER_BLUEPRINTS, REQUESTER_ENDPOINTS, TOKEN_ENDPOINTS
from flowdesk.engine.access import identity, tenants

ISSUER = "https://idp.example.test/realms/flowdesk"
AUDIENCE = "flowdesk-api"


@pytest.fixture
def alices(client, admin, make_user, deploy):
    """alice's request of it_support, at the desk's work step, with an internal comment, an
    internal file, a public comment and a public file; carol is another requester."""
    deploy("it_support.bpmn")
    alice, carol = make_user("alice", "requester"), make_user("carol", "requester")
    bob = make_user("bob", "agent", "support")
    request_id = client.post("/api/v1/requests", json={"type": "it_support", "data": {
        "subject": "Printer", "category": "hardware"}}, headers=alice).get_json()["id"]
    [triage] = client.get("/api/v1/tickets", headers=bob).get_json()["items"]
    client.post(f"/api/v1/tickets/{triage['id']}/complete", json={"data": {"priority": "high"}},
                headers=bob)
    [work] = client.get("/api/v1/tickets?status=open", headers=bob).get_json()["items"]
    client.post(f"/api/v1/tickets/{work['id']}/comments", json={"body": "INTERNAL-NOTE"}, headers=bob)
    client.post(f"/api/v1/tickets/{work['id']}/comments", json={"body": "We are on it", "public": True}, headers=bob)
    client.post(f"/api/v1/tickets/{work['id']}/attachments", data={"file": (io.BytesIO(b"x"), "INTERNAL-FILE.txt")},
                headers=bob, content_type="multipart/form-data")
    client.post(f"/api/v1/tickets/{work['id']}/attachments", data={"file": (io.BytesIO(b"y"), "guide.txt"),
                "public": "true"}, headers=bob, content_type="multipart/form-data")
    client.post(f"/api/v1/tickets/{work['id']}/progress", json={"action": "waiting_customer",
                                                                 "comment": "INTERNAL-WAIT"}, headers=bob)

    class Alices:
        id = request_id
        ticket = work["id"]
        headers = {"alice": alice, "carol": carol, "bob": bob}
    return Alices()


def _snapshot(client, admin, alices) -> tuple:
    ticket = client.get(f"/api/v1/tickets/{alices.ticket}", headers=admin).get_json()
    comments = client.get(f"/api/v1/tickets/{alices.ticket}/comments", headers=admin).get_json()["items"]
    instance = client.get(f"/api/v1/instances/{alices.id}", headers=admin).get_json()
    audit = client.get("/api/v1/audit-log?limit=200", headers=admin).get_json()["items"]
    return ticket["status"], ticket["etag"], len(comments), instance["status"], instance["updated_at"], len(audit)


def _refused(response) -> bool:
    return response.status_code in (403, 404) and response.mimetype == "application/problem+json"


def test_a_requester_reaches_no_endpoint_but_their_own(app, client, admin, alices):
    """Every /api/v1 endpoint outside the requester API, with every method and real ids."""
    values = {"ticket_id": alices.ticket, "instance_id": alices.id, "request_id": alices.id,
              "name": "alice", "user": "alice", "process_key": "it_support", "key": "it_support"}
    before = _snapshot(client, admin, alices)
    wrong, tried = [], 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint in TOKEN_ENDPOINTS | REQUESTER_ENDPOINTS:
            continue
        if rule.endpoint.partition(".")[0] in REQUESTER_BLUEPRINTS:
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values.get(m.group(1), "1"), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            tried += 1
            response = client.open(url, method=method, json={}, headers=alices.headers["alice"])
            if response.status_code != 403 or response.mimetype != "application/problem+json":
                wrong.append(f"{method} {url}: {response.status_code}")
    assert tried > 60  # the sweep found the API (79 method and path pairs when written)
    assert wrong == []
    assert _snapshot(client, admin, alices) == before


def test_a_requester_never_reaches_another_requesters_request(client, admin, alices):
    carol = alices.headers["carol"]
    [public_file] = [e for e in client.get(f"/api/v1/requests/{alices.id}", headers=alices.headers["alice"])
                     .get_json()["timeline"] if e["kind"] == "attachment"]
    before = _snapshot(client, admin, alices)
    attempts = [
        client.get(f"/api/v1/requests/{alices.id}", headers=carol),
        client.post(f"/api/v1/requests/{alices.id}/comments", json={"body": "hi"}, headers=carol),
        client.post(f"/api/v1/requests/{alices.id}/attachments", data={"file": (io.BytesIO(b"z"), "z.txt")},
                    headers=carol, content_type="multipart/form-data"),
        client.get(f"/api/v1/requests/{alices.id}/attachments/{public_file['id']}", headers=carol),
        client.post(f"/api/v1/requests/{alices.id}/cancel", headers=carol),
        client.get(f"/api/v1/requester-tasks/{alices.ticket}", headers=carol),
        client.post(f"/api/v1/requester-tasks/{alices.ticket}/complete", json={"data": {}}, headers=carol),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert all(r.mimetype == "application/problem+json" for r in attempts)
    assert client.get("/api/v1/requests", headers=carol).get_json()["items"] == []
    assert client.get("/api/v1/requests?q=Printer", headers=carol).get_json()["items"] == []
    assert _snapshot(client, admin, alices) == before


def test_a_desk_ticket_is_no_requester_task(client, admin, alices):
    """The desk's ticket on alice's own request is not hers to read or complete."""
    alice = alices.headers["alice"]
    assert client.get(f"/api/v1/requester-tasks/{alices.ticket}", headers=alice).status_code == 404
    completed = client.post(f"/api/v1/requester-tasks/{alices.ticket}/complete",
                            json={"data": {"resolution": "self-service"}}, headers=alice)
    assert completed.status_code == 404
    assert client.get(f"/api/v1/tickets/{alices.ticket}", headers=admin).get_json()["status"] == "waiting"


def test_the_requester_sees_no_internal_comment_file_step_or_variable(client, alices, documented):
    alice = alices.headers["alice"]
    bodies = [client.get(f"/api/v1/requests/{alices.id}", headers=alice).get_json(),
              client.get("/api/v1/requests", headers=alice).get_json(),
              client.get("/api/v1/requester-tasks", headers=alice).get_json()]
    documented("Request", bodies[0])
    documented("RequestPage", bodies[1])
    text = str(bodies)
    for secret in ("INTERNAL-NOTE", "INTERNAL-FILE", "INTERNAL-WAIT", "priority", "initiator", alices.ticket):
        assert secret not in text, secret
    assert "We are on it" in text and "guide.txt" in text
    assert bodies[0]["variables"] == {"subject": "Printer", "category": "hardware"}


def test_other_roles_have_no_requests(client, admin, alices, make_user):
    for headers in (admin, alices.headers["bob"], make_user("sys", "system"), make_user("aud", "auditor")):
        for method, path in (("GET", "/requests"), ("GET", f"/requests/{alices.id}"),
                             ("POST", f"/requests/{alices.id}/comments"), ("GET", "/requester-tasks")):
            response = client.open(f"/api/v1{path}", method=method, json={"body": "x"}, headers=headers)
            assert _refused(response), (path, response.status_code)
        opened = client.post("/api/v1/requests", json={"type": "it_support", "data": {
            "subject": "x", "category": "access"}}, headers=headers)
        assert _refused(opened)
    assert client.get("/api/v1/request-types", headers=alices.headers["bob"]).status_code == 403
    assert [t["key"] for t in client.get("/api/v1/request-types", headers=admin).get_json()["items"]] == ["it_support"]


def test_a_requester_of_another_tenant_sees_nothing_of_this_one(client, runtime, alices, deploy):
    tenants.create_tenant(runtime, "acme", "Acme Corp")
    _, key = identity.create_user(runtime, "alice", "requester", tenant="acme")
    acme_alice = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/request-types", headers=acme_alice).get_json()["items"] == []
    assert client.get("/api/v1/requests", headers=acme_alice).get_json()["items"] == []
    assert client.get(f"/api/v1/requests/{alices.id}", headers=acme_alice).status_code == 404
    refused = client.post("/api/v1/requests", json={"type": "it_support", "data": {
        "subject": "x", "category": "access"}}, headers=acme_alice)
    assert refused.status_code == 404
    assert client.post(f"/api/v1/requests/{alices.id}/comments", json={"body": "x"},
                       headers=acme_alice).status_code == 404


def _pem(private_key) -> str:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_a_token_grants_the_requester_role_and_its_groups(make_client, signing_key, deploy, documented):
    deploy("requestable.bpmn", "laptop-schema.json")
    client = make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key=_pem(signing_key))
    token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "dana", "exp": int(time.time()) + 300,
                        "roles": ["requester"], "groups": ["acme"]}, signing_key, algorithm="RS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["role"] == "requester"
    kinds = [t["key"] for t in client.get("/api/v1/request-types", headers=headers).get_json()["items"]]
    assert kinds == ["call_back", "order_laptop"]
    opened = client.post("/api/v1/requests", json={"type": "order_laptop", "data": {"model": "X1"}}, headers=headers)
    assert opened.status_code == 201
    assert [r["id"] for r in client.get("/api/v1/requests", headers=headers).get_json()["items"]] == \
        [opened.get_json()["id"]]
    assert client.get("/api/v1/tickets", headers=headers).status_code == 403
    assert client.get("/api/v1/instances", headers=headers).status_code == 403


def test_a_token_with_a_desk_role_as_well_acts_with_the_desk_role(make_client, signing_key):
    client = make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key=_pem(signing_key))
    token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "erin", "exp": int(time.time()) + 300,
                        "roles": ["requester", "agent"]}, signing_key, algorithm="RS256")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["role"] == "agent"
