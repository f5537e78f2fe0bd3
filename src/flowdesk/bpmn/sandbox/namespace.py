"""What evaluated code sees besides task data: the allowed builtins and the ``math``/``datetime`` helpers.

They are shared by every evaluation; the builtins that need the running one (``range``, ``pow``,
``sum``) find it through the thread-local ``_running``.
"""

from __future__ import annotations

import builtins
import datetime
import importlib
import math
import operator
import threading
import types
from typing import Protocol

from RestrictedPython import safe_builtins

from . import attributes, limits
from .sizes import _estimate, _too_large


_EXTRA_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "all", "any", "dict", "enumerate", "filter", "list", "map", "max", "min", "reversed",
        "set", "sorted", "sum", "tuple", "zip", "frozenset",
    )
}
_BUILTINS = {**safe_builtins, **_EXTRA_BUILTINS}
for _unsafe in ("setattr", "delattr", "__build_class__", "id", "hash", "_getattr_"):
    _BUILTINS.pop(_unsafe, None)


def _guarded_math(limits_of) -> types.SimpleNamespace:
    """``math`` without module attributes and with the functions that can build huge integers bounded."""
    namespace = {name: getattr(math, name) for name in dir(math) if not name.startswith("_")}

    def bits_check(what: str, bits: float):
        limits = limits_of()
        if bits > limits.max_int_bits:
            raise _too_large(what, int(bits), limits.max_int_bits, "bits")

    def factorial(n):
        n = operator.index(n)
        bits_check("math.factorial()", n * math.log2(n) if n > 1 else 0)
        return math.factorial(n)

    def comb(n, k):
        n, k = operator.index(n), operator.index(k)
        bits_check("math.comb()", min(n, max(0, min(k, n - k)) * math.log2(max(n, 2))))
        return math.comb(n, k)

    def perm(n, k=None):
        n = operator.index(n)
        k = n if k is None else operator.index(k)
        bits_check("math.perm()", max(0, min(k, n)) * math.log2(max(n, 2)))
        return math.perm(n, k)

    def prod(iterable, *, start=1):
        total = start
        for item in iterable:
            _estimate("*", total, item, limits_of())
            total = total * item
        return total

    def lcm(*integers):
        bits_check("math.lcm()", sum(abs(operator.index(i)).bit_length() for i in integers))
        return math.lcm(*integers)

    def bounded(name):
        function = getattr(math, name)

        def call(*integers):
            for value in integers:
                if isinstance(value, int):
                    bits_check(f"math.{name}() on an integer of", abs(value).bit_length())
            return function(*integers)
        return call

    namespace.update(factorial=factorial, comb=comb, perm=perm, prod=prod, lcm=lcm,
                     gcd=bounded("gcd"), isqrt=bounded("isqrt"))
    return types.SimpleNamespace(**namespace)


_MATH = _guarded_math(lambda: limits.LIMITS)
attributes.register(_MATH, vars(_MATH))
_running = threading.local()


class _Bounded(Protocol):
    """What these builtins need of the running evaluation (``evaluation._Evaluation``, which imports us)."""

    def range(self, *args): ...
    def pow(self, base, exp, mod=None): ...
    def sum(self, iterable, start=0): ...
    def divmod(self, a, b): ...


def _current() -> _Bounded:
    return _running.evaluation


def _range(*args):
    return _current().range(*args)


def _pow(base, exp, mod=None):
    return _current().pow(base, exp, mod)


def _sum(iterable, /, start=0):
    return _current().sum(iterable, start)


def _divmod(a, b):
    return _current().divmod(a, b)


class _ScriptBytesType(type):
    """``bytes`` as scripts see it: ``bytes(n)`` is size-checked; ``isinstance`` works as for bytes.

    Reading its attributes (``bytes.fromhex``) reads those of ``bytes`` (see ``_Evaluation.getattr``).
    """

    def __call__(cls, *args, **kwargs):
        return _current().bytes(*args, **kwargs)

    def __instancecheck__(cls, instance):
        return isinstance(instance, bytes)

    def __subclasscheck__(cls, subclass):
        return issubclass(subclass, bytes)


class _SCRIPT_BYTES(metaclass=_ScriptBytesType):  # noqa: N801 - stands for the builtin bytes
    pass


# Modules the C code of allowed helpers imports on first use (datetime.strptime imports _strptime)
# through the running code's __import__; scripts themselves cannot name __import__.
_INTERNAL_IMPORTS = frozenset({"_strptime"})


def _internal_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 - __import__'s names
    if level == 0 and name in _INTERNAL_IMPORTS:
        return importlib.import_module(name)
    raise ImportError(f"scripts cannot import {name}")


_BUILTINS["__import__"] = _internal_import

# Shared by every evaluation; the builtins that need one find it through the thread-local.
_BUILTINS.update(range=_range, pow=_pow, sum=_sum, divmod=_divmod, bytes=_SCRIPT_BYTES)
# Names a script or condition may use besides the task data; task data of the same name wins.
_HELPERS = {"math": _MATH, "datetime": datetime}
