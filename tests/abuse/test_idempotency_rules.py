"""Idempotency keys (issues 21 and 28): concurrent duplicates replay, the fingerprint holds the
method and path, a key is looked up per caller, and old records are purged by retention."""

import threading
from datetime import timedelta

import pytest

from flowdesk.api import idempotency
from flowdesk.engine.process import retention
from flowdesk.engine.models import IdempotencyRecord
from flowdesk.engine.models.base import utcnow


def _start(client, headers, key, body=None):
    return client.post("/api/v1/processes/simple_user_task/instances", json=body or {},
                       headers={**headers, "Idempotency-Key": key})


def test_the_same_key_sent_twice_at_once_replays(app, admin, deploy):
    deploy("simple_user_task.bpmn")
    for round_ in range(4):  # a race: several rounds make losing it likely on code that allows it
        barrier, answers = threading.Barrier(2), []

        def send():
            client = app.test_client()
            barrier.wait()
            answers.append(_start(client, admin, f"same-{round_}"))
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(a.status_code for a in answers) == [201, 201], [a.get_json() for a in answers]
        assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
    instances = app.test_client().get("/api/v1/instances", headers=admin).get_json()["items"]
    assert len(instances) == 4


def test_a_key_used_on_another_path_is_not_a_replay(client, admin, deploy):
    deploy("simple_user_task.bpmn", "two_step.bpmn")
    _start(client, admin, "k1")
    other = client.post("/api/v1/processes/two_step/instances", json={}, headers={**admin, "Idempotency-Key": "k1"})
    assert other.status_code == 422
    assert "Idempotent-Replayed" not in other.headers


def test_the_fingerprint_holds_the_method(app):
    """No idempotent endpoint shares a path with another method yet; the fingerprint must still
    tell them apart, or a future one would replay the other's answer."""
    fingerprints = set()
    for method in ("POST", "PUT"):
        with app.test_request_context("/api/v1/tickets/t1/complete", method=method, json={"data": {}},
                                      headers={"Idempotency-Key": "k"}):
            fingerprints.add(idempotency.from_request("ticket.complete", lambda r: (200, r)).fingerprint)
    assert len(fingerprints) == 2


def test_another_callers_key_does_not_replay_their_answer(client, admin, deploy, make_user):
    deploy("simple_user_task.bpmn")
    first = _start(client, admin, "shared-key").get_json()
    crm = make_user("crm", "system")
    second = _start(client, crm, "shared-key")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert second.get_json()["id"] != first["id"]


def test_retention_purges_old_idempotency_records(client, admin, deploy, runtime):
    deploy("simple_user_task.bpmn")
    _start(client, admin, "old-key")
    assert retention.cleanup(runtime, utcnow() + timedelta(days=1)).idempotency_records == 0
    assert retention.cleanup(runtime, utcnow() + retention.IDEMPOTENCY_WINDOW + timedelta(days=1)
                             ).idempotency_records == 1
    with runtime.uow() as uow:
        assert uow.session.query(IdempotencyRecord).count() == 0
    again = _start(client, admin, "old-key")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
