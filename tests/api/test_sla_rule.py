"""The inbox's SLA filter (SQL) and a ticket's SLA state (Python) are one rule: compared case by case."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from flowdesk.engine.work import sla
from flowdesk.engine.models import Ticket

MIN = timedelta(minutes=1)

# (status, due in, at risk in, paused ago, completed ago, breached ago): minutes from now, None = unset.
CASES = {
    "no due date": ("open", None, None, None, None, None),
    "ok": ("open", 60, 30, None, None, None),
    "at risk": ("open", 60, -5, None, None, None),
    "at risk without its own instant, due now": ("open", 0, None, None, None, None),
    "past due, not yet marked": ("open", -1, -30, None, None, None),
    "marked breached": ("claimed", -1, -30, None, None, 1),
    "marked breached, due moved later": ("open", 60, 30, None, None, 5),
    "marked breached, due moved later, at risk again": ("open", 60, -5, None, None, 5),
    "waiting, paused before at risk": ("waiting", -10, -20, 30, None, None),
    "waiting, paused while at risk": ("waiting", 10, -20, 5, None, None),
    "waiting, paused after the due date": ("waiting", -10, -20, 5, None, None),
    "waiting, paused exactly at the due date": ("waiting", -5, -20, 5, None, None),
    "completed in time": ("completed", -10, -20, None, 30, None),
    "completed while at risk": ("completed", 10, -20, None, 5, None),
    "completed late": ("completed", -10, -20, None, 5, None),
    "completed late, marked": ("completed", -10, -20, None, 5, 7),
    "completed while waiting": ("completed", -10, -20, 30, 5, None),
    "cancelled, never finished the clock": ("cancelled", -10, -20, None, None, None),
}


@pytest.fixture
def tickets(runtime, deploy, start, clock):
    """One ticket per case, copied from a real one; {ticket id: case name}."""
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    now = clock()
    names = {}
    with runtime.uow() as uow:
        model = uow.session.get(Ticket, instance["open_tickets"][0]["id"])
        for name, (status, due, at_risk, paused, completed, breached) in CASES.items():
            ticket = Ticket(instance_id=model.instance_id, task_id=f"case-{len(names)}", element_id=model.element_id,
                            name=name, process_key=model.process_key, status=status, created_at=now - 60 * MIN,
                            due_at=None if due is None else now + due * MIN,
                            at_risk_at=None if at_risk is None else now + at_risk * MIN,
                            paused_at=None if paused is None else now - paused * MIN,
                            completed_at=None if completed is None else now - completed * MIN,
                            sla_breached_at=None if breached is None else now - breached * MIN)
            uow.session.add(ticket)
            uow.session.flush()
            names[ticket.id] = name
        uow.session.delete(model)
        uow.commit()
    return names


def test_the_sql_filter_selects_exactly_the_tickets_in_each_state(runtime, tickets, clock):
    now = clock()
    with runtime.uow() as uow:
        by_python = {tickets[t.id]: sla.status_of(t, now).state for t in uow.session.scalars(select(Ticket))}
        by_sql = {}
        for state in sla.SLA_STATES:
            for ticket_id in uow.session.scalars(select(Ticket.id).where(sla.state_filter(state, now))):
                assert tickets[ticket_id] not in by_sql, f"{tickets[ticket_id]} is in two states"
                by_sql[tickets[ticket_id]] = state

    assert by_sql == by_python


def test_the_cases_cover_every_state(runtime, tickets, clock):
    with runtime.uow() as uow:
        states = {sla.status_of(t, clock()).state for t in uow.session.scalars(select(Ticket))}
    assert states == set(sla.SLA_STATES)


@pytest.mark.parametrize("name, expected", [
    ("waiting, paused before at risk", "ok"),
    ("waiting, paused while at risk", "at_risk"),
    ("waiting, paused after the due date", "breached"),
    ("completed in time", "ok"),
    ("completed while at risk", "at_risk"),
    ("completed late", "breached"),
    ("completed while waiting", "ok"),
])
def test_a_stopped_clock_keeps_the_state_it_had_when_it_stopped(runtime, tickets, clock, name, expected):
    with runtime.uow() as uow:
        [ticket] = [t for t in uow.session.scalars(select(Ticket)) if tickets[t.id] == name]
        assert sla.status_of(ticket, clock()).state == expected
