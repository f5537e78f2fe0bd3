"""Which variables a ticket's case panel and inbox row show: the ``caseFields`` property.

Set on a user/manual task or on its process (the task's wins), as a comma-separated list of
``name`` or ``name:Label`` entries, e.g. ``customer:Customer, subject, order.total:Amount``.
A dotted name reads inside an object variable. Without the property a ticket shows the
variables its instance was started with.
"""

from __future__ import annotations

import re

PROPERTY = "caseFields"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def label_of(name: str) -> str:
    """``order.total_amount`` -> "Total amount": what a modeler would have written."""
    words = name.rsplit(".", 1)[-1].replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def parse(value: str | None) -> list[dict]:
    """``"customer:Customer, subject"`` -> ``[{"name": "customer", "label": "Customer"}, ...]``.

    Raises ValueError naming the first entry that is no variable name.
    """
    fields, seen = [], set()
    for entry in (value or "").split(","):
        if not entry.strip():
            continue
        name, _, label = entry.partition(":")
        name, label = name.strip(), label.strip()
        if not _NAME.match(name):
            raise ValueError(f"'{entry.strip()}' does not start with a variable name (name or name:Label)")
        if name not in seen:
            seen.add(name)
            fields.append({"name": name, "label": label or label_of(name)})
    if not fields:
        raise ValueError("names no variable")
    return fields


def problem(value: str | None) -> str | None:
    """Why ``value`` is no ``caseFields`` list, or None (the deploy-time check)."""
    try:
        parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def value_at(data: dict, name: str):
    """The value of the (dotted) ``name`` in ``data``, or None where any step is missing."""
    value = data
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
