"""Cron schedules: the 5-field cron and 6/7-field Quartz expressions Camunda's timeCycle takes."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import datetime, timedelta, timezone

from ..utc import as_utc as _utc

_MONTHS = {name: n for n, name in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {name: n for n, name in enumerate("SUN MON TUE WED THU FRI SAT".split())}
_CRON_FIELD = re.compile(r"^[0-9A-Z*?#][0-9A-Z*?/,\-#]*$")


def is_cron(text) -> bool:
    """True for 5-field cron and 6/7-field Quartz expressions (what Camunda's timeCycle takes)."""
    if not isinstance(text, str):
        return False
    fields = text.split()
    # Upper-case names only and some digit or wildcard: "a if b else c" is Python, not cron.
    return (5 <= len(fields) <= 7 and not text.strip().startswith(("R", "P"))
            and all(_CRON_FIELD.match(f) for f in fields) and any(re.search(r"[0-9*?]", f) for f in fields))


class Cron:
    """A cron schedule in UTC: ``min hour dom month dow`` or Quartz ``sec min hour dom month dow [year]``.

    Supports ``*``, ``?``, lists, ranges, steps and month/day names; not Quartz's ``L``, ``W``, ``#``.
    """

    def __init__(self, expression: str):
        fields = expression.split()
        if len(fields) == 5:
            fields = ["0", *fields, "*"]
            dow_base = 0  # cron: 0 or 7 = Sunday
        elif len(fields) in (6, 7):
            fields = fields + ["*"] * (7 - len(fields))
            dow_base = 1  # Quartz: 1 = Sunday
        else:
            raise ValueError(f"cron expression '{expression}' needs 5, 6 or 7 fields")
        sec, minute, hour, dom, month, dow, year = fields
        self.seconds = self._field(sec, 0, 59)
        self.minutes = self._field(minute, 0, 59)
        self.hours = self._field(hour, 0, 23)
        self.days = self._field(dom, 1, 31)
        self.months = self._field(month, 1, 12, _MONTHS)
        self.years = None if year in ("*", "?") else self._field(year, 1970, 2199)
        names = {k: v + dow_base for k, v in _DAYS.items()}
        weekdays = self._field(dow, dow_base, 7, names)  # 7 is Sunday in cron, Saturday in Quartz
        self.weekdays = {(d - dow_base) % 7 for d in weekdays}  # 0 = Sunday
        self.dom_any, self.dow_any = dom in ("*", "?"), dow in ("*", "?")

    @staticmethod
    def _field(text: str, low: int, high: int, names: dict | None = None) -> set[int]:
        def number(token: str) -> int:
            token = token.upper()
            value = names[token] if names and token in names else int(token)
            if not low <= value <= high:
                raise ValueError(f"{value} is outside {low}-{high}")
            return value

        values: set[int] = set()
        for part in text.split(","):
            if any(c in part.upper() for c in "LW#"):
                raise ValueError(f"'{part}' (Quartz L/W/#) is not supported")
            base, _, step = part.partition("/")
            if base in ("*", "?"):
                start, end = low, high
            elif "-" in base:
                start, end = (number(v) for v in base.split("-", 1))
            else:
                start = number(base)
                end = high if step else start
            values.update(range(start, end + 1, int(step) if step else 1))
        return values

    def _day_matches(self, moment: datetime) -> bool:
        dom_ok = moment.day in self.days
        dow_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.dom_any and self.dow_any:
            return True
        if self.dom_any:
            return dow_ok
        if self.dow_any:
            return dom_ok
        return dom_ok or dow_ok  # both restricted: cron matches either

    def next_after(self, moment: datetime) -> datetime:
        """The first matching second strictly after ``moment`` (UTC)."""
        t = _utc(moment).replace(microsecond=0) + timedelta(seconds=1)
        for _ in range(200_000):
            if self.years is not None and t.year not in self.years:
                if t.year > max(self.years):
                    break
                t = datetime(t.year + 1, 1, 1, tzinfo=timezone.utc)
            elif t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=monthrange(t.year, t.month)[1]))
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0, second=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t = t.replace(second=0) + timedelta(minutes=1)
            elif t.second not in self.seconds:
                t += timedelta(seconds=1)
            else:
                return t
        raise ValueError("the cron expression never matches")
