"""Property: no chain of attribute reads, from anything a script can hold, leaves the allowed types.

Hypothesis picks a starting value among every kind a script can obtain (task data values, the
builtins and helpers, the methods and closures the evaluator hands out, iterators, generators,
exceptions) and a chain of attribute names (public, private, dunder, and the ones escapes use);
each read goes through the evaluator's own guard, as compiled scripts do.
"""

from __future__ import annotations

import datetime
import types

from hypothesis import given, settings
from hypothesis import strategies as st

from flowdesk.bpmn.sandbox import attributes, limits
from flowdesk.bpmn.sandbox.evaluation import _Evaluation
from flowdesk.bpmn.sandbox.namespace import _BUILTINS, _HELPERS


def _generator():
    yield 1


def _caught() -> Exception:
    try:
        raise ValueError("x")
    except ValueError as exc:
        return exc


_EVALUATION = _Evaluation(limits.LIMITS)
_VALUES = [
    None, True, 7, 2.5, 3j, "text", b"bytes", [1, "a"], (1, 2), {"k": [1]}, {1, 2}, frozenset({1}), range(3),
    slice(1, 2), datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone.utc),
    datetime.time(1, 2), datetime.timedelta(days=1), datetime.timezone.utc, datetime.date(2024, 1, 2).isocalendar(),
    iter([1]), iter({"a": 1}.items()), enumerate([1]), zip([1], [2]), map(str, [1]), reversed([1]),
    _generator(), (lambda: 1), _caught(), KeyError("k"),
    *_BUILTINS.values(), *_HELPERS.values(),
    _EVALUATION.getattr("a", "ljust"), _EVALUATION.getattr(str, "join"), _EVALUATION.getattr([], "extend"),
    _EVALUATION.getattr(5, "to_bytes"), _EVALUATION.getattr(int, "from_bytes"),
    _EVALUATION.print_collector(_EVALUATION.getattr),
]
_NAMES = sorted({name for value in _VALUES for name in dir(value)} | {
    "func", "args", "keywords", "gi_frame", "gi_code", "f_globals", "f_back", "tb_frame", "evaluation",
    "namespace", "cr_frame", "ag_frame", "mro", "format", "format_map", "__self__", "__func__", "__wrapped__",
    "__globals__", "__closure__", "__code__", "__class__", "__subclasses__", "__base__", "__mro__", "__dict__",
})

# Types whose values expose nothing: calling them is all a script can do.
_OPAQUE = (types.BuiltinFunctionType, types.FunctionType, types.MethodDescriptorType, types.GetSetDescriptorType,
           types.MemberDescriptorType, types.ClassMethodDescriptorType, types.WrapperDescriptorType,
           types.MethodWrapperType)


def _allowed(value) -> bool:
    if isinstance(value, type):
        return value in attributes.readable_types()
    return type(value) in attributes.readable_types() or isinstance(value, _OPAQUE)


@settings(max_examples=1000, deadline=None)
@given(start=st.sampled_from(_VALUES), chain=st.lists(st.sampled_from(_NAMES), min_size=1, max_size=6))
def test_attribute_chains_stay_within_the_allowed_types(start, chain):
    value = start
    for name in chain:
        try:
            value = _EVALUATION.getattr(value, name)
        except (AttributeError, NotImplementedError, TypeError):
            return
        assert not name.startswith("_"), f"read {name} of {type(value).__name__}"
        assert _allowed(value), f"{type(start).__name__}.{'.'.join(chain)} reached a {type(value).__name__}"


@given(value=st.sampled_from([v for v in _VALUES if isinstance(v, _OPAQUE)]), name=st.sampled_from(_NAMES))
def test_callables_handed_to_scripts_show_no_attributes(value, name):
    try:
        _EVALUATION.getattr(value, name)
    except (AttributeError, NotImplementedError, TypeError):
        return
    raise AssertionError(f"read {name} of a {type(value).__name__}")
