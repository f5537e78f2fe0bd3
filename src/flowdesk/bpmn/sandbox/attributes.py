"""Attributes: the (type, attribute) pairs a script may read; every other attribute read is refused.

RestrictedPython refuses names starting with "_"; that alone let a script read the public
attributes of anything it got hold of (a ``functools.partial``'s ``.func``, a generator's frame,
an exception's traceback). Here the type of the object decides: only the value types task data
and the helpers are made of, listed below, have readable attributes, and only their public ones
minus the few that walk to other objects (``mro``, ``format``). Methods, functions, partials,
frames, iterators and classes not listed have none, so what a script calls stays opaque.
"""

from __future__ import annotations

import datetime

_WALKING = frozenset({"mro", "format", "format_map", "with_traceback"})


def _public(kind: type) -> frozenset[str]:
    return frozenset(name for name in dir(kind) if not name.startswith("_")) - _WALKING


# Types whose instances (and whose class objects, when the class is reachable) show their public attributes.
_VALUE_TYPES = (
    type(None), bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset, range, slice,
    datetime.date, datetime.datetime, datetime.time, datetime.timedelta, datetime.timezone,
    type(datetime.date(2000, 1, 1).isocalendar()),
)
_BY_TYPE: dict[type, frozenset[str]] = {kind: _public(kind) for kind in _VALUE_TYPES}
_EXCEPTION_ATTRIBUTES = frozenset({"args"})
_DATETIME_MODULE = frozenset({"date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR"})

# Objects allowed by identity (the helpers), name -> readable attributes; filled in by register().
_BY_IDENTITY: dict[int, tuple[object, frozenset[str]]] = {}


def register(helper: object, names) -> None:
    """Let scripts read ``names`` of the one object ``helper`` (a namespace of helper functions)."""
    _BY_IDENTITY[id(helper)] = (helper, frozenset(names))


register(datetime, _DATETIME_MODULE)


def readable(ob, name: str) -> bool:
    """Whether a script may read ``ob.<name>``."""
    held = _BY_IDENTITY.get(id(ob))
    if held is not None and held[0] is ob:
        return name in held[1]
    kind = type(ob)
    if kind is type:
        return ob in _BY_TYPE and name in _BY_TYPE[ob]
    if kind in _BY_TYPE:
        return name in _BY_TYPE[kind]
    if isinstance(ob, BaseException):
        return name in _EXCEPTION_ATTRIBUTES
    return False


def readable_types() -> tuple[type, ...]:
    """Every type whose values a script may read attributes of (for tests and docs)."""
    return _VALUE_TYPES
