"""Who gets a message: an uncorrelated one goes to exactly one waiter, the one waiting longest."""

import pytest


@pytest.fixture
def waiters(deploy, start, clock):
    """Five payment instances, each starting to wait a minute after the one before."""
    deploy("waiting_events.bpmn")
    ids = []
    for _ in range(5):
        ids.append(start("payment")["id"])
        clock.advance(minutes=1)
    return ids


def _send(client, admin, **body):
    response = client.post("/api/v1/messages", headers=admin, json={"name": "payment_received", **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _still_waiting(client, admin, ids):
    return [i for i in ids
            if client.get(f"/api/v1/instances/{i}", headers=admin).get_json()["waiting_for"]]


def test_an_uncorrelated_message_goes_to_the_longest_waiting_instance(client, admin, waiters):
    assert [_send(client, admin)["delivered_to"] for _ in waiters] == [[i] for i in waiters]


def test_an_uncorrelated_message_goes_to_exactly_one_instance(client, admin, waiters):
    _send(client, admin)

    assert _still_waiting(client, admin, waiters) == waiters[1:]


def test_a_message_with_a_business_key_goes_to_every_match(client, admin, deploy, start):
    deploy("waiting_events.bpmn")
    ids = [start("payment", business_key="order-7")["id"] for _ in range(2)]

    assert sorted(_send(client, admin, business_key="order-7")["delivered_to"]) == sorted(ids)


def test_waiters_that_began_at_the_same_instant_get_it_in_the_order_they_began(client, admin, deploy, start, clock):
    deploy("waiting_events.bpmn")
    ids = [start("payment")["id"] for _ in range(4)]  # the test clock stands still: one instant

    assert [_send(client, admin)["delivered_to"] for _ in ids] == [[i] for i in ids]


def test_a_message_for_one_instance_goes_to_that_instance_only(client, admin, waiters):
    assert _send(client, admin, instance_id=waiters[2])["delivered_to"] == [waiters[2]]

    assert _still_waiting(client, admin, waiters) == waiters[:2] + waiters[3:]
