"""ISO 8601 durations, read one way (by isodate) for timers, due dates, SLAs and calendars.

A duration keeps its sign: ``-PT1H`` is an hour back. Each use decides whether a negative
duration means anything (see :meth:`IsoDuration.forward`); none of flowdesk's uses do today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import isodate
from isodate.isoduration import ISO8601_PERIOD_REGEX

# What a modeler writes meaning a duration, typos included, so that a typo is refused as one.
_DURATION_SHAPED = re.compile(r"^[+-]?P(?=\d|T\d|T?$)[0-9A-Z.,]*$")
_PARTS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
EXAMPLES = "like P2D, PT4H, P1W2D or PT1.5H"


@dataclass(frozen=True)
class IsoDuration:
    """A parsed ISO 8601 duration: ``value`` is a timedelta, or an isodate Duration with months/years."""

    text: str
    value: timedelta | isodate.Duration
    parts: dict

    @property
    def negative(self) -> bool:
        return self.text.startswith("-") and any(self.parts.values())

    @property
    def has_months(self) -> bool:
        """True when it counts years or months, whose length depends on where it starts."""
        return bool(self.parts["years"] or self.parts["months"])

    def after(self, start: datetime) -> datetime:
        """The instant this duration after ``start`` (months and years by the calendar)."""
        try:
            return start + self.value
        except (OverflowError, ValueError):  # timedelta overflows; isodate's year arithmetic says ValueError
            raise ValueError(f"'{self.text}' from {start.isoformat()} is past any date a clock can hold") from None

    def forward(self, use: str) -> IsoDuration:
        """This duration, or ValueError when it is negative: ``use`` says what cannot go back."""
        if self.negative:
            raise ValueError(f"'{self.text}' is a negative duration; {use} cannot be negative")
        return self


def parse_duration(text) -> IsoDuration:
    """``P1W2DT1.5H`` -> an :class:`IsoDuration`; ValueError quoting ``text`` for anything else."""
    if not isinstance(text, str):
        raise ValueError(f"a duration must be an ISO 8601 string, not {type(text).__name__}")
    value = text.strip().upper()
    match = ISO8601_PERIOD_REGEX.match(value)
    # isodate takes "PT" (nothing at all) as zero and "P1DT" with a dangling T: both are typos.
    if not match or not any(match.group(part) for part in _PARTS) or value.endswith("T"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration ({EXAMPLES})")
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError, OverflowError) as exc:
        raise ValueError(f"'{text}' is not an ISO 8601 duration ({exc})") from None
    parts = {part: float(match.group(part)[:-1].replace(",", ".")) if match.group(part) else 0.0
             for part in _PARTS}
    return IsoDuration(value, parsed, parts)


def looks_like_duration(text: str) -> bool:
    """True for text written as an ISO duration (``P2D``, ``-PT1H``, even ``P``), not an expression."""
    return bool(_DURATION_SHAPED.match((text or "").strip()))
