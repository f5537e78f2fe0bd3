"""Compiling: RestrictedPython's policy plus the calls that keep an evaluation bounded.

``_SandboxPolicy`` rewrites the code so that loops, calls and comprehensions tick the clock and
``+ * ** << %`` and f-strings go through the size guards; ``_compile`` adds the static checks.
"""

from __future__ import annotations

import ast
import re
import types
from dataclasses import dataclass
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from . import limits
from .limits import Limits, ScriptRefused
from .sizes import _GUARDED_BINOPS
from .static_check import _StaticCheck

# Names the flowdesk policy lets code read although they start with "_" (see flowdesk/bpmn/expressions.py).
_READABLE_RESERVED = frozenset({"_lookup_", "_feel_"})


class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the calls that keep an evaluation bounded."""

    def check_name(self, node, name, allow_magic_methods=False):
        if name in _READABLE_RESERVED and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return
        if name and name.startswith("_") and not name.startswith("__") and not name.endswith("_"):
            # Modelers use names like ``_undefined``. Every guard and helper the sandbox injects
            # ends with "_" (``_getattr_``, ``_tick_``...) and dunders stay refused, so a script
            # can name its own variables this way without reaching or replacing a guard.
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
    _compile(source.strip() if mode == "eval" else source, mode, limits.LIMITS)
