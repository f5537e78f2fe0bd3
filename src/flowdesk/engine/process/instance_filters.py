"""Narrowing instance lists by a variable's value: ``name:op:value`` conditions as SQL.

On PostgreSQL equality is JSONB containment (``variables @> {"name": value}``), which the GIN
index of migration 0021 serves; the orderings compare only values of the same JSON type (a
number with numbers, text with text), guarded by CASE so no cast ever meets another type. On
SQLite the same through json_type/json_extract.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sqlalchemy import Numeric, and_, case, cast, func, not_, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from ..models import Instance
from ..store.errors import InvalidInput

OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte")
_ORDERINGS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


@dataclass(frozen=True)
class VariableFilter:
    name: str
    op: str
    value: object


def _refuse(text: str, why: str) -> InvalidInput:
    return InvalidInput("invalid variable filter", {"var": [f"'{text}': {why}"]})


def parse(text: str) -> VariableFilter:
    """``name:op:value``; the value is read as JSON when it is JSON (``42``, ``true``, ``null``,
    ``"42"``), else as text."""
    name, _, rest = text.partition(":")
    op, colon, raw = rest.partition(":")
    if not name or not colon:
        raise _refuse(text, "write name:op:value")
    if op not in OPERATORS:
        raise _refuse(text, f"the operator must be one of {', '.join(OPERATORS)}")
    if '"' in name or "\\" in name:
        raise _refuse(text, "a variable name with quotes or backslashes cannot be filtered on")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    if isinstance(value, (dict, list)):
        raise _refuse(text, "compare with a number, text, true, false or null")
    if isinstance(value, float) and not math.isfinite(value):  # json.loads reads NaN and Infinity
        raise _refuse(text, "not a finite number")
    if op in _ORDERINGS and (value is None or isinstance(value, bool)):
        raise _refuse(text, f"'{op}' compares numbers or text")
    return VariableFilter(name, op, value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _postgresql(wanted: VariableFilter):
    document = type_coerce(Instance.variables, JSONB)
    if wanted.op in ("eq", "neq"):
        equal = document.contains({wanted.name: wanted.value})
        return equal if wanted.op == "eq" else and_(document.has_key(wanted.name), not_(equal))
    element = document[wanted.name]
    kind = func.jsonb_typeof(element)
    if _is_number(wanted.value):
        left = case((kind == "number", cast(element.astext, Numeric)), else_=None)
    else:
        left = case((kind == "string", element.astext), else_=None)
    return getattr(left, _ORDERINGS[wanted.op])(wanted.value)


def _sqlite(wanted: VariableFilter):
    path = f'$."{wanted.name}"'
    kind = func.json_type(Instance.variables, path)
    element = func.json_extract(Instance.variables, path)
    value = wanted.value
    if value is None:
        same_type = kind == "null"
    elif isinstance(value, bool):
        same_type = kind == ("true" if value else "false")
    elif _is_number(value):
        same_type = kind.in_(("integer", "real"))
    else:
        same_type = kind == "text"
    if wanted.op in ("eq", "neq"):
        equal = same_type if value is None or isinstance(value, bool) else and_(same_type, element == value)
        return equal if wanted.op == "eq" else and_(kind.is_not(None), not_(equal))
    return and_(same_type, getattr(element, _ORDERINGS[wanted.op])(value))


def condition(dialect: str, wanted: VariableFilter):
    """The WHERE clause for ``wanted`` on the database ``dialect`` (``postgresql`` or ``sqlite``)."""
    return _postgresql(wanted) if dialect == "postgresql" else _sqlite(wanted)
