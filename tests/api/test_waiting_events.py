"""Timers, messages and signals through the server: persisted between every step, woken by the scheduler."""

from pathlib import Path

import pytest

from flowdesk.engine.process import scheduler

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def deployed(deploy, clock):
    return deploy("waiting_events.bpmn")


def _instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def test_timer_waits_and_is_shown(client, admin, start, deployed, clock):
    instance = start("reminder")
    assert instance["open_tickets"] == []
    detail = _instance(client, admin, instance["id"])
    [timer] = detail["timers"]
    assert timer["element_id"] == "r_wait"
    assert timer["due"] == "2026-11-21T12:10:00+00:00"
    assert detail["next_timer_at"] == "2026-11-21T12:10:00+00:00"


def test_scheduler_does_nothing_before_due(client, admin, start, deployed, clock, runtime):
    instance = start("reminder")
    clock.advance(minutes=9)
    assert scheduler.fire_due_timers(runtime) == 0
    assert _instance(client, admin, instance["id"])["open_tickets"] == []


def test_scheduler_fires_due_timer(client, admin, start, deployed, clock, runtime):
    instance = start("reminder")
    clock.advance(minutes=10, seconds=1)
    assert scheduler.fire_due_timers(runtime) == 1
    detail = _instance(client, admin, instance["id"])
    assert [t["element_id"] for t in detail["open_tickets"]] == ["follow_up"]
    assert detail["timers"] == [] and detail["next_timer_at"] is None
    assert [h["element_id"] for h in detail["history"]][-1] == "r_wait"


def test_scheduler_fires_a_timer_at_the_instant_it_is_due(client, admin, start, deployed, clock, runtime):
    instance = start("reminder")
    clock.advance(minutes=10)
    assert scheduler.fire_due_timers(runtime) == 1
    assert [t["element_id"] for t in _instance(client, admin, instance["id"])["open_tickets"]] == ["follow_up"]


def test_scheduler_fires_at_most_its_limit_a_round_batch_by_batch(client, admin, start, deployed, clock, runtime):
    for _ in range(4):
        start("reminder")
    clock.advance(minutes=11)
    assert scheduler.fire_due_timers(runtime, limit=3, batch=2) == 3
    assert scheduler.fire_due_timers(runtime, limit=3, batch=2) == 1


def test_scheduler_fires_the_timer_due_first_first(client, admin, start, deployed, clock, runtime):
    clock.advance(minutes=1)
    later = start("reminder")  # started first, due a minute after the other
    clock.advance(minutes=-1)
    sooner = start("reminder")
    clock.advance(minutes=12)
    assert scheduler.fire_due_timers(runtime, limit=1) == 1
    assert _instance(client, admin, sooner["id"])["open_tickets"] != []
    assert _instance(client, admin, later["id"])["open_tickets"] == []


def test_message_correlates_by_business_key(client, admin, start, deployed):
    first = start("payment", business_key="ORDER-1")
    second = start("payment", business_key="ORDER-2")
    assert _instance(client, admin, first["id"])["waiting_for"][0]["name"] == "payment_received"
    response = client.post("/api/v1/messages", headers=admin, json={
        "name": "payment_received", "business_key": "ORDER-2", "variables": {"paid": 99}})
    assert response.status_code == 200
    assert response.get_json()["delivered_to"] == [second["id"]]
    assert [t["element_id"] for t in _instance(client, admin, second["id"])["open_tickets"]] == ["ship"]
    assert _instance(client, admin, second["id"])["variables"]["paid"] == 99
    assert _instance(client, admin, first["id"])["open_tickets"] == []


def test_message_with_id_is_idempotent(client, admin, start, deployed):
    start("payment", business_key="ORDER-1")
    body = {"name": "payment_received", "business_key": "ORDER-1", "message_id": "pay-1"}
    first = client.post("/api/v1/messages", headers=admin, json=body).get_json()
    again = client.post("/api/v1/messages", headers=admin, json=body)
    assert again.status_code == 200
    assert again.get_json()["delivered_to"] == first["delivered_to"]
    assert again.get_json()["replayed"] is True


def test_message_nobody_waits_for_is_404(client, admin, deployed):
    response = client.post("/api/v1/messages", headers=admin, json={"name": "payment_received"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_buffered_message_is_delivered_when_someone_waits(client, admin, start, deployed, runtime):
    response = client.post("/api/v1/messages", headers=admin, json={
        "name": "payment_received", "business_key": "ORDER-9", "buffer_ttl": 60})
    assert response.status_code == 202
    instance = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    assert [t["element_id"] for t in _instance(client, admin, instance["id"])["open_tickets"]] == ["ship"]


def test_buffered_message_expires(client, admin, start, deployed, runtime, clock):
    client.post("/api/v1/messages", headers=admin, json={"name": "payment_received", "business_key": "X",
                                                        "buffer_ttl": 60})
    clock.advance(minutes=2)
    scheduler.route_messages(runtime)
    instance = start("payment", business_key="X")
    scheduler.route_messages(runtime)
    assert _instance(client, admin, instance["id"])["open_tickets"] == []


def _buffer(client, admin, **message):
    response = client.post("/api/v1/messages", headers=admin, json={"name": "payment_received", **message})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def _ticket_ids(client, admin, instance_id):
    return [t["element_id"] for t in _instance(client, admin, instance_id)["open_tickets"]]


def test_a_buffered_message_expires_at_the_instant_its_time_is_up(client, admin, start, deployed, runtime, clock):
    _buffer(client, admin, business_key="ORDER-9", buffer_ttl=60)
    clock.advance(seconds=60)
    instance = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, instance["id"]) == []


def test_an_expired_buffered_message_does_not_hold_up_the_next_one(client, admin, start, deployed, runtime, clock):
    _buffer(client, admin, business_key="LATE", buffer_ttl=60)
    _buffer(client, admin, business_key="ORDER-9", buffer_ttl=600)
    clock.advance(minutes=2)
    instance = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, instance["id"]) == ["ship"]


def test_a_buffered_message_carries_its_variables_to_its_later_catcher(client, admin, start, deployed, runtime):
    _buffer(client, admin, business_key="ORDER-9", buffer_ttl=60, variables={"paid": 42})
    instance = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    assert _instance(client, admin, instance["id"])["variables"]["paid"] == 42


def test_a_buffered_message_waits_for_a_catcher_with_its_business_key(client, admin, start, deployed, runtime):
    _buffer(client, admin, business_key="ORDER-9", buffer_ttl=60)
    other = start("payment", business_key="ORDER-1")
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, other["id"]) == []
    own = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, own["id"]) == ["ship"]


def test_a_buffered_message_waits_for_a_catcher_with_its_correlation_keys(client, admin, start, deployed, runtime):
    _buffer(client, admin, correlation_keys={"order": "A"}, buffer_ttl=60)
    other = start("payment", variables={"order": "B"})
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, other["id"]) == []
    own = start("payment", variables={"order": "A"})
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, own["id"]) == ["ship"]


def test_a_buffered_message_for_one_instance_reaches_no_other(client, admin, start, deployed, runtime):
    addressee = start("reminder")["id"]  # exists, but does not wait for the message
    _buffer(client, admin, instance_id=addressee, buffer_ttl=60)
    other = start("payment")
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, other["id"]) == []


def test_a_buffered_message_is_not_routable_for_a_signal_of_its_name(client, admin, start, deployed, runtime):
    response = client.post("/api/v1/messages", headers=admin, json={"name": "go", "buffer_ttl": 60})
    assert response.status_code == 202
    start("wait_for_go")  # waits for the signal "go", not the message
    assert scheduler.route_messages(runtime) == 0


def test_routing_takes_at_most_limit_messages_a_round(client, admin, start, deployed, runtime):
    for key in ("ORDER-1", "ORDER-2"):
        _buffer(client, admin, business_key=key, buffer_ttl=60)
        start("payment", business_key=key)
    assert scheduler.route_messages(runtime, limit=1) == 1
    assert scheduler.route_messages(runtime, limit=1) == 1
    assert scheduler.route_messages(runtime, limit=1) == 0


def test_a_routed_buffered_message_is_caught_once(client, admin, start, deployed, runtime):
    _buffer(client, admin, business_key="ORDER-9", buffer_ttl=60)
    first = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    second = start("payment", business_key="ORDER-9")
    scheduler.route_messages(runtime)
    assert (_ticket_ids(client, admin, first["id"]), _ticket_ids(client, admin, second["id"])) == (["ship"], [])


def test_a_thrown_message_nobody_waits_for_is_routed_once(client, admin, start, deployed, runtime):
    start("pay_by_process")
    assert scheduler.route_messages(runtime) == 1
    assert scheduler.route_messages(runtime) == 0


def test_a_round_ends_the_buffering_of_expired_messages_nobody_waits_for(client, admin, start, deployed, runtime,
                                                                        clock):
    message = {"name": "payment_received", "business_key": "X", "buffer_ttl": 60, "message_id": "m-1"}
    client.post("/api/v1/messages", headers=admin, json=message)
    clock.advance(seconds=60)
    start("pay_by_process")  # gives the round something to route
    scheduler.route_messages(runtime)
    replay = client.post("/api/v1/messages", headers=admin, json=message).get_json()
    assert replay["replayed"] and replay["status"] != "buffered"


def test_a_delivery_that_breaks_is_logged_and_the_next_message_still_routed(
        client, admin, start, deployed, runtime, monkeypatch, caplog):
    broken_message = _buffer(client, admin, business_key="BROKEN", buffer_ttl=60)
    _buffer(client, admin, business_key="ORDER-9", buffer_ttl=60)
    deliver = scheduler.deliver

    def broken_for_one_key(*args, business_key=None, **kwargs):
        if business_key == "BROKEN":
            raise RuntimeError("a bug")
        return deliver(*args, business_key=business_key, **kwargs)

    monkeypatch.setattr(scheduler, "deliver", broken_for_one_key)
    broken, fine = start("payment", business_key="BROKEN"), start("payment", business_key="ORDER-9")
    assert scheduler.route_messages(runtime) == 2
    assert _ticket_ids(client, admin, fine["id"]) == ["ship"]
    assert f"message {broken_message} could not be delivered: a bug" in caplog.messages
    assert scheduler.route_messages(runtime) == 0  # not offered again
    assert _ticket_ids(client, admin, broken["id"]) == []


def test_message_start_event_starts_process(client, admin, deployed):
    response = client.post("/api/v1/messages", headers=admin, json={
        "name": "order_placed", "business_key": "WEB-5", "variables": {"items": 3}})
    [started] = response.get_json()["started"]
    detail = _instance(client, admin, started)
    assert detail["process_key"] == "order_by_message"
    assert detail["business_key"] == "WEB-5"
    assert [t["element_id"] for t in detail["open_tickets"]] == ["confirm"]


def test_message_start_event_starts_the_latest_version_once(client, admin, deployed):
    changed = (DATA / "waiting_events.bpmn").read_bytes().replace(b'name="Confirm order"', b'name="Confirm order (v2)"')
    assert client.post("/api/v1/definitions", data=changed, content_type="application/xml",
                       headers=admin).status_code == 201
    response = client.post("/api/v1/messages", headers=admin, json={"name": "order_placed"})
    [started] = response.get_json()["started"]
    detail = _instance(client, admin, started)
    assert (detail["process_key"], detail["process_version"]) == ("order_by_message", 2)
    assert [t["name"] for t in detail["open_tickets"]] == ["Confirm order (v2)"]


def test_message_thrown_by_a_process_reaches_the_waiting_one(client, admin, start, deployed, runtime):
    waiting = start("payment", business_key="ORDER-3")
    thrower = start("pay_by_process")
    assert thrower["status"] == "completed"
    assert _instance(client, admin, waiting["id"])["open_tickets"] == []

    assert scheduler.route_messages(runtime) == 1

    assert [t["element_id"] for t in _instance(client, admin, waiting["id"])["open_tickets"]] == ["ship"]


def test_timer_start_event_starts_an_instance_at_the_instant_it_is_due(client, admin, deployed, clock, runtime):
    clock.advance(hours=1)
    assert scheduler.start_timer_processes(runtime) == 1


def test_timer_starts_are_taken_at_most_limit_a_round(client, admin, deploy, deployed, clock, runtime):
    deploy("ticking_v1.bpmn")  # a second hourly timer start, due at the same time
    clock.advance(hours=1)
    assert scheduler.start_timer_processes(runtime, limit=1) == 1
    assert scheduler.start_timer_processes(runtime, limit=1) == 1
    assert scheduler.start_timer_processes(runtime, limit=1) == 0


def test_a_timer_start_that_breaks_unexpectedly_is_logged_and_the_others_still_start(
        client, admin, deploy, deployed, clock, runtime, monkeypatch, caplog):
    deploy("ticking_v1.bpmn")
    create_instance = scheduler.create_instance

    def broken_for_hourly(rt, uow, principal, version, *args, **kwargs):
        if version.process_key == "hourly":
            raise RuntimeError("a bug")
        return create_instance(rt, uow, principal, version, *args, **kwargs)

    monkeypatch.setattr(scheduler, "create_instance", broken_for_hourly)
    clock.advance(hours=1)
    assert scheduler.start_timer_processes(runtime) == 1
    assert "timer start of hourly failed" in caplog.messages
    assert [i["process_key"] for i in client.get("/api/v1/instances", headers=admin).get_json()["items"]] == ["ticking"]


def test_a_thrown_message_reaches_a_waiting_instance_of_another_business_key(client, admin, start, deployed,
                                                                            runtime):
    waiting = start("payment", business_key="ORDER-3")
    start("pay_by_process", business_key="PAYMENT-7")
    scheduler.route_messages(runtime)
    assert _ticket_ids(client, admin, waiting["id"]) == ["ship"]


def test_signal_reaches_every_waiting_instance(client, admin, start, deployed):
    waiting = [start("wait_for_go")["id"] for _ in range(3)]
    response = client.post("/api/v1/signals", headers=admin, json={"name": "go"})
    assert sorted(response.get_json()["delivered_to"]) == sorted(waiting)
    assert all(_instance(client, admin, i)["status"] == "completed" for i in waiting)


def test_timer_start_event_starts_instances_on_schedule(client, admin, deployed, clock, runtime):
    assert scheduler.start_timer_processes(runtime) == 0
    clock.advance(hours=1, seconds=1)
    assert scheduler.start_timer_processes(runtime) == 1
    clock.advance(hours=1)
    assert scheduler.start_timer_processes(runtime) == 1
    started = client.get("/api/v1/instances?process_key=hourly", headers=admin).get_json()["items"]
    assert len(started) == 2
    assert all(i["open_tickets"][0]["element_id"] == "check" for i in started)


def test_agents_may_not_send_messages(client, make_user, deployed):
    agent = make_user("ann", "agent", "agents")
    assert client.post("/api/v1/messages", headers=agent, json={"name": "go"}).status_code == 403


def test_message_without_name_is_422(client, admin):
    assert client.post("/api/v1/messages", headers=admin, json={"variables": {}}).status_code == 422
