"""Outbound webhooks: signed deliveries through the worker path, retried when the receiver fails."""

import json

import pytest

from flowdesk.engine.process import jobs
from flowdesk.engine.access import signing


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


@pytest.fixture
def subscribe(client, admin, action_server):
    def run(events, path="/hook"):
        response = client.post("/api/v1/webhooks", json={"url": f"{action_server.url}{path}", "events": events},
                               headers=admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return run


def test_deliveries_arrive_signed_and_verifiable(client, admin, deploy, start, drain, action_server, subscribe,
                                                 worker_runtime):
    subscription = subscribe(["instance.started", "ticket.created", "ticket.completed", "instance.completed"])
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task", business_key="B-7")
    client.post(f"/api/v1/tickets/{instance['open_tickets'][0]['id']}/complete", json={"data": {}}, headers=admin)

    drain()

    calls = action_server.calls("/hook")
    events = [c["json"]["event"] for c in calls]
    assert sorted(events) == sorted(["instance.started", "ticket.created", "ticket.completed", "instance.completed"])
    for call in calls:
        headers = {k.lower(): v for k, v in call["headers"].items()}
        assert signing.verify(subscription["secret"].encode(), headers["x-flowdesk-signature"], call["raw"])
        assert headers["x-flowdesk-event"] == call["json"]["event"]
        assert call["json"]["data"]["instance_id"] == instance["id"]
    started = next(c for c in calls if c["json"]["event"] == "instance.started")
    assert started["json"]["data"]["business_key"] == "B-7"


def test_failing_receiver_is_retried(client, admin, deploy, start, drain, action_server, subscribe, worker_runtime):
    answers = iter([500, 502, 200])
    action_server.routes["/hook"] = lambda r: (next(answers), {}, {})
    subscription = subscribe(["instance.started"])
    deploy("simple_user_task.bpmn")
    start("simple_user_task")

    drain(until=lambda: len(action_server.calls("/hook")) >= 3)
    drain()

    [delivery] = client.get(f"/api/v1/webhooks/{subscription['id']}/deliveries", headers=admin).get_json()["items"]
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 3
    ids = {c["json"]["id"] for c in action_server.calls("/hook")}
    assert ids == {delivery["id"]}


def test_unknown_event_is_422(client, admin):
    response = client.post("/api/v1/webhooks", json={"url": "https://example.org/h", "events": ["lunch.served"]},
                           headers=admin)
    assert response.status_code == 422
    assert "events" in response.get_json()["errors"]


def test_unsubscribed_gets_nothing(client, admin, deploy, start, drain, action_server, subscribe, worker_runtime):
    subscription = subscribe(["instance.started"])
    assert client.delete(f"/api/v1/webhooks/{subscription['id']}", headers=admin).status_code == 204
    deploy("simple_user_task.bpmn")
    start("simple_user_task")
    drain()
    assert action_server.calls("/hook") == []
    assert json.loads(client.get("/api/v1/webhooks", headers=admin).data)["items"][0]["active"] is False
