"""SLA durations read by the one ISO 8601 parser, in office hours and on the wall clock."""

from datetime import datetime, timedelta, timezone

import pytest

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # 09:00 in Berlin
OFFICE = {"time_zone": "Europe/Berlin", "working_days": [1, 2, 3, 4, 5], "hours": ["09:00", "17:00"],
          "holidays": []}


@pytest.fixture(autouse=True)
def office(client, admin, deploy, clock):
    clock.now = MONDAY
    assert client.put("/api/v1/calendars/office", json=OFFICE, headers=admin).status_code in (200, 201)
    deploy("sla_by_variable.bpmn")


def _ticket(start, process_key, allowed):
    instance = start(process_key, {"allowed": allowed})
    [ticket] = instance["open_tickets"]
    return instance, ticket


@pytest.mark.parametrize(("allowed", "due"), [
    ("P1W2D", datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)),  # seven working days
    ("PT1.5H", MONDAY + timedelta(minutes=90)),
    ("P0.5D", MONDAY + timedelta(hours=4)),  # half a working day
])
def test_a_calendar_counts_weeks_days_and_fractions_in_working_time(start, allowed, due):
    _, ticket = _ticket(start, "sla_variable_office", allowed)

    assert datetime.fromisoformat(ticket["due_at"]) == due


@pytest.mark.parametrize(("allowed", "delta"), [
    ("P1W2D", timedelta(days=9)),
    ("PT1.5H", timedelta(minutes=90)),
    ("P1M", datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc) - MONDAY),  # a month by the calendar
])
def test_wall_clock_slas_take_weeks_days_and_fractions(start, allowed, delta):
    _, ticket = _ticket(start, "sla_variable_wall_clock", allowed)

    assert datetime.fromisoformat(ticket["due_at"]) == MONDAY + delta


@pytest.mark.parametrize(("process_key", "allowed"), [
    ("sla_variable_office", "-PT4H"), ("sla_variable_wall_clock", "-PT4H"),
    ("sla_variable_office", "-P1D"), ("sla_variable_wall_clock", "-P1D"),
    ("sla_variable_office", "P"), ("sla_variable_wall_clock", "P"),
    ("sla_variable_office", "P1M"),  # a calendar counts working days, not months
    ("sla_variable_wall_clock", "P9999999D"),  # past any date a clock can hold
])
def test_an_sla_that_cannot_count_forward_leaves_no_due_date_and_the_process_running(
        client, admin, start, process_key, allowed):
    instance, ticket = _ticket(start, process_key, allowed)

    assert ticket["due_at"] is None
    shown = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()
    assert shown["status"] == "running"
