"""Static checks: problems knowable before running, reported when a model is deployed."""

from __future__ import annotations

import ast
import operator

from .limits import Limits, ValueTooLarge
from .sizes import _GUARDED_BINOPS, _OPERATORS, _checked_range, _estimate

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

    def visit_Import(self, node: ast.Import):
        # Every import fails when the script runs; modelers should hear it when they deploy.
        names = ", ".join(alias.name for alias in node.names)
        self.problems.append((node.lineno, f"import is not available to scripts (import {names}); "
                                           "'math' and 'datetime' are there without it"))

    def visit_ImportFrom(self, node: ast.ImportFrom):
        self.problems.append((node.lineno, f"import is not available to scripts (from {node.module or '.'} "
                                           "import ...); 'math' and 'datetime' are there without it"))

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
