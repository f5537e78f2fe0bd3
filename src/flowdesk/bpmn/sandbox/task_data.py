"""Task data: what a script may leave behind -- JSON values only, converted where unambiguous."""

from __future__ import annotations

import datetime
import math

from . import limits
from .limits import TaskDataNotJson

_MAX_DEPTH = 100


class _NotJson(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []


class _JsonCheck:
    def __init__(self, limit: int, max_int_bits: int):
        self.limit = limit
        self.max_int_bits = max_int_bits
        self.size = 0
        self.open: set[int] = set()

    def value(self, value, depth: int = 0):
        if value is None or isinstance(value, bool):
            self.size += 5
            return value
        if isinstance(value, int):
            if value.bit_length() > self.max_int_bits:
                raise _NotJson(f"an integer of {value.bit_length():,} bits (limit {self.max_int_bits:,})")
            self.size += 8
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _NotJson(f"{value} (JSON numbers must be finite)")
            self.size += 8
            return value
        if isinstance(value, str):
            self.size += len(value) + 2
            if self.size > self.limit:
                raise _NotJson(f"more than {self.limit // 1024 ** 2} MiB of data")
            return value
        if isinstance(value, datetime.date | datetime.time):
            self.size += 32
            return value.isoformat()
        if isinstance(value, (list, tuple, dict)):
            return self._container(value, depth)
        raise _NotJson(f"a {type(value).__name__}")

    def _container(self, value, depth: int):
        if depth >= _MAX_DEPTH:
            raise _NotJson(f"values nested more than {_MAX_DEPTH} levels deep")
        if id(value) in self.open:
            raise _NotJson("a list or dict that contains itself")
        self.size += 2 + len(value)
        if self.size > self.limit:
            raise _NotJson(f"more than {self.limit // 1024 ** 2} MiB of data")
        self.open.add(id(value))
        try:
            if isinstance(value, dict):
                converted, changed = {}, False
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise _NotJson(f"a dict with the {type(key).__name__} key {key!r} (JSON keys are text)")
                    try:
                        converted[key] = new = self.value(item, depth + 1)
                    except _NotJson as exc:
                        exc.path.insert(0, f"[{key!r}]")
                        raise
                    changed = changed or new is not item
                    self.size += len(key) + 3
                return converted if changed else value
            converted = []
            for index, item in enumerate(value):
                try:
                    converted.append(self.value(item, depth + 1))
                except _NotJson as exc:
                    exc.path.insert(0, f"[{index}]")
                    raise
            if isinstance(value, tuple) or any(new is not old for new, old in zip(converted, value)):
                return converted
            return value
        finally:
            self.open.discard(id(value))


def json_task_data(data: dict, limit: int | None = None) -> dict:
    """``data`` as task data may keep it: JSON values only, converted where that is unambiguous.

    Dates, datetimes and times become ISO 8601 strings and tuples become lists (what they read
    back as after the state is saved). Anything else JSON cannot hold — functions, modules,
    sets, timedeltas, bytes, NaN, integers past ``max_int_bits``, non-text dict keys, self-containing lists — raises
    :class:`TaskDataNotJson` naming the variable, rather than being dropped or stringified,
    so a script's mistake shows up where it is made. So does task data over
    ``Limits.max_data_bytes`` or nested deeper than 100 levels.
    """
    check = _JsonCheck(limits.LIMITS.max_data_bytes if limit is None else limit, limits.LIMITS.max_int_bits)
    converted = {}
    for name, value in data.items():
        try:
            converted[name] = check.value(value)
        except _NotJson as exc:
            where = name + "".join(exc.path)
            raise TaskDataNotJson(f"variable '{where}' holds {exc.reason}, which task data cannot keep "
                                  "(only JSON values: text, numbers, booleans, None, lists and dicts)") from None
    return converted
