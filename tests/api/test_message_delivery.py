"""Who gets a message: an uncorrelated one goes to exactly one waiter, the one waiting longest, and
is caught once there; ``all`` lets every wait catch it."""

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
    response = client.post("/api/v1/messages", headers=admin, json={"name": "payment_received"} | body)
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


@pytest.fixture
def deposit_and_balance(client, admin, deploy, start, clock):
    """``first`` waits for "paid" twice (deposit, then balance), ``second`` once, in between:
    first's deposit wait began before second's, its balance wait after."""
    deploy("waiting_twice.bpmn")
    first = start("two_payments")
    clock.advance(minutes=1)
    second = start("two_payments")
    clock.advance(minutes=1)
    ticket = first["open_tickets"][0]["id"]
    assert client.post(f"/api/v1/tickets/{ticket}/complete", json={"data": {}}, headers=admin).status_code == 200
    return first["id"], second["id"]


def _paid(client, admin, instance_id):
    detail = client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()
    return [e["element_id"] for e in detail["history"] if e["element_id"] in ("deposit", "balance")]


def test_an_instance_waiting_twice_ranks_by_the_wait_that_began_first(client, admin, deposit_and_balance):
    first, second = deposit_and_balance

    assert [_send(client, admin, name="paid")["delivered_to"] for _ in range(3)] == [[first], [second], [first]]


def test_one_message_is_caught_once_by_an_instance_waiting_twice(client, admin, deposit_and_balance):
    first, _second = deposit_and_balance

    _send(client, admin, name="paid", instance_id=first)

    assert _paid(client, admin, first) == ["deposit"]
    assert [w["element_id"] for w in client.get(f"/api/v1/instances/{first}", headers=admin)
            .get_json()["waiting_for"]] == ["balance"]


def test_a_message_sent_to_all_is_caught_by_every_wait_of_every_waiter(client, admin, deposit_and_balance):
    first, second = deposit_and_balance

    body = _send(client, admin, name="paid", all=True)

    assert sorted(body["delivered_to"]) == sorted([first, second])
    assert sorted(_paid(client, admin, first)) == ["balance", "deposit"]
    assert client.get(f"/api/v1/instances/{first}", headers=admin).get_json()["status"] == "completed"
    assert _paid(client, admin, second) == ["deposit"]


def test_all_cannot_be_buffered(client, admin):
    response = client.post("/api/v1/messages", headers=admin, json={"name": "paid", "all": True, "buffer_ttl": 60})

    assert response.status_code == 422
    assert "all" in response.get_json()["errors"]


def test_a_message_is_kept_for_at_most_the_documented_seven_days(client, admin):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    documented = schemas["MessageInput"]["properties"]["buffer_ttl"]
    assert documented["maximum"] == 7 * 24 * 3600 and "7 days" in documented["description"]

    response = client.post("/api/v1/messages", headers=admin,
                           json={"name": "paid", "buffer_ttl": 7 * 24 * 3600 + 1})

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "buffer_ttl" in response.get_json()["errors"]
