"""Reading Camunda-style requests: a JSON body, and query parameters as Camunda spells them."""

from __future__ import annotations

from flask import request

from ...engine.store.errors import InvalidInput


def body() -> dict:
    """The JSON object sent, or {} for an empty body; anything else is a 400."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return data


def field(data: dict, name: str, kind: type | tuple, required: bool = False, default=None):
    """``data[name]`` if it is of ``kind``; a missing optional field (or null) is ``default``."""
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"'{name}' is required", {name: ["required"]})
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InvalidInput(f"'{name}' must be of type {names}", {name: [f"got {type(value).__name__}"]})
    return value


def flag(name: str, source=None) -> bool | None:
    """A boolean query parameter (``true``/``false``), or None when absent."""
    value = (source if source is not None else request.args).get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if value.lower() not in ("true", "false"):
        raise InvalidInput(f"'{name}' must be true or false", {name: [f"got '{value}'"]})
    return value.lower() == "true"


def number(name: str, default: int | None = None, minimum: int = 0) -> int | None:
    """A whole-number query parameter such as ``firstResult``/``maxResults``."""
    value = request.args.get(name)
    if value is None:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise InvalidInput(f"'{name}' must be a whole number", {name: [f"got '{value}'"]}) from None
    if parsed < minimum:
        raise InvalidInput(f"'{name}' must be at least {minimum}", {name: [f"got {parsed}"]})
    return parsed


def page() -> tuple[int, int | None]:
    """``firstResult`` and ``maxResults`` (None: all)."""
    return number("firstResult", 0), number("maxResults", None)


def listed(name: str, source=None) -> list[str] | None:
    """A list given as a JSON array or as a comma-separated query value (``tenantIdIn=a,b``)."""
    value = (source if source is not None else request.args).get(name)
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    raise InvalidInput(f"'{name}' must be a list of strings", {name: ["a list of strings"]})
