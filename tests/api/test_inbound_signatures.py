"""Signed inbound messages and signals: forged, tampered, stale and replayed requests change nothing."""

import json
import time

import pytest

from flowdesk.engine.access.signing import SIGNATURE_HEADER
from flowdesk.engine.access.signing import sign as sign_body


@pytest.fixture
def crm(client, admin, make_user, deploy):
    """A system user whose messages must be signed, and its secret."""
    deploy("waiting_events.bpmn")
    headers = make_user("crm", "system")
    response = client.put("/api/v1/users/crm/signing-secret", json={}, headers=admin)
    assert response.status_code == 200
    return headers, response.get_json()["secret"].encode()


def sign(secret: bytes, body: bytes, timestamp: int | None = None, path: str = "/api/v1/messages") -> str:
    """The header a caller sends: the signature covers the method and path as well as the body."""
    return sign_body(secret, body, timestamp, context=f"POST {path}\n".encode())


def _post(client, path, headers, body: dict, signature: str | None = None):
    raw = json.dumps(body).encode()
    extra = {SIGNATURE_HEADER: signature} if signature is not None else {}
    return client.post(path, data=raw, content_type="application/json", headers={**headers, **extra})


def _started(client, admin) -> int:
    return len(client.get("/api/v1/instances?process_key=order_by_message", headers=admin).get_json()["items"])


ORDER = {"name": "order_placed", "business_key": "WEB-1", "message_id": "crm-order-1"}


def test_valid_signature_is_accepted(client, admin, crm):
    headers, secret = crm
    response = _post(client, "/api/v1/messages", headers, ORDER, sign(secret, json.dumps(ORDER).encode()))
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["started"]) == 1


def test_unsigned_message_is_401(client, admin, crm):
    headers, _ = crm
    response = _post(client, "/api/v1/messages", headers, ORDER)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert _started(client, admin) == 0


def test_forged_signature_is_401(client, admin, crm):
    headers, _ = crm
    response = _post(client, "/api/v1/messages", headers, ORDER, sign(b"guessed-secret", json.dumps(ORDER).encode()))
    assert response.status_code == 401
    assert _started(client, admin) == 0


def test_signature_of_another_body_is_401(client, admin, crm):
    headers, secret = crm
    signed_for = sign(secret, json.dumps({**ORDER, "business_key": "WEB-2"}).encode())
    assert _post(client, "/api/v1/messages", headers, ORDER, signed_for).status_code == 401
    assert _started(client, admin) == 0


@pytest.mark.parametrize("offset", [-301, 301])
def test_signature_outside_the_window_is_401(client, admin, crm, offset):
    headers, secret = crm
    stale = sign(secret, json.dumps(ORDER).encode(), timestamp=int(time.time()) + offset)
    assert _post(client, "/api/v1/messages", headers, ORDER, stale).status_code == 401
    assert _started(client, admin) == 0


def test_malformed_signature_header_is_401(client, crm):
    headers, _ = crm
    assert _post(client, "/api/v1/messages", headers, ORDER, "t=now,v1=zz").status_code == 401


def test_replayed_message_is_accepted_once_with_no_second_effect(client, admin, crm):
    headers, secret = crm
    signature = sign(secret, json.dumps(ORDER).encode())
    first = _post(client, "/api/v1/messages", headers, ORDER, signature)
    replay = _post(client, "/api/v1/messages", headers, ORDER, signature)
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.get_json()["replayed"] is True
    assert replay.get_json()["started"] == first.get_json()["started"]
    assert _started(client, admin) == 1


def test_replayed_signal_has_no_second_effect(client, admin, crm, start):
    headers, secret = crm
    waiting = start("wait_for_go")
    body = {"name": "go", "message_id": "go-1"}
    signature = sign(secret, json.dumps(body).encode(), path="/api/v1/signals")
    first = _post(client, "/api/v1/signals", headers, body, signature).get_json()
    late = start("wait_for_go")  # a second broadcast would reach this one
    replay = _post(client, "/api/v1/signals", headers, body, signature).get_json()
    assert first["delivered_to"] == [waiting["id"]]
    assert replay["replayed"] is True and replay["delivered_to"] == [waiting["id"]]
    assert client.get(f"/api/v1/instances/{late['id']}", headers=admin).get_json()["status"] == "running"


def test_unsigned_signal_is_401(client, crm):
    headers, _ = crm
    assert _post(client, "/api/v1/signals", headers, {"name": "go"}).status_code == 401


def test_callers_without_a_secret_need_no_signature(client, admin, crm):
    assert _post(client, "/api/v1/messages", admin, ORDER).status_code == 200


def test_global_secret_applies_to_every_caller(make_client, admin, deploy):
    deploy("waiting_events.bpmn")
    client = make_client(inbound_signing_secret="installation-wide-secret")
    assert _post(client, "/api/v1/messages", admin, ORDER).status_code == 401
    signature = sign(b"installation-wide-secret", json.dumps(ORDER).encode())
    assert _post(client, "/api/v1/messages", admin, ORDER, signature).status_code == 200


def test_removing_the_secret_lifts_the_requirement(client, admin, crm):
    headers, _ = crm
    assert client.delete("/api/v1/users/crm/signing-secret", headers=admin).status_code == 204
    assert _post(client, "/api/v1/messages", headers, ORDER).status_code == 200


def test_secret_change_is_audited_and_the_secret_never_shown_again(client, admin, crm):
    _, secret = crm
    user = client.get("/api/v1/users/crm", headers=admin).get_json()
    assert user["signs_inbound"] is True and secret.decode() not in str(user)
    entries = client.get("/api/v1/audit-log?action=secret.changed", headers=admin).get_json()["items"]
    assert [(e["target_type"], e["target"]) for e in entries] == [("user", "crm")]
    assert secret.decode() not in str(entries)


def test_a_body_signed_for_messages_is_refused_at_signals(client, admin, crm, start):
    headers, secret = crm
    waiting = start("wait_for_go")
    body = {"name": "go"}
    signed_for_messages = sign(secret, json.dumps(body).encode(), path="/api/v1/messages")
    assert _post(client, "/api/v1/messages", headers, body, signed_for_messages).status_code != 401
    assert _post(client, "/api/v1/signals", headers, body, signed_for_messages).status_code == 401
    assert client.get(f"/api/v1/instances/{waiting['id']}", headers=admin).get_json()["status"] == "running"


def test_a_signed_message_without_an_id_replayed_in_the_window_takes_effect_once(client, admin, crm):
    headers, secret = crm
    body = {"name": "order_placed", "business_key": "WEB-1"}
    signature = sign(secret, json.dumps(body).encode())
    first = _post(client, "/api/v1/messages", headers, body, signature)
    replay = _post(client, "/api/v1/messages", headers, body, signature)
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.get_json()["replayed"] is True
    assert _started(client, admin) == 1


def test_a_signed_signal_without_an_id_replayed_in_the_window_takes_effect_once(client, admin, crm, start):
    headers, secret = crm
    start("wait_for_go")
    body = {"name": "go"}
    signature = sign(secret, json.dumps(body).encode(), path="/api/v1/signals")
    assert _post(client, "/api/v1/signals", headers, body, signature).status_code == 200
    late = start("wait_for_go")
    assert _post(client, "/api/v1/signals", headers, body, signature).get_json()["replayed"] is True
    assert client.get(f"/api/v1/instances/{late['id']}", headers=admin).get_json()["status"] == "running"
