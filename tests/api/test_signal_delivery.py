"""Who catches a signal an instance throws: every catch waiting at that moment, the thrower's own
included, and nothing that only begins to wait later (a signal is not kept)."""

import pytest

from flowdesk.engine.process import scheduler


@pytest.fixture
def announced(client, admin, deploy, start):
    """A ``ready_to_itself`` instance whose "prepare" ticket was completed: it threw "ready"
    while its "listen" catch waited, then went on to wait at "again"."""
    deploy("waiting_twice.bpmn")
    instance = start("ready_to_itself")
    ticket = instance["open_tickets"][0]["id"]
    assert client.post(f"/api/v1/tickets/{ticket}/complete", json={"data": {}}, headers=admin).status_code == 200
    return instance["id"]


def _detail(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def _caught(client, admin, instance_id):
    return [e["element_id"] for e in _detail(client, admin, instance_id)["history"]
            if e["element_id"] in ("listen", "again")]


def test_a_signal_is_caught_by_the_throwers_own_waiting_catch(client, admin, announced):
    assert _caught(client, admin, announced) == ["listen"]
    assert [(w["kind"], w["name"]) for w in _detail(client, admin, announced)["waiting_for"]] == [("signal", "ready")]


def test_a_thrown_signal_does_not_reach_a_catch_its_thrower_waits_at_later(client, admin, runtime, announced):
    scheduler.route_messages(runtime)  # routes "ready" to the other waiting instances

    assert _caught(client, admin, announced) == ["listen"]
    assert _detail(client, admin, announced)["status"] == "running"


def test_a_thrown_signal_reaches_the_catches_of_other_instances(client, admin, runtime, start, announced):
    # Started after the throw, but waiting before the scheduler routes it: routing is when it arrives.
    other = start("ready_to_itself")["id"]

    scheduler.route_messages(runtime)

    assert _caught(client, admin, other) == ["listen"]
    assert _caught(client, admin, announced) == ["listen"]
