"""Conditions and scripts from uploaded models run here, never through plain eval/exec.

Code is compiled with RestrictedPython (no imports, no dunder or private attribute access,
guarded item/attribute access and writes) and runs with a short allow-list of builtins.
On top of that, a flowdesk policy makes every evaluation bounded (see :class:`Limits`):

* time: every loop iteration, function call and comprehension step calls ``_tick_``, which
  checks the evaluating thread's CPU time. The calls are compiled into the code rather than
  installed with ``sys.settrace``, so they work in any thread, leave debuggers and coverage
  alone, and cannot be switched off by a script that catches the error: once an evaluation
  is over its limit every later tick raises again, and so does the end of the evaluation.
* size: ``+ * ** << %``, f-strings, ``range()``, ``pow()``, ``sum()``, the ``math`` helpers and
  the string methods that can multiply their input refuse to build values larger than
  ``max_items`` items/characters or ``max_int_bits`` bits, before building them.
* memory: the process's resident size may grow by at most ``max_memory_bytes`` during one
  evaluation (checked with the clock, and after every large value built).
* output: ``print`` may write at most ``max_output_bytes`` characters per evaluation.
* data: what a script leaves in task data must be JSON (see :func:`json_task_data`).

What the sandbox cannot stop: a single built-in call working on values that are already
within the limits runs to its end before the clock is looked at again (e.g. ``l.count(x)``
on a list holding a million references to one large list). Hard isolation needs a process.
"""

from __future__ import annotations

import ast
import builtins
import datetime
import functools
import math
import operator
import os
import re
import threading
import time
import types
from dataclasses import dataclass, replace
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException


@dataclass(frozen=True)
class Limits:
    """What one evaluation of a script or condition may use."""

    timeout: float = 1.0                     # CPU seconds of the evaluating thread
    max_memory_bytes: int = 256 * 1024 ** 2  # growth of the process's resident memory
    max_output_bytes: int = 64 * 1024        # characters written by print()
    max_items: int = 1_000_000               # items of a list/tuple, characters of a string, range()
    max_int_bits: int = 10_000               # size of an integer built by * ** <<
    max_data_bytes: int = 16 * 1024 ** 2     # task data after a script, as JSON (roughly)


LIMITS = Limits()


def configure(timeout: float | None = None, max_output_bytes: int | None = None,
              max_memory_bytes: int | None = None, max_items: int | None = None,
              max_int_bits: int | None = None, max_data_bytes: int | None = None) -> Limits:
    """Change the sandbox limits for evaluations started from now on; return the previous ones.

    Arguments left at None keep their current value; ``configure(**asdict(previous))`` restores.
    """
    global LIMITS
    previous = LIMITS
    changes = {
        "timeout": timeout, "max_output_bytes": max_output_bytes, "max_memory_bytes": max_memory_bytes,
        "max_items": max_items, "max_int_bits": max_int_bits, "max_data_bytes": max_data_bytes,
    }
    LIMITS = replace(previous, **{name: value for name, value in changes.items() if value is not None})
    return previous


class SandboxLimitExceeded(Exception):
    """A script or condition went over one of the sandbox limits.

    Deliberately not a SpiffWorkflowException: SpiffWorkflow then wraps it in a
    WorkflowTaskException that knows the task (and, for scripts, the line).
    """


class ScriptTimeout(SandboxLimitExceeded):
    """The evaluation used more CPU time than ``Limits.timeout``."""


class ScriptMemoryExceeded(SandboxLimitExceeded):
    """The process grew by more than ``Limits.max_memory_bytes`` during the evaluation."""


class ValueTooLarge(SandboxLimitExceeded):
    """An operation would build a value past ``max_items`` or ``max_int_bits``."""


class OutputTooLarge(SandboxLimitExceeded):
    """``print`` wrote more than ``Limits.max_output_bytes``."""


class TaskDataNotJson(TypeError):
    """A script left a value in task data that JSON cannot hold."""


class ScriptRefused(SyntaxError):
    """The code uses something the restricted compiler does not allow."""

    def __init__(self, message: str, lineno: int = 1):
        super().__init__(message)
        # SpiffWorkflow compares a script's SyntaxError.lineno with 0; None makes it raise TypeError.
        self.lineno = lineno

    def __str__(self) -> str:
        return self.msg


# --- sizes -------------------------------------------------------------------------------------

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


def _estimate(op: str, a, b, limits: Limits) -> int:
    """Items (or characters) ``a op b`` will hold; raise ValueTooLarge past the limits first."""
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


_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<<": operator.lshift,
    ">>": operator.rshift, "&": operator.and_, "|": operator.or_, "^": operator.xor, "@": operator.matmul,
}
_GUARDED_BINOPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


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


# --- static checks -----------------------------------------------------------------------------

# Builtins scripts never get: calling one is a NameError at run time, so say so at deploy time.
_UNAVAILABLE_CALLS = frozenset({
    "open", "getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars", "dir", "compile",
    "breakpoint", "input", "help", "memoryview", "type", "super", "object", "exit", "quit",
})


class _NotConstant(Exception):
    pass


class _StaticCheck(ast.NodeVisitor):
    """Problems knowable before running: unavailable builtins and constant values over the limits."""

    def __init__(self, tree: ast.AST, limits: Limits):
        self.limits = limits
        self.problems: list[tuple[int, str]] = []
        self.bound = self._bound_names(tree)

    @staticmethod
    def _bound_names(tree: ast.AST) -> set[str]:
        bound = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
        return bound

    def visit_Call(self, node: ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id not in self.bound:
            if func.id in _UNAVAILABLE_CALLS:
                self.problems.append((node.lineno, f"{func.id}() is not available to scripts"))
                return
            if func.id in ("range", "pow"):
                if self._refused(node):
                    return
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp):
        if not self._refused(node):
            self.generic_visit(node)

    def _refused(self, node: ast.AST) -> bool:
        try:
            self._fold(node)
        except ValueTooLarge as exc:
            self.problems.append((node.lineno, str(exc)))
            return True
        except Exception:  # noqa: BLE001 - not a constant, or fails like it will at run time
            pass
        return False

    def _fold(self, node: ast.AST):
        """The value of a constant expression, checked against the limits on the way up."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert, ast.Not)):
            value = self._fold(node.operand)
            return {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert,
                    ast.Not: operator.not_}[type(node.op)](value)
        if isinstance(node, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in node.elts):
            values = [self._fold(element) for element in node.elts]
            return tuple(values) if isinstance(node, ast.Tuple) else values
        if isinstance(node, ast.BinOp):
            symbol = _GUARDED_BINOPS.get(type(node.op))
            left, right = self._fold(node.left), self._fold(node.right)
            if symbol:
                _estimate(symbol, left, right, self.limits)
                return _OPERATORS[symbol](left, right)
            if isinstance(node.op, (ast.Sub, ast.Div, ast.FloorDiv, ast.BitAnd, ast.BitOr, ast.BitXor)):
                return {ast.Sub: operator.sub, ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
                        ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
                        ast.BitXor: operator.xor}[type(node.op)](left, right)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords
                and node.func.id in ("range", "pow") and node.func.id not in self.bound):
            args = [self._fold(arg) for arg in node.args]
            if node.func.id == "range":
                return _checked_range(args, self.limits)
            if len(args) == 2:
                _estimate("**", args[0], args[1], self.limits)
                return pow(*args)
        raise _NotConstant


# --- compiling ---------------------------------------------------------------------------------

# Names the flowdesk policy lets code read although they start with "_" (see expressions.py).
_READABLE_RESERVED = frozenset({"_lookup_"})


class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the calls that keep an evaluation bounded."""

    def check_name(self, node, name, allow_magic_methods=False):
        if name in _READABLE_RESERVED and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return
        super().check_name(node, name, allow_magic_methods)

    @staticmethod
    def _call(name: str, args: list, where: ast.AST) -> ast.Call:
        call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
        copy_locations(call, where)
        ast.fix_missing_locations(call)
        return call

    def _tick(self, where: ast.AST) -> ast.Expr:
        statement = ast.Expr(self._call("_tick_", [], where))
        copy_locations(statement, where)
        return statement

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        symbol = _GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        return self._call("_binop_", [ast.Constant(symbol), node.left, node.right], node)

    def visit_For(self, node):
        node = super().visit_For(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_While(self, node):
        node = super().visit_While(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        # _tick_() returns True, so the lambda still returns its body's value.
        node.body = ast.BoolOp(op=ast.And(), values=[self._call("_tick_", [], node), node.body])
        copy_locations(node.body, node)
        return node

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        node.ifs.insert(0, self._call("_tick_", [], node.iter))
        return node

    def visit_FormattedValue(self, node):
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        return self._call("_format_", [node.value, ast.Constant(node.conversion), spec], node)

    def visit_JoinedStr(self, node):
        node = self.node_contents_visit(node)
        return self._call("_join_", [ast.Tuple(elts=list(node.values), ctx=ast.Load())], node)


@dataclass(frozen=True)
class _Compiled:
    code: types.CodeType
    may_change_data: bool  # calls something, so it may have changed a list or dict in task data


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str, limits: Limits) -> _Compiled:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, policy=_SandboxPolicy)
    if result.errors:
        line = re.match(r"Line (\d+)", result.errors[0])
        raise ScriptRefused("; ".join(result.errors), int(line.group(1)) if line else 1)
    tree = ast.parse(source, mode=mode)
    static = _StaticCheck(tree, limits)
    static.visit(tree)
    if static.problems:
        raise ScriptRefused("; ".join(f"Line {line}: {message}" for line, message in static.problems),
                            static.problems[0][0])
    may_change_data = mode == "exec" or any(isinstance(node, ast.Call) for node in ast.walk(tree))
    return _Compiled(result.code, may_change_data)


def check(source: str, mode: str = "exec") -> None:
    """Raise :class:`ScriptRefused` if ``source`` would be refused at run time."""
    _compile(source.strip() if mode == "eval" else source, mode, LIMITS)


# --- running -----------------------------------------------------------------------------------

_CHECK_EVERY = 16          # ticks between looks at the clock
_MEMORY_EVERY = 64         # clock looks between looks at the resident size
_LARGE = 64 * 1024         # items; building a value this large looks at the resident size at once
try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, OSError, ValueError):  # pragma: no cover - not Linux
    _PAGE_SIZE = 4096


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):  # pragma: no cover - no /proc: no memory guard
        return None


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

    namespace.update(factorial=factorial, comb=comb, perm=perm, prod=prod)
    return types.SimpleNamespace(**namespace)


_MATH = _guarded_math(lambda: LIMITS)
_running = threading.local()


def _current() -> "_Evaluation":
    return _running.evaluation


def _range(*args):
    return _current().range(*args)


def _pow(base, exp, mod=None):
    return _current().pow(base, exp, mod)


def _sum(iterable, /, start=0):
    return _current().sum(iterable, start)


# Shared by every evaluation; the builtins that need one find it through the thread-local.
_BUILTINS.update(range=_range, pow=_pow, sum=_sum)
# Names a script or condition may use besides the task data; task data of the same name wins.
_HELPERS = {"math": _MATH, "datetime": datetime}


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
        """``safer_getattr`` that raises on a missing attribute and never hands out a module.

        Modules lead to other modules (``datetime.sys.modules['os']``), and from there to anything;
        a misspelt attribute must not quietly read as None and send a condition down the wrong flow.
        """
        value = safer_getattr_raise(ob, name)
        if isinstance(value, types.ModuleType):
            raise AttributeError(f"modules are not available to scripts: {name}")
        if name in _GROWING_TEXT_METHODS:
            if isinstance(ob, (str, bytes)):
                return functools.partial(self._text_method, name, ob)
            if ob is str or ob is bytes:
                return functools.partial(self._text_method, name)
        if name == "extend" and (isinstance(ob, list) or ob is list):
            return functools.partial(self._extend, ob) if isinstance(ob, list) else self._extend
        return value

    def _text_method(self, name: str, text, *args, **kwargs):
        if name == "join":
            items = list(args[0]) if args else list(kwargs.pop("iterable"))
            size = sum(len(i) for i in items if isinstance(i, (str, bytes))) + len(text) * max(len(items) - 1, 0)
            self._allow(f"{type(text).__name__}.join()", size, "characters")
            return text.join(items)
        self._allow(f"{type(text).__name__}.{name}()", _text_method_size(text, name, args, kwargs), "characters")
        return getattr(text, name)(*args, **kwargs)

    def _extend(self, target: list, items):
        items = items if isinstance(items, (list, tuple, str, range)) else list(items)
        self._allow("list.extend()", len(target) + len(items))
        target.extend(items)

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
        return pow(base, exp, mod)

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

        Used by translated Camunda expressions for ``empty x`` and ``x == null`` only.
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
        }
        # Guards last: task data (which comes from API callers) must not replace them.
        self.namespace = {**_HELPERS, **(external_context or {}), **context, **guards}
        return self.namespace


# --- task data ---------------------------------------------------------------------------------

_MAX_DEPTH = 100


class _NotJson(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []


class _JsonCheck:
    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.open: set[int] = set()

    def value(self, value, depth: int = 0):
        if value is None or isinstance(value, bool):
            self.size += 5
            return value
        if isinstance(value, int):
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
    sets, timedeltas, bytes, NaN, non-text dict keys, self-containing lists — raises
    :class:`TaskDataNotJson` naming the variable, rather than being dropped or stringified,
    so a script's mistake shows up where it is made. So does task data over
    ``Limits.max_data_bytes`` or nested deeper than 100 levels.
    """
    check = _JsonCheck(LIMITS.max_data_bytes if limit is None else limit)
    converted = {}
    for name, value in data.items():
        try:
            converted[name] = check.value(value)
        except _NotJson as exc:
            where = name + "".join(exc.path)
            raise TaskDataNotJson(f"variable '{where}' holds {exc.reason}, which task data cannot keep "
                                  "(only JSON values: text, numbers, booleans, None, lists and dicts)") from None
    return converted


# --- SpiffWorkflow glue ------------------------------------------------------------------------

def _run(evaluation: "_Evaluation", run):
    previous = getattr(_running, "evaluation", None)
    _running.evaluation = evaluation
    try:
        result = run()
    finally:
        _running.evaluation = previous
    evaluation.finish()
    return result


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment backed by RestrictedPython and the sandbox limits."""

    def evaluate(self, expression, context, external_context=None):
        compiled = _compile(expression.strip(), "eval", LIMITS)
        evaluation = _Evaluation(LIMITS)
        namespace = evaluation.build_namespace(context, external_context)
        result = _run(evaluation, lambda: eval(compiled.code, namespace))  # noqa: S307 - restricted code
        if compiled.may_change_data:
            # A condition can still change a list in place (items.append(...) or True).
            _replace_contents(context, json_task_data(context))
        return result

    def execute(self, script, context, external_context=None):
        compiled = _compile(script, "exec", LIMITS)
        evaluation = _Evaluation(LIMITS)
        namespace = evaluation.build_namespace(context, external_context)
        _run(evaluation, lambda: exec(compiled.code, namespace))  # noqa: S102 - restricted code
        # A variable the script deleted is gone; guards all start with "_" and are never kept.
        result = {name: value for name, value in context.items() if name in namespace}
        for name, value in namespace.items():
            if name.startswith("_") or name == "printed" or callable(value):  # callables: the script's own helpers
                continue
            if external_context and name in external_context and value is external_context[name]:
                continue
            if name in _HELPERS and value is _HELPERS[name]:
                continue
            result[name] = value
        _replace_contents(context, json_task_data(result))
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are run by flowdesk workers, not by scripts")


def _replace_contents(target: dict, source: dict) -> None:
    if target is source:
        return
    for name in [name for name in target if name not in source]:
        del target[name]
    target.update(source)


class RestrictedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose condition errors say what went wrong, not only which condition."""

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:  # noqa: BLE001 - anything a condition raises fails its task
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {type(exc).__name__}: {exc}",
                task=task, exception=exc) from exc


def restricted_script_engine() -> PythonScriptEngine:
    """The script engine every workflow gets, after creation and after every restore."""
    return RestrictedScriptEngine(environment=RestrictedEnvironment())
