"""One ISO 8601 duration parser for timers, due dates, SLAs and calendars."""

from datetime import datetime, timedelta, timezone

import pytest

from flowdesk.bpmn.durations import parse_duration


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT1.5H", timedelta(minutes=90)),
    ("P1W2D", timedelta(days=9)),
    ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
    ("PT0,5S", timedelta(milliseconds=500)),
    ("PT0S", timedelta(0)),
])
def test_a_duration_counts_from_its_start(text, expected):
    start = utc(2026, 1, 1)

    assert parse_duration(text).after(start) - start == expected


def test_months_count_by_the_calendar_from_the_start():
    assert parse_duration("P1M").after(utc(2026, 2, 1)) == utc(2026, 3, 1)


def test_a_negative_duration_keeps_its_sign():
    duration = parse_duration("-PT1H")

    assert duration.negative
    assert duration.after(utc(2026, 1, 1, 12)) == utc(2026, 1, 1, 11)


@pytest.mark.parametrize("text", ["P", "PT", "-P", "1H", "PT-1H", "P1H", "PT5X", "", "P1DT"])
def test_what_is_not_an_iso_8601_duration_is_refused_quoting_it(text):
    with pytest.raises(ValueError, match="not an ISO 8601 duration"):
        parse_duration(text)


def test_parts_keep_weeks_and_days_apart_for_calendars():
    assert parse_duration("P1W2DT3H").parts == {"years": 0, "months": 0, "weeks": 1, "days": 2,
                                                "hours": 3, "minutes": 0, "seconds": 0}


@pytest.mark.parametrize("text", ["P9000Y", "P9999999D"])
def test_a_duration_past_any_date_is_refused_not_an_overflow(text):
    with pytest.raises(ValueError, match=f"'{text}'"):
        parse_duration(text).after(utc(2026, 1, 1))
