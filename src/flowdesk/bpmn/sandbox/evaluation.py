"""Running: one evaluation of compiled code, with its clock, its memory guard and the guards it calls."""

from __future__ import annotations

import operator
import os
import time
import types

from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from RestrictedPython.PrintCollector import PrintCollector

from . import feel_temporal
from .attributes import readable
from .limits import Limits, OutputTooLarge, SandboxLimitExceeded, ScriptMemoryExceeded, ScriptTimeout
from .namespace import _BUILTINS, _HELPERS, _SCRIPT_BYTES
from .sizes import (
    _GROWING_TEXT_METHODS,
    _OPERATORS,
    _check_int_operands,
    _checked_range,
    _estimate,
    _extent,
    _range_length,
    _spec_numbers,
    _text_method_size,
    _too_large,
)

_CHECK_EVERY = 16          # ticks between looks at the clock
_MEMORY_EVERY = 64         # clock looks between looks at the resident size
_LARGE = 64 * 1024         # items; building a value this large looks at the resident size at once
try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, OSError, ValueError):  # pragma: no cover - not Linux
    _PAGE_SIZE = 4096


def _kind(ob) -> str:
    return f"class {ob.__name__}" if isinstance(ob, type) else type(ob).__name__


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):  # pragma: no cover - no /proc: no memory guard
        return None


class _LimitedPrintCollector(PrintCollector):
    def __init__(self, _getattr_=None, evaluation: "_Evaluation | None" = None):
        super().__init__(_getattr_)
        self.evaluation = evaluation

    def write(self, text: str) -> None:
        self.evaluation.count_output(len(text))
        super().write(text)

    def _call_print(self, *objects, **kwargs):
        for value in objects:
            # str() of a value would be built in full before write() could refuse it.
            self.evaluation.count_output(_extent(value, self.evaluation.limits.max_output_bytes), dry_run=True)
        return super()._call_print(*objects, **kwargs)


class _Evaluation:
    """One run of a script or condition: its limits, its clock and the guards that use them."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.thread_time() + limits.timeout
        # Read at the first memory check: most conditions end long before one and skip the read.
        self.memory_ceiling: int | None = None
        self.units = 0
        self.next_check = _CHECK_EVERY
        self.checks = 0
        self.output = 0
        self.tripped: SandboxLimitExceeded | None = None
        self.namespace: dict = {}

    # The clock and the memory guard.

    def tick(self) -> bool:
        self.units += 1
        if self.units >= self.next_check:
            self._check(memory=False)
        return True

    def spend(self, items: int) -> None:
        """Account for building a value of ``items`` items: large values look at memory at once."""
        self.units += 1 + items // 1024
        if self.units >= self.next_check or items >= _LARGE:
            self._check(memory=items >= _LARGE)

    def _check(self, memory: bool) -> None:
        if self.tripped is not None:
            raise self.tripped
        self.next_check = self.units + _CHECK_EVERY
        self.checks += 1
        if time.thread_time() > self.deadline:
            self._trip(ScriptTimeout(f"ran for more than {self.limits.timeout:g} s of CPU time"))
        if memory or self.checks % _MEMORY_EVERY == 1:
            resident = _resident_bytes()
            if resident is None:
                return
            if self.memory_ceiling is None:
                self.memory_ceiling = resident + self.limits.max_memory_bytes
            elif resident > self.memory_ceiling:
                self._trip(ScriptMemoryExceeded(
                    f"used more than {self.limits.max_memory_bytes // 1024 ** 2} MiB of memory"))

    def _trip(self, exc: SandboxLimitExceeded) -> None:
        self.tripped = exc
        self.next_check = 0  # every later tick raises again: catching the error does not help
        raise exc

    def finish(self) -> None:
        """Raise again if the code caught a limit error and went on to its end."""
        if self.tripped is not None:
            raise self.tripped

    def count_output(self, size: int, dry_run: bool = False) -> None:
        if self.output + size > self.limits.max_output_bytes:
            raise OutputTooLarge(f"printed more than {self.limits.max_output_bytes:,} characters")
        if not dry_run:
            self.output += size

    def _allow(self, what: str, size: int, unit: str = "items") -> None:
        if size > self.limits.max_items:
            raise _too_large(what, size, self.limits.max_items, unit)
        self.spend(size)

    # Guards the compiled code calls.

    def binop(self, op: str, a, b):
        size = _estimate(op, a, b, self.limits)
        if size:
            self.spend(size)
        return _OPERATORS[op](a, b)

    def inplacevar(self, op: str, a, b):
        return self.binop(op[:-1], a, b)

    def getattr(self, ob, name: str):
        """Read ``ob.<name>`` if the (type, attribute) pair is on the allow-list of :mod:`.attributes`.

        A misspelt attribute raises rather than reading as None, so a condition does not quietly
        take the wrong flow. Methods that can grow their input come back as opaque closures that
        check the size first: a script gets nothing whose attributes lead anywhere.
        """
        if type(name) is not str:
            raise TypeError("attribute names must be text")
        if ob is _SCRIPT_BYTES:
            ob = bytes
        if name in ("format", "format_map") and (isinstance(ob, str) or ob is str):
            raise NotImplementedError("str.format() walks attributes itself; use an f-string")
        if not readable(ob, name):
            if isinstance(ob, types.ModuleType) and isinstance(getattr(ob, name, None), types.ModuleType):
                raise AttributeError(f"modules are not available to scripts: {name}")
            raise AttributeError(f"scripts cannot read the attribute '{name}' of a {_kind(ob)}")
        value = getattr(ob, name)
        if name in _GROWING_TEXT_METHODS and (isinstance(ob, (str, bytes)) or ob is str or ob is bytes):
            return self._text_method(name, ob if isinstance(ob, (str, bytes)) else None)
        if name == "from_bytes":
            checked = self.from_bytes
            return lambda *args, **kwargs: checked(*args, **kwargs)  # opaque: no __self__ to follow
        if name == "to_bytes":
            return self._to_bytes(ob if isinstance(ob, int) else None)
        if name == "extend" and (isinstance(ob, list) or ob is list):
            return self._extend(ob if isinstance(ob, list) else None)
        return value

    def _text_method(self, name: str, bound):
        """``text.<name>`` (or ``str.<name>`` when ``bound`` is None) with its result size checked first."""
        allow = self._allow

        def call(*args, **kwargs):
            text, args = (bound, args) if bound is not None else (args[0], args[1:])
            if name == "join":
                items = list(args[0]) if args else list(kwargs.pop("iterable"))
                size = (sum(len(i) for i in items if isinstance(i, (str, bytes)))
                        + len(text) * max(len(items) - 1, 0))
                allow(f"{type(text).__name__}.join()", size, "characters")
                return text.join(items)
            allow(f"{type(text).__name__}.{name}()", _text_method_size(text, name, args, kwargs), "characters")
            return getattr(text, name)(*args, **kwargs)
        return call

    def _extend(self, bound):
        """``target.extend`` (or ``list.extend`` when ``bound`` is None) with the new length checked first."""
        allow = self._allow

        def extend(*args):
            target, items = (bound, args[0]) if bound is not None else args
            if not isinstance(target, list):
                raise TypeError("extend() needs a list")
            items = items if isinstance(items, (list, tuple, str, range)) else list(items)
            allow("list.extend()", len(target) + len(items))
            target.extend(items)
        return extend

    def format(self, value, conversion: int, spec: str) -> str:
        limit = self.limits.max_items
        if not isinstance(value, (int, float, str)) and _extent(value, limit) > limit:
            raise _too_large("an f-string", _extent(value, limit), limit, "characters")
        _spec_numbers(spec, limit)
        if conversion == ord("s"):
            value = str(value)
        elif conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("a"):
            value = ascii(value)
        text = format(value, spec)
        self.spend(len(text))
        return text

    def join(self, parts: tuple) -> str:
        self._allow("an f-string", sum(len(part) for part in parts), "characters")
        return "".join(parts)

    def range(self, *args):
        r = _checked_range(args, self.limits)
        self.spend(_range_length(r))
        return r

    def pow(self, base, exp, mod=None):
        if mod is None:
            return self.binop("**", base, exp)
        _check_int_operands("pow()", self.limits, base, exp, mod)
        return pow(base, exp, mod)

    def divmod(self, a, b):
        _check_int_operands("divmod()", self.limits, a, b)
        return divmod(a, b)

    def from_bytes(self, data, *args, **kwargs):
        """``int.from_bytes`` refusing to build an integer past ``max_int_bits``."""
        size = len(data) * 8 if isinstance(data, (bytes, bytearray, list, tuple)) else 0
        if size > self.limits.max_int_bits:
            raise _too_large("int.from_bytes()", size, self.limits.max_int_bits, "bits")
        return int.from_bytes(data, *args, **kwargs)

    def _to_bytes(self, bound):
        """``number.to_bytes`` (or ``int.to_bytes`` when ``bound`` is None) refusing huge lengths."""
        allow = self._allow

        def to_bytes(*args, **kwargs):
            number, args = (bound, args) if bound is not None else (args[0], args[1:])
            length = args[0] if args else kwargs.get("length", 1)
            allow("int.to_bytes()", operator.index(length), "bytes")
            return int.to_bytes(number, *args, **kwargs)
        return to_bytes

    def bytes(self, *args, **kwargs):
        """``bytes(n)`` refusing ``n`` past ``max_items``."""
        if args and isinstance(args[0], int):
            self._allow("bytes()", args[0], "bytes")
        elif args and isinstance(args[0], (list, tuple, range)):
            self._allow("bytes()", len(args[0]), "bytes")
        return bytes(*args, **kwargs)

    def sum(self, iterable, /, start=0):
        if isinstance(start, (int, float, complex)):
            return sum(iterable, start)
        total = start
        for item in iterable:
            total = self.binop("+", total, item)
        return total

    def print_collector(self, _getattr_=None) -> _LimitedPrintCollector:
        return _LimitedPrintCollector(_getattr_, self)

    def lookup(self, name: str, *keys):
        """A variable, then keys into it; None wherever something along the way is missing.

        Used by translated Camunda expressions for ``empty x`` and ``x == null``, and by FEEL, where a missing variable is null.
        """
        if not isinstance(name, str) or name.startswith("_"):
            raise NameError(f"name {name!r} cannot be looked up")
        value = self.namespace.get(name)
        for key in keys:
            if value is None:
                return None
            if isinstance(value, dict):
                value = value.get(key)
            elif isinstance(value, (list, tuple)) and isinstance(key, int):
                value = value[key] if -len(value) <= key < len(value) else None
            else:
                raise TypeError(f"cannot read {key!r} of a {type(value).__name__}")
        return value

    def build_namespace(self, context: dict, external_context: dict | None) -> dict:
        guards = {
            "__builtins__": _BUILTINS,
            "_getattr_": self.getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": default_guarded_getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard,
            "_print_": self.print_collector,
            "_inplacevar_": self.inplacevar,
            "_binop_": self.binop,
            "_tick_": self.tick,
            "_format_": self.format,
            "_join_": self.join,
            "_lookup_": self.lookup,
            "_feel_": feel_temporal.call,
        }
        # Guards last: task data (which comes from API callers) must not replace them.
        self.namespace = {**_HELPERS, **(external_context or {}), **context, **guards}
        return self.namespace
