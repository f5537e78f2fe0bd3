"""Camunda's typed variables ``{value, type, valueInfo}`` to flowdesk's JSON variables and back.

In: String, Boolean, Integer, Short, Long, Double, Date, Json, Object (``application/json``
only) and Null; an untyped value is taken as it is. Out: each JSON value gets the type Camunda
would give it: objects and arrays go out as ``Json`` (their value a JSON string, as Camunda
sends Spin JSON). flowdesk has no dates, so a Date is kept as its ISO 8601 text (a String later).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from ...engine.store.errors import InvalidInput

INT_BITS = {"Short": 16, "Integer": 32, "Long": 64}
JSON_FORMAT = "application/json"
CAMUNDA_DATE = "%Y-%m-%dT%H:%M:%S.%f%z"


def _invalid(name: str, reason: str) -> InvalidInput:
    return InvalidInput(f"Cannot convert value of variable '{name}': {reason}", {name: [reason]})


def _whole(name: str, kind: str, value):
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise _invalid(name, f"'{value}' is not a {kind}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(name, f"a {kind} must be a whole number")
    bits = INT_BITS[kind]
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise _invalid(name, f"{value} does not fit a {kind} ({bits} bits)")
    return value


def _json_text(name: str, value):
    if isinstance(value, (dict, list)):
        return value
    if not isinstance(value, str):
        raise _invalid(name, "a Json or Object value must be JSON text")
    try:
        return json.loads(value)
    except ValueError:
        raise _invalid(name, "the value is not valid JSON") from None


def _date(name: str, value) -> str:
    if not isinstance(value, str):
        raise _invalid(name, "a Date must be text such as 2026-01-31T12:00:00.000+0000")
    for pattern in (CAMUNDA_DATE, "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).isoformat()
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise _invalid(name, f"'{value}' is not a date") from None


def value_of(name: str, typed) -> object:
    """The JSON value of one Camunda typed variable."""
    if not isinstance(typed, dict):
        raise _invalid(name, "a variable must be an object {value, type, valueInfo}")
    kind, value = typed.get("type"), typed.get("value")
    info = typed.get("valueInfo") or {}
    if kind is not None and not isinstance(kind, str):
        raise _invalid(name, "'type' must be text")
    kind = (kind or "").strip()
    kind = kind[:1].upper() + kind[1:]  # Camunda accepts "string" as well as "String"
    if kind == "Null" or value is None:
        return None
    if not kind:
        return value
    if kind == "String":
        if not isinstance(value, str):
            raise _invalid(name, "a String must be text")
        return value
    if kind == "Boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise _invalid(name, "a Boolean must be true or false")
        return value
    if kind in INT_BITS:
        return _whole(name, kind, value)
    if kind == "Double":
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise _invalid(name, f"'{value}' is not a Double") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _invalid(name, "a Double must be a number")
        return float(value)
    if kind == "Date":
        return _date(name, value)
    if kind == "Json":
        return _json_text(name, value)
    if kind == "Object":
        data_format = info.get("serializationDataFormat") if isinstance(info, dict) else None
        if data_format not in (None, JSON_FORMAT):
            raise _invalid(name, f"only Object variables serialized as {JSON_FORMAT} are supported, "
                                 f"not '{data_format}'")
        return _json_text(name, value)
    raise _invalid(name, f"type '{kind}' is not supported (String, Boolean, Short, Integer, Long, Double, "
                         "Date, Json, Object as application/json, Null)")


def to_flowdesk(typed: dict | None, what: str = "variables") -> dict:
    """Camunda's ``{"name": {value, type, valueInfo}}`` as flowdesk variables."""
    if typed is None:
        return {}
    if not isinstance(typed, dict):
        raise InvalidInput(f"'{what}' must be an object of typed variables", {what: ["an object"]})
    return {name: value_of(name, item) for name, item in typed.items()}


def typed(value) -> dict:
    """One flowdesk JSON value as Camunda's typed variable."""
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        kind = "Integer" if -(2 ** 31) <= value < 2 ** 31 else "Long"
        return {"type": kind, "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": json.dumps(value, separators=(",", ":")), "valueInfo": {}}


def from_flowdesk(values: dict | None, names: list[str] | None = None) -> dict:
    """flowdesk variables as Camunda's typed ones; ``names`` keeps only those (None: all)."""
    values = values or {}
    wanted = values.keys() if names is None else [n for n in names if n in values]
    return {name: typed(values[name]) for name in wanted}


def camunda_date(moment: datetime | None) -> str | None:
    """A timestamp as Camunda writes it: ``2026-01-31T12:00:00.000+0000``."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")
