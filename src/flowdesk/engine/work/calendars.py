"""Business-hours calendars: defining them, and counting time in working hours only.

A process names one with the extension property ``calendar``; its SLA durations then count
working time: ``PT4H`` is four working hours, ``P1D`` one working day (the calendar's daily
hours), ``P1W`` as many working days as the calendar has per week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...bpmn import parse_duration
from ..access import audit_log
from ..access.principal import Principal, Role
from ..models import BusinessCalendar
from ..store import audit, paging, tenancy
from ..store.errors import InvalidInput, NotFound
from ..store.runtime import Runtime

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# Scanning stops after this many days: a calendar whose every day is a holiday must not hang.
MAX_DAYS = 3660


@dataclass(frozen=True)
class WorkingHours:
    """One calendar, ready for arithmetic: every instant in and out is aware UTC."""

    name: str
    zone: ZoneInfo
    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date]

    @classmethod
    def of(cls, row: BusinessCalendar) -> "WorkingHours":
        return cls(row.name, ZoneInfo(row.time_zone), frozenset(row.working_days), time.fromisoformat(row.hours[0]),
                   time.fromisoformat(row.hours[1]), frozenset(date.fromisoformat(d) for d in row.holidays or []))

    @property
    def day_seconds(self) -> int:
        return (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)).seconds

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.isoweekday() not in self.days or day in self.holidays:
            return None
        return (datetime.combine(day, self.start, self.zone).astimezone(timezone.utc),
                datetime.combine(day, self.end, self.zone).astimezone(timezone.utc))

    def _local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two instants; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_seconds(end, start)
        total, day, last = 0.0, self._local_day(start), self._local_day(end)
        while day <= last:
            window = self._window(day)
            if window:
                overlap = (min(end, window[1]) - max(start, window[0])).total_seconds()
                total += max(0.0, overlap)
            day += timedelta(days=1)
        return total

    def shift(self, instant: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` of working time after ``instant`` (before it when negative)."""
        forward, left = seconds >= 0, abs(seconds)
        day = self._local_day(instant)
        for _ in range(MAX_DAYS):
            window = self._window(day)
            if window:
                if forward:
                    begin = max(instant, window[0])
                    available = (window[1] - begin).total_seconds()
                    if available > 0 and left <= available:
                        return begin + timedelta(seconds=left)
                else:
                    finish = min(instant, window[1])
                    available = (finish - window[0]).total_seconds()
                    if available > 0 and left <= available:
                        return finish - timedelta(seconds=left)
                left -= max(0.0, available)
            day += timedelta(days=1 if forward else -1)
        raise ValueError(f"calendar '{self.name}' has no working time within {MAX_DAYS} days")

    def duration_seconds(self, duration: str) -> float:
        """An ISO duration in working seconds: D = one working day, W = the working days of a week."""
        parsed = parse_duration(duration).forward("working time counts forward, so a calendar duration")
        if parsed.has_months:
            raise ValueError(f"'{duration}' counts years or months; a calendar counts working weeks, days and hours")
        parts = parsed.parts
        return ((parts["weeks"] * len(self.days) + parts["days"]) * self.day_seconds
                + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"])


def working_hours(session: Session, name: str | None) -> WorkingHours | None:
    """The calendar ``name`` ready for arithmetic, or None when there is no such calendar."""
    if not name:
        return None
    row = session.get(BusinessCalendar, tenancy.key(session, name=name))
    return WorkingHours.of(row) if row else None


def _validated(name: str, time_zone, working_days, hours, holidays) -> dict:
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not NAME.match(name):
        errors["name"] = ["1 to 100 letters, digits, '_', '.' or '-'"]
    try:
        if not isinstance(time_zone, str) or not time_zone:
            raise ValueError
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = ["an IANA time zone such as 'Europe/Berlin' or 'UTC'"]
    if (not isinstance(working_days, list) or not working_days or len(set(working_days)) != len(working_days)
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in working_days)):
        errors["working_days"] = ["a non-empty list of distinct ISO weekdays, 1 (Monday) to 7 (Sunday)"]
    if not _is_hours(hours):
        errors["hours"] = ['["HH:MM", "HH:MM"]: the start and end of the working day, start before end']
    if not isinstance(holidays, list) or not all(isinstance(d, str) and _is_date(d) for d in holidays):
        errors["holidays"] = ["a list of dates as YYYY-MM-DD"]
    if errors:
        raise InvalidInput("invalid calendar", errors)
    return {"time_zone": time_zone, "working_days": sorted(working_days), "hours": list(hours),
            "holidays": sorted(set(holidays))}


def _is_hours(hours) -> bool:
    if not isinstance(hours, list) or len(hours) != 2:
        return False
    if not all(isinstance(h, str) and re.fullmatch(r"\d\d:\d\d", h) for h in hours):
        return False
    try:
        start, end = (time.fromisoformat(h) for h in hours)
    except ValueError:
        return False
    return start < end


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def put_calendar(rt: Runtime, principal: Principal, name: str, time_zone, working_days, hours,
                 holidays=None) -> tuple[BusinessCalendar, bool]:
    """Create or replace calendar ``name`` (admins); True when it is new."""
    principal.require(Role.ADMIN, action="define calendars")
    values = _validated(name, time_zone, working_days, hours, [] if holidays is None else holidays)
    with rt.uow() as uow:
        now = rt.clock()
        row = uow.session.get(BusinessCalendar, tenancy.key(uow.session, name=name), with_for_update=True)
        created = row is None
        if created:
            row = BusinessCalendar(name=name, created_at=now)
            uow.session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_by, row.updated_at = principal.name, now
        audit.record(uow.session, "calendar.saved", principal.name, calendar=name, created=created)
        audit_log.record(uow.session, principal.name, "calendar.saved", "calendar", name, created=created)
        uow.commit()
        return row, created


def get_calendar(rt: Runtime, principal: Principal, name: str) -> BusinessCalendar:
    with rt.uow() as uow:
        row = uow.session.get(BusinessCalendar, tenancy.key(uow.session, name=name))
        if row is None:
            raise NotFound(f"calendar '{name}' does not exist")
        return row


def list_calendars(rt: Runtime, principal: Principal, after: str | None = None,
                   limit: int | None = None) -> paging.Page:
    """A page of business calendars, by name."""
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        query = paging.apply_by_name(select(BusinessCalendar), BusinessCalendar.name, after, limit)
        return paging.page_by_name(list(uow.session.scalars(query)), limit)


def delete_calendar(rt: Runtime, principal: Principal, name: str) -> None:
    """Remove a calendar (admins); tickets that counted in it keep their due dates."""
    principal.require(Role.ADMIN, action="define calendars")
    with rt.uow() as uow:
        row = uow.session.get(BusinessCalendar, tenancy.key(uow.session, name=name))
        if row is None:
            raise NotFound(f"calendar '{name}' does not exist")
        uow.session.delete(row)
        audit.record(uow.session, "calendar.deleted", principal.name, calendar=name)
        audit_log.record(uow.session, principal.name, "calendar.deleted", "calendar", name)
        uow.commit()
