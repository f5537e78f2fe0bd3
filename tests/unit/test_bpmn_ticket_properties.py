"""Which due-date values deployment accepts: the forms engine.sla can turn into a due date."""

import pytest

from flowdesk.bpmn.ticket_properties import due_date_problem


@pytest.mark.parametrize("value", [
    "P2D", "PT4H", "P1DT12H", "2026-12-01T09:00:00Z", "2026-12-01", "${due}", "#{due}",
    "${urgent ? 'PT1H' : 'P1D'}", "'PT1H' if urgent else 'P1D'", "sla_for(customer)",
])
def test_accepted_due_dates(value):
    assert due_date_problem(value) is None


@pytest.mark.parametrize("value, reason", [
    ("P2X", "ISO 8601 duration"), ("PT4", "ISO 8601 duration"), ("P1Y2", "ISO 8601 duration"),
    ("2026-13-01", "ISO 8601 date"), ("2026-12-01T25:00", "ISO 8601 date"),
    ("a +", "expression that compiles"), ("${a +}", "expression that compiles"),
    ("__import__('os')", "expression that compiles"), ("", "empty"),
])
def test_refused_due_dates(value, reason):
    assert reason in due_date_problem(value)
