"""Sizes: how large a value an operation would build, worked out (and refused) before building it."""

from __future__ import annotations

import ast
import math
import operator
import re

from .limits import Limits, ValueTooLarge

_SEQUENCES = (str, bytes, bytearray, list, tuple)
_FLAT = frozenset({int, float, bool, type(None)})


def _extent(value, limit: int) -> int:
    """Items and characters reachable from ``value``, counting shared parts every time they occur.

    That is what repr(), JSON or repetition would produce. Stops counting past ``limit``.
    """
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        total += max(len(item), 1) if isinstance(item, (str, bytes, bytearray)) else 1
        if isinstance(item, dict):
            if total + 2 * len(item) > limit:  # every key and value counts at least one
                return total + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            if total + len(item) > limit:
                return total + len(item)
            stack.extend(item)
        if total > limit:
            return total
    return total


def _too_large(what: str, size: int, limit: int, unit: str = "items") -> ValueTooLarge:
    return ValueTooLarge(f"{what} would build a value of about {size:,} {unit} (limit {limit:,})")


def _unit(sequence) -> str:
    return "characters" if isinstance(sequence, (str, bytes, bytearray)) else "items"


def _int_bits(value) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _repeat_size(sequence, times: int, limits: Limits) -> int:
    if times <= 0:
        return 0
    size = len(sequence) * times
    if size > limits.max_items:
        raise _too_large("'*'", size, limits.max_items, _unit(sequence))
    if isinstance(sequence, (list, tuple)) and not all(type(item) in _FLAT for item in sequence):
        # [big_list] * n is n references, but repr() and JSON see n copies.
        size = _extent(sequence, limits.max_items // times + 1) * times
        if size > limits.max_items:
            raise _too_large("'*'", size, limits.max_items)
    return size


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")


def _spec_numbers(spec: str, limit: int) -> int:
    """Sum of the widths and precisions in a format spec; refuse any larger than ``limit``."""
    total = 0
    for digits in re.findall(r"\d+", spec):
        if len(digits) > 9 or int(digits) > limit:
            raise _too_large(f"format width {digits[:12]}", int(digits[:12]), limit, "characters")
        total += int(digits)
    return total


def _percent_size(template, args, limits: Limits) -> int:
    text = template if isinstance(template, str) else bytes(template).decode("latin-1")
    size = len(text) + _extent(args, limits.max_items)
    for width, precision in _PERCENT_FIELD.findall(text):
        if "*" in (width, precision):
            raise ValueTooLarge("'*' widths in %-formatting are not supported")
        size += _spec_numbers(width + "." + precision, limits.max_items)
    if size > limits.max_items:
        raise _too_large("'%'", size, limits.max_items, "characters")
    return size


def _check_int_operands(what: str, limits: Limits, *values) -> None:
    """Refuse integers past ``max_int_bits`` as operands: their products and divisions take quadratic time.

    The operators refuse to build such integers, but one can still come in (``int('9' * 4000)``,
    ``int.from_bytes``, sums); working on it must not hold the interpreter for seconds.
    """
    for value in values:
        if isinstance(value, int) and _int_bits(value) > limits.max_int_bits:
            raise ValueTooLarge(f"{what} refuses an integer of {_int_bits(value):,} bits "
                                f"(limit {limits.max_int_bits:,})")


def _estimate(op: str, a, b, limits: Limits) -> int:
    """Items (or characters) ``a op b`` will hold; raise ValueTooLarge past the limits first."""
    if op in _INT_WORK:
        _check_int_operands(f"'{op}'", limits, a, b)
    if op == "*":
        if isinstance(a, int) and isinstance(b, int):
            bits = _int_bits(a) + _int_bits(b)
            if bits > limits.max_int_bits:
                raise _too_large("'*'", bits, limits.max_int_bits, "bits")
            return 0
        if isinstance(a, _SEQUENCES) and isinstance(b, int):
            return _repeat_size(a, b, limits)
        if isinstance(a, int) and isinstance(b, _SEQUENCES):
            return _repeat_size(b, a, limits)
        return 0
    if op == "+":
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            size = len(a) + len(b)
            if size > limits.max_items:
                raise _too_large("'+'", size, limits.max_items, _unit(a))
            return size
        return 0
    if op == "**":
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            bits = math.log2(abs(a)) * b if b.bit_length() < 64 else math.inf
            if bits > limits.max_int_bits:
                raise _too_large("'**'", int(min(bits, 2 ** 63)), limits.max_int_bits, "bits")
        return 0
    if op == "<<":
        if isinstance(a, int) and isinstance(b, int) and a and b > 0:
            bits = _int_bits(a) + b
            if bits > limits.max_int_bits:
                raise _too_large("'<<'", bits, limits.max_int_bits, "bits")
        return 0
    if op == "%" and isinstance(a, (str, bytes, bytearray)):
        return _percent_size(a, b, limits)
    return 0


_INT_WORK = frozenset({"*", "**", "<<", "%", "//"})
_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<<": operator.lshift,
    ">>": operator.rshift, "&": operator.and_, "|": operator.or_, "^": operator.xor, "@": operator.matmul,
}
_GUARDED_BINOPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%", ast.FloorDiv: "//"}


def _range_length(r: range) -> int:
    if r.step > 0:
        return max(0, (r.stop - r.start + r.step - 1) // r.step)
    return max(0, (r.start - r.stop - r.step - 1) // -r.step)


def _checked_range(args, limits: Limits) -> range:
    r = range(*args)
    length = _range_length(r)
    if length > limits.max_items:
        raise _too_large("range()", length, limits.max_items)
    return r


_GROWING_TEXT_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join", "translate"})


def _text_method_size(text, name: str, args: tuple, kwargs: dict) -> int:
    """Characters ``text.<name>(*args, **kwargs)`` will return (0 when the call will fail anyway)."""
    try:
        if name in ("center", "ljust", "rjust", "zfill"):
            width = args[0] if args else kwargs.get("width", 0)
            return max(len(text), operator.index(width))
        if name == "expandtabs":
            tabsize = args[0] if args else kwargs.get("tabsize", 8)
            return len(text) * max(operator.index(tabsize), 1)
        if name == "replace":
            old, new = (list(args) + [kwargs.get("old"), kwargs.get("new")])[:2]
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            occurrences = len(text) + 1 if len(old) == 0 else text.count(old)
            if count >= 0:
                occurrences = min(occurrences, count)
            return len(text) + occurrences * max(len(new) - len(old), 0)
        if name == "translate":
            table = args[0] if args else kwargs.get("table")
            values = table.values() if isinstance(table, dict) else table if isinstance(table, (list, tuple)) else ()
            longest = max((len(v) for v in values if isinstance(v, (str, bytes))), default=1)
            return len(text) * max(longest, 1)
    except (TypeError, ValueError, AttributeError, IndexError):
        return 0
    return 0
