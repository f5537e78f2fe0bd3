"""Several schedulers on one PostgreSQL: SKIP LOCKED shares the due timers, none runs twice."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from flowdesk.engine.process import scheduler
from flowdesk.workers import scheduler as loop


def test_two_schedulers_fire_each_timer_once(client, admin, deploy, start, runtime):
    deploy("waiting_events.bpmn")
    ids = [start("reminder")["id"] for _ in range(30)]
    real = runtime.clock
    runtime.clock = lambda: real() + timedelta(minutes=11)
    fired = []

    def run():
        fired.append(scheduler.fire_due_timers(runtime))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(fired) == 30
    with runtime.db.connect() as conn:
        counts = dict(conn.execute(sa.text(
            "select instance_id, count(*) from audit_events where action = 'timer.fired' group by instance_id")).all())
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}
    for instance_id in ids:
        detail = client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()
        assert [t["element_id"] for t in detail["open_tickets"]] == ["follow_up"]


def test_a_failing_timer_in_a_batch_rolls_back_alone(client, admin, deploy, start, runtime):
    deploy("timer_then_script.bpmn")
    ids = [start("timer_then_script", {"divisor": divisor})["id"] for divisor in (1, 2, 0, 4)]
    real = runtime.clock
    runtime.clock = lambda: real() + timedelta(minutes=11)

    assert scheduler.fire_due_timers(runtime, batch=10) == 4

    detail = {i: client.get(f"/api/v1/instances/{i}", headers=admin).get_json() for i in ids}
    assert [detail[i]["status"] for i in ids] == ["completed", "completed", "running", "completed"]
    assert [detail[i]["variables"].get("share") for i in ids] == [100, 50, None, 25]
    failed = detail[ids[2]]
    assert failed["next_timer_at"] is None
    assert [i["element_id"] for i in failed["incidents"]] == ["divide"]
    assert scheduler.fire_due_timers(runtime) == 0


def test_an_action_body_that_fails_after_a_timer_leaves_the_batch_alone(client, admin, deploy, start, runtime):
    deploy("timer_then_action.bpmn")
    ids = [start("timer_then_action", {"divisor": divisor})["id"] for divisor in (1, 0, 4)]
    real = runtime.clock
    runtime.clock = lambda: real() + timedelta(minutes=11)

    assert scheduler.fire_due_timers(runtime, batch=10) == 3

    detail = {i: client.get(f"/api/v1/instances/{i}", headers=admin).get_json() for i in ids}
    assert [[j["element_id"] for j in detail[i]["jobs"]] for i in ids] == [["notify"], [], ["notify"]]
    assert [i["element_id"] for i in detail[ids[1]]["incidents"]] == ["notify"]
    assert detail[ids[1]]["next_timer_at"] is None


def test_the_scheduler_sleeps_until_the_next_timer_by_the_runtime_clock(deploy, start, runtime, clock):
    deploy("waiting_events.bpmn")
    start("reminder")  # a timer due in ten minutes
    assert loop._sleep_for(runtime) == loop.MAX_SLEEP  # never longer: new work may come in meanwhile

    clock.advance(minutes=10, seconds=-0.1)

    assert loop._sleep_for(runtime) == pytest.approx(0.1)
