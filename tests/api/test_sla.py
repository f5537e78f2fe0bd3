"""SLAs on the injectable clock: due dates, at risk and breached, pausing, business hours, breaches."""

from datetime import datetime, timedelta, timezone

import pytest

from flowdesk.engine.process import scheduler

PROBLEM = "application/problem+json"
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
OFFICE = {"time_zone": "Europe/Berlin", "working_days": [1, 2, 3, 4, 5], "hours": ["09:00", "17:00"],
          "holidays": ["2026-12-25"]}


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(runtime):
    runtime.clock = Clock(MONDAY)
    return runtime.clock


@pytest.fixture
def bob(make_user):
    return make_user("bob", "agent", "agents")


@pytest.fixture(autouse=True)
def deployed(deploy):
    deploy("sla.bpmn")


def _ticket(client, admin, ticket_id):
    response = client.get(f"/api/v1/tickets/{ticket_id}", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _progress(client, headers, ticket_id, action):
    response = client.post(f"/api/v1/tickets/{ticket_id}/progress", json={"action": action}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _office(client, admin, **changes):
    response = client.put("/api/v1/calendars/office", json={**OFFICE, **changes}, headers=admin)
    assert response.status_code in (200, 201), response.get_json()


def test_sla_property_sets_due_date_and_state(client, admin, start, clock):
    [ticket] = start("sla_plain")["open_tickets"]
    assert _at(ticket["due_at"]) == MONDAY + timedelta(hours=4)
    assert ticket["sla"]["state"] == "ok"
    assert ticket["sla"]["remaining_seconds"] == 4 * 3600
    assert _at(ticket["sla"]["at_risk_at"]) == MONDAY + timedelta(hours=3)


def test_state_turns_at_risk_at_75_percent_then_breached(client, admin, start, clock):
    [ticket] = start("sla_plain")["open_tickets"]
    clock.advance(hours=2, minutes=59)
    assert _ticket(client, admin, ticket["id"])["sla"]["state"] == "ok"
    clock.advance(minutes=1)
    assert _ticket(client, admin, ticket["id"])["sla"]["state"] == "at_risk"
    clock.advance(hours=1, seconds=30)
    sla = _ticket(client, admin, ticket["id"])["sla"]
    assert (sla["state"], sla["remaining_seconds"]) == ("breached", -30)


def test_waiting_stops_the_clock_and_resume_moves_the_due_date(client, admin, start, clock, runtime, bob):
    [ticket] = start("sla_plain")["open_tickets"]
    clock.advance(hours=1)
    _progress(client, bob, ticket["id"], "waiting_customer")
    clock.advance(hours=5)  # past the original due date, but paused
    paused = _ticket(client, admin, ticket["id"])["sla"]
    assert (paused["state"], paused["paused"], paused["remaining_seconds"]) == ("ok", True, 3 * 3600)
    scheduler.run_round(runtime)
    resumed = _progress(client, bob, ticket["id"], "resume")
    assert _at(resumed["due_at"]) == MONDAY + timedelta(hours=9)
    assert resumed["sla"]["paused"] is False and resumed["sla"]["remaining_seconds"] == 3 * 3600
    step = client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=admin).get_json()["items"][-1]
    assert step["action"] == "resumed"
    assert step["metadata"]["paused_seconds"] == 5 * 3600
    assert _at(step["metadata"]["due_at_before"]) == MONDAY + timedelta(hours=4)
    assert "sla_breached" not in [p["action"] for p in client.get(
        f"/api/v1/tickets/{ticket['id']}/progressions", headers=admin).get_json()["items"]]


def test_business_hours_skip_the_weekend(client, admin, start, clock):
    _office(client, admin)
    clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)  # Friday 16:00 in Berlin
    [ticket] = start("sla_office")["open_tickets"]
    # One hour on Friday, the second on Monday from 09:00 Berlin (08:00 UTC).
    assert _at(ticket["due_at"]) == datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    assert ticket["sla"]["calendar"] == "office"
    assert _at(ticket["sla"]["at_risk_at"]) == datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc)


def test_business_hours_skip_the_night(client, admin, start, clock):
    _office(client, admin)
    clock.now = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)  # Thursday 16:00 in Berlin
    [ticket] = start("sla_office")["open_tickets"]
    assert _at(ticket["due_at"]) == datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def test_business_hours_skip_holidays(client, admin, start, clock):
    _office(client, admin, holidays=["2026-11-30"])
    clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)
    [ticket] = start("sla_office")["open_tickets"]
    assert _at(ticket["due_at"]) == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_pause_over_the_weekend_moves_the_due_date_by_working_time_only(client, admin, start, clock, bob):
    _office(client, admin)
    clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)
    [ticket] = start("sla_office")["open_tickets"]
    clock.advance(minutes=30)  # Friday 16:30 Berlin
    _progress(client, bob, ticket["id"], "waiting_customer")
    clock.now = datetime(2026, 11, 30, 8, 30, tzinfo=timezone.utc)  # Monday 09:30 Berlin
    resumed = _progress(client, bob, ticket["id"], "resume")
    # Waited 30 working minutes on Friday and 30 on Monday: due one working hour later.
    assert _at(resumed["due_at"]) == datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def test_unknown_calendar_counts_wall_clock_time(client, admin, start, clock):
    [ticket] = start("sla_office")["open_tickets"]
    assert _at(ticket["due_at"]) == MONDAY + timedelta(hours=2)
    assert ticket["sla"]["calendar"] is None


def test_sla_expression_reads_the_variables(client, admin, start, clock):
    [urgent] = start("sla_expression", {"urgent": True})["open_tickets"]
    [normal] = start("sla_expression", {"urgent": False})["open_tickets"]
    assert _at(urgent["due_at"]) == MONDAY + timedelta(hours=1)
    assert _at(normal["due_at"]) == MONDAY + timedelta(days=1)


def test_failing_sla_expression_leaves_no_due_date(client, admin, start, clock):
    [ticket] = start("sla_expression")["open_tickets"]  # `urgent` is not set
    assert ticket["due_at"] is None and ticket["sla"]["state"] == "ok"


def test_breach_fires_once_as_progression_and_webhook(client, admin, start, clock, runtime):
    hook = client.post("/api/v1/webhooks", json={"url": "https://example.org/hook", "events": ["ticket.sla_breached"]},
                       headers=admin).get_json()
    [ticket] = start("sla_plain")["open_tickets"]
    scheduler.run_round(runtime)
    clock.advance(hours=4, minutes=1)
    scheduler.run_round(runtime)
    clock.advance(minutes=5)
    scheduler.run_round(runtime)
    steps = client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=admin).get_json()["items"]
    [breach] = [s for s in steps if s["action"] == "sla_breached"]
    assert breach["performed_by"] is None and breach["metadata"]["overdue_seconds"] == 60
    deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).get_json()["items"]
    assert len(deliveries) == 1
    sla = _ticket(client, admin, ticket["id"])["sla"]
    assert sla["state"] == "breached"
    assert _at(sla["breached_at"]) == MONDAY + timedelta(hours=4, minutes=1)


def test_waiting_ticket_does_not_breach(client, admin, start, clock, runtime, bob):
    [ticket] = start("sla_plain")["open_tickets"]
    _progress(client, bob, ticket["id"], "waiting_customer")
    clock.advance(hours=6)
    scheduler.run_round(runtime)
    assert _ticket(client, admin, ticket["id"])["sla"]["breached_at"] is None


def test_completed_ticket_does_not_breach(client, admin, start, clock, runtime, bob):
    [ticket] = start("sla_plain")["open_tickets"]
    client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=bob)
    clock.advance(hours=6)
    scheduler.run_round(runtime)
    after = _ticket(client, admin, ticket["id"])["sla"]
    assert (after["state"], after["breached_at"], after["remaining_seconds"]) == ("ok", None, None)


def test_calendar_round_trip(client, admin, make_user):
    created = client.put("/api/v1/calendars/office", json=OFFICE, headers=admin)
    assert created.status_code == 201
    assert client.put("/api/v1/calendars/office", json={**OFFICE, "hours": ["08:00", "16:00"]},
                      headers=admin).status_code == 200
    agent = make_user("bob", "agent", "agents")
    shown = client.get("/api/v1/calendars/office", headers=agent).get_json()
    assert (shown["hours"], shown["working_days"], shown["holidays"]) == (["08:00", "16:00"], [1, 2, 3, 4, 5],
                                                                          ["2026-12-25"])
    assert [c["name"] for c in client.get("/api/v1/calendars", headers=agent).get_json()["items"]] == ["office"]
    assert client.delete("/api/v1/calendars/office", headers=admin).status_code == 204
    assert client.get("/api/v1/calendars/office", headers=admin).status_code == 404


@pytest.mark.parametrize("field, value", [
    ("time_zone", "Mars/Olympus"), ("working_days", [0, 1]), ("working_days", []), ("working_days", [1, 1]),
    ("hours", ["17:00", "09:00"]), ("hours", ["9am", "5pm"]), ("hours", ["09:00"]), ("holidays", ["2026-13-01"]),
])
def test_bad_calendar_is_422_and_nothing_is_stored(client, admin, field, value):
    response = client.put("/api/v1/calendars/office", json={**OFFICE, field: value}, headers=admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field in response.get_json()["errors"]
    assert client.get("/api/v1/calendars/office", headers=admin).status_code == 404


def test_only_admins_define_calendars(client, admin, make_user):
    response = client.put("/api/v1/calendars/office", json=OFFICE, headers=make_user("mo", "modeler"))
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert client.get("/api/v1/calendars/office", headers=admin).status_code == 404


def test_bad_calendar_name_is_422(client, admin):
    response = client.put("/api/v1/calendars/bad%20name", json=OFFICE, headers=admin)
    assert response.status_code == 422 and "name" in response.get_json()["errors"]


def test_group_inbox_by_due_date_sees_the_moved_due_date(client, admin, start, clock, bob):
    [paused] = start("sla_plain")["open_tickets"]
    clock.advance(hours=1)
    [later] = start("sla_plain")["open_tickets"]  # due an hour after the first
    _progress(client, bob, paused["id"], "waiting_customer")
    clock.advance(hours=2)
    _progress(client, bob, paused["id"], "resume")  # its due date moves 2 hours: after the other's
    listed = client.get("/api/v1/tickets?candidate_group=agents&sort=due", headers=bob).get_json()["items"]
    assert [t["id"] for t in listed] == [later["id"], paused["id"]]
    assert [t["sla"]["remaining_seconds"] for t in listed] == [2 * 3600, 3 * 3600]  # on the test clock


def test_timer_boundary_events_are_the_sla_of_a_task_without_due_date(client, admin, start, clock, runtime, deploy):
    deploy("timers.bpmn")  # process "sla": 30 minutes non-interrupting reminder, 2 hours interrupting
    [ticket] = start("sla")["open_tickets"]
    assert _at(ticket["due_at"]) == MONDAY + timedelta(hours=2)
    assert _at(ticket["sla"]["at_risk_at"]) == MONDAY + timedelta(minutes=30)
    clock.advance(minutes=20)
    assert _ticket(client, admin, ticket["id"])["sla"]["state"] == "ok"
    clock.advance(minutes=20)
    assert _ticket(client, admin, ticket["id"])["sla"]["state"] == "at_risk"
    clock.advance(hours=2)
    scheduler.run_round(runtime)  # the diagram takes its breach path: the ticket is cancelled
    assert _ticket(client, admin, ticket["id"])["status"] == "cancelled"
    names = [t["element_id"] for t in client.get("/api/v1/tickets?status=open", headers=admin).get_json()["items"]]
    assert "escalate" in names


def _steps(client, admin, ticket_id):
    return client.get(f"/api/v1/tickets/{ticket_id}/progressions", headers=admin).get_json()["items"]


def test_a_firing_boundary_timer_escalates_the_ticket(client, admin, start, clock, runtime, deploy):
    deploy("timers.bpmn")
    hook = client.post("/api/v1/webhooks", json={"url": "https://example.org/hook", "events": ["ticket.escalated"]},
                       headers=admin).get_json()
    [ticket] = start("sla")["open_tickets"]
    clock.advance(minutes=31)
    scheduler.run_round(runtime)  # the non-interrupting reminder: the ticket stays open
    [reminder] = [s for s in _steps(client, admin, ticket["id"]) if s["action"] == "escalated"]
    assert reminder["metadata"]["boundary_event"] == "remind_timer"
    assert reminder["metadata"]["interrupting"] is False and reminder["new_status"] == "open"
    assert _ticket(client, admin, ticket["id"])["status"] == "open"
    clock.advance(hours=2)
    scheduler.run_round(runtime)  # the interrupting one: escalated, then cancelled by the diagram
    actions = [(s["action"], s["metadata"].get("boundary_event")) for s in _steps(client, admin, ticket["id"])]
    # The scheduler marks the breach first, then fires the timer whose path the diagram takes.
    assert actions[1:] == [("escalated", "remind_timer"), ("sla_breached", None), ("escalated", "sla_timer"),
                           ("cancelled", None)]
    deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).get_json()["items"]
    assert len(deliveries) == 2


def test_a_waiting_ticket_holds_the_diagram_timers(client, admin, start, clock, runtime, deploy):
    deploy("timers.bpmn")
    [ticket] = start("sla")["open_tickets"]
    _progress(client, admin, ticket["id"], "waiting_customer")
    clock.advance(hours=3)
    scheduler.run_round(runtime)  # both timers would be long due: held, neither fires
    assert _ticket(client, admin, ticket["id"])["status"] == "waiting"
    assert not [s for s in _steps(client, admin, ticket["id"]) if s["action"] == "escalated"]
    open_elements = [t["element_id"] for t in client.get("/api/v1/tickets?status=open", headers=admin).get_json()["items"]]
    assert "escalate" not in open_elements and "remind" not in open_elements


def test_resuming_moves_the_diagram_timers_by_the_time_waited(client, admin, start, clock, runtime, deploy):
    deploy("timers.bpmn")
    [ticket] = start("sla")["open_tickets"]
    _progress(client, admin, ticket["id"], "waiting_customer")
    clock.advance(hours=3)
    resumed = _progress(client, admin, ticket["id"], "resume")
    assert _at(resumed["due_at"]) == MONDAY + timedelta(hours=5)
    [step] = [s for s in _steps(client, admin, ticket["id"]) if s["action"] == "resumed"]
    moved = {m["element_id"]: _at(m["due_at"]) for m in step["metadata"]["timers_moved"]}
    assert moved == {"remind_timer": MONDAY + timedelta(hours=3, minutes=30), "sla_timer": MONDAY + timedelta(hours=5)}
    clock.advance(hours=1, minutes=59)
    scheduler.run_round(runtime)
    assert _ticket(client, admin, ticket["id"])["status"] == "open"  # only the reminder fired
    clock.advance(minutes=2)
    scheduler.run_round(runtime)
    assert _ticket(client, admin, ticket["id"])["status"] == "cancelled"
