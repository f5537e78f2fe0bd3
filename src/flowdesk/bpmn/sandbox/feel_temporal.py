"""FEEL's dates, times and durations inside the sandbox: what translated FEEL calls as ``_feel_(name, ...)``.

While an expression runs they are Python values, so comparisons and arithmetic are Python's:
``date`` (a FEEL date), ``time`` (a time, with or without offset), ``datetime`` (a date and
time), ``timedelta`` (a days and time duration) and ``isodate.Duration`` (a years and months
duration, which only adds to and subtracts from dates). Task data is JSON, so they are kept as
ISO 8601 text, as Zeebe keeps them in variables: dates and times by the task data check,
durations here (``stored``); ``date()``, ``time()``, ``date and time()`` and ``duration()``
read that text back.
"""

from __future__ import annotations

import calendar
import datetime
import re

import isodate

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DATE_TEXT = re.compile(r"^-?\d{4,9}-\d{2}-\d{2}$")


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}() reads text, not a {type(value).__name__}")
    return value.strip()


def _date(*args):
    if len(args) == 3:
        return datetime.date(*args)
    value = args[0]
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value, "date")
    if not _DATE_TEXT.match(text):
        raise ValueError(f"date() reads YYYY-MM-DD, not '{text}'")
    return datetime.date.fromisoformat(text)


def _time(*args):
    if len(args) in (3, 4):
        offset = args[3] if len(args) == 4 else None
        zone = datetime.timezone(offset) if isinstance(offset, datetime.timedelta) else None
        return datetime.time(*args[:3], tzinfo=zone)
    value = args[0]
    if isinstance(value, datetime.datetime):
        return value.timetz()
    if isinstance(value, datetime.time):
        return value
    return datetime.time.fromisoformat(_text(value, "time").replace("Z", "+00:00"))


def _date_and_time(*args):
    if len(args) == 2:
        day, clock = _date(args[0]), _time(args[1])
        return datetime.datetime.combine(day, clock)
    value = args[0]
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    text = _text(value, "date and time")
    if "@" in text or "[" in text:
        raise ValueError(f"date and time() with a named time zone ('{text}') is not supported; give an offset")
    if "T" not in text:
        raise ValueError(f"date and time() reads YYYY-MM-DDThh:mm:ss, not '{text}'")
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _duration(value):
    if isinstance(value, (datetime.timedelta, isodate.Duration)):
        return value
    return isodate.parse_duration(_text(value, "duration"))


def _years_and_months(start, end):
    start, end = _date(start), _date(end)
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return isodate.Duration(years=months // 12 if months >= 0 else -(-months // 12),
                            months=months % 12 if months >= 0 else -(-months % 12))


def _temporal_literal(text: str):
    """``@"..."``: a date, time, date and time or duration, by the text's form."""
    text = _text(text, "@")
    if text.startswith(("P", "-P")):
        return _duration(text)
    if "T" in text:
        return _date_and_time(text)
    if ":" in text:
        return _time(text)
    return _date(text)


def stored(value):
    """A FEEL expression's value as task data keeps it: durations become ISO 8601 text."""
    if isinstance(value, (datetime.timedelta, isodate.Duration)):
        return isodate.duration_isoformat(value)
    return value


def _string(value) -> str:
    if isinstance(value, (datetime.timedelta, isodate.Duration)):
        return isodate.duration_isoformat(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


_FUNCTIONS = {
    "date": _date,
    "time": _time,
    "date and time": _date_and_time,
    "duration": _duration,
    "years and months duration": _years_and_months,
    "@": _temporal_literal,
    "now": lambda: datetime.datetime.now(datetime.timezone.utc),
    "today": lambda: datetime.datetime.now(datetime.timezone.utc).date(),
    "day of week": lambda value: _DAY_NAMES[_date(value).weekday()],
    "day of year": lambda value: _date(value).timetuple().tm_yday,
    "week of year": lambda value: _date(value).isocalendar()[1],
    "month of year": lambda value: calendar.month_name[_date(value).month],
    "last day of month": lambda value: calendar.monthrange(_date(value).year, _date(value).month)[1],
    "stored": stored,
    "string": _string,
}
NAMES = frozenset(_FUNCTIONS) - {"@", "stored", "string"}


def call(name: str, *args):
    """Run the FEEL temporal function ``name`` (the guard translated FEEL calls)."""
    try:
        function = _FUNCTIONS[name]
    except KeyError:
        raise NameError(f"no FEEL function '{name}'") from None
    return function(*args)
