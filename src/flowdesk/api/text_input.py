"""Refuse text no database can store before it reaches a handler.

PostgreSQL rejects NUL characters in text and JSONB, and lone UTF-16 surrogates (legal in JSON
escapes) cannot be encoded as UTF-8. Left alone, both surface as 500s deep inside a unit of work;
caught here they are a plain 400 and nothing is touched. Integers larger than task data may
hold (the sandbox's ``max_int_bits``) are refused the same way, with a 422: scripts could not
work on them, and past 4,300 digits they could not even be saved as JSON.
"""

from __future__ import annotations

from flask import Flask, request

from ..bpmn.sandbox import limits
from .errors import problem

# How deep a JSON document may nest before it is refused outright (recursion is the cost).
MAX_DEPTH = 64


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def _first_problem(value, where: str, depth: int = 0) -> str | None:
    if depth > MAX_DEPTH:
        return f"{where} nests deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        reason = _bad_text(value)
        return f"{where} {reason}" if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first_problem(key, f"a key in {where}", depth + 1) or \
                _first_problem(item, f"{where}.{key}", depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_problem(item, f"{where}[{index}]", depth + 1)
            if found:
                return found
    return None


def _first_large_integer(value, where: str, max_bits: int, depth: int = 0) -> str | None:
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > max_bits:
        return f"{where} is an integer of {value.bit_length():,} bits; task data holds at most {max_bits:,}"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        label = f"{where}.{key}" if isinstance(value, dict) else f"{where}[{key}]"
        found = _first_large_integer(item, label, max_bits, depth + 1)
        if found:
            return found
    return None


def register(app: Flask) -> None:
    @app.before_request
    def _refuse_unstorable_text():
        found = _first_problem(request.path, "the path")
        for name, value in request.args.items(multi=True):
            found = found or _first_problem(name, "a query parameter name") or \
                _first_problem(value, f"query parameter {name!r}")
        if not found and request.is_json:
            body = request.get_json(silent=True)
            found = _first_problem(body, "the body")
        if not found and request.form:
            for name, value in request.form.items(multi=True):
                found = found or _first_problem(value, f"form field {name!r}")
        if found:
            return problem(400, "bad_text", f"{found}; such text cannot be stored")
        if request.is_json:
            large = _first_large_integer(request.get_json(silent=True), "the body", limits.LIMITS.max_int_bits)
            if large:
                return problem(422, "integer_too_large", large)
        return None
