"""resolve_due_date: an ISO duration counts from the given now, an ISO instant is taken as is."""

from datetime import datetime, timedelta, timezone

import pytest

from flowdesk.bpmn import resolve_due_date

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(("expression", "delta"), [
    ("P2D", timedelta(days=2)),
    ("PT4H", timedelta(hours=4)),
    ("PT90M", timedelta(minutes=90)),
    ("P1DT2H", timedelta(days=1, hours=2)),
    ("P1W", timedelta(weeks=1)),
    ("PT0.5H", timedelta(minutes=30)),
])
def test_duration_is_relative_to_now(expression, delta):
    assert resolve_due_date(expression, NOW) == NOW + delta


def test_month_duration_lands_on_the_same_day_next_month():
    assert resolve_due_date("P1M", NOW) == datetime(2026, 4, 10, 9, 30, tzinfo=timezone.utc)


def test_duration_ignores_case_and_surrounding_whitespace():
    assert resolve_due_date("  p2d \n", NOW) == NOW + timedelta(days=2)


def test_iso_datetime_with_z_is_utc():
    assert resolve_due_date("2026-12-01T09:00:00Z", NOW) == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_iso_datetime_with_offset_is_converted_to_utc():
    due = resolve_due_date("2026-12-01T09:00:00+02:00", NOW)

    assert due == datetime(2026, 12, 1, 7, 0, tzinfo=timezone.utc)
    assert due.utcoffset() == timedelta(0)


def test_iso_datetime_without_offset_is_taken_as_utc():
    assert resolve_due_date("2026-12-01T09:00:00", NOW) == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_iso_datetime_does_not_depend_on_now():
    later = NOW + timedelta(days=30)

    assert resolve_due_date("2026-12-01T09:00:00Z", NOW) == resolve_due_date("2026-12-01T09:00:00Z", later)


@pytest.mark.parametrize("expression", [
    "soon", "PXD", "P-1D", "R3/PT1H", "${due}", "2026-13-45T99:00:00Z", "tomorrow 9am",
])
def test_garbage_is_refused_quoting_it(expression):
    with pytest.raises(ValueError, match="'"):
        resolve_due_date(expression, NOW)


@pytest.mark.parametrize("expression", ["-P1D", "-PT4H"])
def test_a_negative_duration_is_refused_as_a_due_date_before_the_ticket_opens(expression):
    with pytest.raises(ValueError, match="negative"):
        resolve_due_date(expression, NOW)


def test_weeks_and_days_combine_in_one_duration():
    assert resolve_due_date("P1W2D", NOW) == NOW + timedelta(days=9)


@pytest.mark.parametrize("expression", [None, ""])
def test_no_expression_is_no_due_date(expression):
    assert resolve_due_date(expression, NOW) is None
