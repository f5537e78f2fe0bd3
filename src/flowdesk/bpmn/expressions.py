"""Camunda 7 (JUEL) expressions such as ``${amount > 1000 && approved}``, translated to Python.

Models exported by Camunda Modeler write conditions in the Java Unified Expression Language;
flowdesk evaluates Python in its restricted environment, so :func:`translate` rewrites one into
the other at deploy time. It tokenizes and parses the expression (string literals are never
touched) and refuses, with :class:`ExpressionNotSupported`, anything it cannot translate
faithfully: function calls, method calls other than ``execution.getVariable('name')`` and the
common Java string, list and map methods (``size()``, ``isEmpty()``, ``contains(x)``,
``equals(x)``, ``startsWith(x)``, ``toUpperCase()``, ``substring(a, b)``, ``get(k)``, ...,
see ``_METHODS``), lambdas, assignments, collection literals, ``instanceof``, text around the
expression. A bean's method (``${invoiceService.check(id)}``) is refused at deploy.

Semantics, kept simple:

* ``a.b`` and ``a['b']`` read the key ``b`` of the dict ``a`` (task data is JSON).
* A missing variable or key raises when the expression runs, as in Camunda — so a typo cannot
  silently pick a flow — except where the expression asks whether it is there:
  ``empty x``, ``x == null`` and ``x != null`` (``x`` a variable or a chain of constant
  keys) read a missing variable or key as null.
* ``empty x`` is true for null, ``''``, ``[]`` and ``{}`` (not for 0 or false).
* Unlike JUEL, operands are not coerced: ``'5' == 5`` is false and ``'1' + 2`` fails.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass


class ExpressionNotSupported(ValueError):
    """The expression uses a construct flowdesk cannot translate; ``construct`` names it."""

    def __init__(self, construct: str, expression: str):
        super().__init__(f"{construct} is not supported in {expression!r}")
        self.construct = construct
        self.expression = expression


def is_expression(text: str | None) -> bool:
    """True when ``text`` is written as a ``${...}`` or ``#{...}`` expression."""
    stripped = (text or "").strip()
    return stripped.startswith(("${", "#{"))


# --- tokens ------------------------------------------------------------------------------------

_KEYWORDS = frozenset({
    "and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "true", "false", "null", "empty",
    "div", "mod", "instanceof",
})
_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "->", "+=", "=", ";", "<", ">", "!", "+", "-",
              "*", "/", "%", "?", ":", "(", ")", "[", "]", ".", ",", "{", "}")
_NUMBER = re.compile(r"(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class _Token:
    kind: str   # "number", "string", "name", "keyword", "op", "end"
    text: str
    value: object = None


def _tokens(source: str, expression: str) -> list[_Token]:
    """Tokens of the expression body up to its closing ``}``, which must end the text."""
    tokens, i = [], 0
    while i < len(source):
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if char in "'\"":
            value, i = _string(source, i, expression)
            tokens.append(_Token("string", value, value))
            continue
        number = _NUMBER.match(source, i)
        if number and (char.isdigit() or (char == "." and number.group(1).startswith("."))):
            text = number.group(0)
            is_float = "." in text or "e" in text.lower()
            tokens.append(_Token("number", text, float(text) if is_float else int(text)))
            i = number.end()
            continue
        name = _IDENTIFIER.match(source, i)
        if name:
            text = name.group(0)
            tokens.append(_Token("keyword" if text in _KEYWORDS else "name", text))
            i = name.end()
            continue
        op = next((op for op in _OPERATORS if source.startswith(op, i)), None)
        if op is None:
            raise ExpressionNotSupported(f"the character {char!r}", expression)
        if op == "}":
            if source[i + 1:].strip():
                raise ExpressionNotSupported("text around the expression (a composite expression)", expression)
            tokens.append(_Token("end", "}"))
            return tokens
        if op == "{":
            raise ExpressionNotSupported("a set or map literal '{...}'", expression)
        tokens.append(_Token("op", op))
        i += len(op)
    raise ExpressionNotSupported("an expression without its closing '}'", expression)


def _string(source: str, start: int, expression: str) -> tuple[str, int]:
    quote, i, out = source[start], start + 1, []
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "'\"\\":
            out.append(source[i + 1])
            i += 2
        elif char == quote:
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    raise ExpressionNotSupported("an unterminated string literal", expression)


# --- parsing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Expr:
    python: str
    path: tuple | None = None   # ("customer", "phone") for a variable and constant keys into it
    is_null: bool = False
    key: str | int | None = None  # the value of a string or integer literal


_NULL_SAFE_EMPTY = "(None, '', [], {})"


def _lookup(expr: _Expr) -> str:
    """``expr`` reading missing variables and keys as None (only for empty / null checks)."""
    if expr.path is None:
        return expr.python
    return "_lookup_(" + ", ".join(repr(part) for part in expr.path) + ")"


# Java methods models call on strings, lists and maps, as Python: (argument counts, template with
# {0} the target and {1}... the arguments). Anything else (a bean's method) stays refused.
_METHODS = {
    "size": ((0,), "len({0})"),
    "length": ((0,), "len({0})"),
    "isEmpty": ((0,), "(len({0}) == 0)"),
    "contains": ((1,), "({1} in {0})"),
    "containsKey": ((1,), "({1} in {0})"),
    "containsValue": ((1,), "({1} in {0}.values())"),
    "equals": ((1,), "({0} == {1})"),
    "equalsIgnoreCase": ((1,), "({0}.lower() == {1}.lower())"),
    "startsWith": ((1,), "{0}.startswith({1})"),
    "endsWith": ((1,), "{0}.endswith({1})"),
    "toUpperCase": ((0,), "{0}.upper()"),
    "toLowerCase": ((0,), "{0}.lower()"),
    "trim": ((0,), "{0}.strip()"),
    "toString": ((0,), "str({0})"),
    "get": ((1,), "{0}[{1}]"),
    "substring": ((1, 2), ""),  # {0}[start:end], built in method_call
}


class _Parser:
    """Recursive descent over JUEL's grammar, producing fully parenthesised Python."""

    def __init__(self, tokens: list[_Token], expression: str):
        self.tokens = tokens
        self.expression = expression
        self.position = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.position]

    def peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.position + offset, len(self.tokens) - 1)]

    def refuse(self, construct: str):
        raise ExpressionNotSupported(construct, self.expression)

    def accept(self, *texts: str) -> str | None:
        token = self.token
        if token.kind in ("op", "keyword") and token.text in texts:
            self.position += 1
            return token.text
        return None

    def expect(self, text: str) -> None:
        if not self.accept(text):
            if self.token.kind == "end":
                self.refuse(f"an incomplete expression (no '{text}')")
            self.refuse(f"'{self.token.text}' where '{text}' was expected")

    def parse(self) -> str:
        if self.token.kind == "end":
            self.refuse("an empty expression")
        expr = self.ternary()
        if self.token.kind != "end":
            token = self.token
            if token.text == "=":
                self.refuse("assignment '='")
            if token.text == "+=":
                self.refuse("string concatenation '+='")
            if token.text == ";":
                self.refuse("a sequence of expressions ';'")
            if token.text == "->":
                self.refuse("a lambda expression '->'")
            if token.text == "instanceof":
                self.refuse("'instanceof'")
            self.refuse(f"'{token.text}' after a complete expression")
        return expr.python

    def ternary(self) -> _Expr:
        condition = self.binary(0)
        if self.accept("?"):
            then = self.ternary()
            self.expect(":")
            otherwise = self.ternary()
            return _Expr(f"({then.python} if {condition.python} else {otherwise.python})")
        return condition

    # Lowest precedence first; each level maps JUEL spellings to the Python operator.
    _LEVELS = (
        {"||": "or", "or": "or"},
        {"&&": "and", "and": "and"},
        {"==": "==", "eq": "==", "!=": "!=", "ne": "!="},
        {"<": "<", "lt": "<", ">": ">", "gt": ">", "<=": "<=", "le": "<=", ">=": ">=", "ge": ">="},
        {"+": "+", "-": "-"},
        {"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"},
    )

    def binary(self, level: int) -> _Expr:
        if level == len(self._LEVELS):
            return self.unary()
        operators = self._LEVELS[level]
        left = self.binary(level + 1)
        while (spelling := self.accept(*operators)) is not None:
            right = self.binary(level + 1)
            left = self.combine(operators[spelling], left, right)
        return left

    @staticmethod
    def combine(op: str, left: _Expr, right: _Expr) -> _Expr:
        if op in ("==", "!=") and (left.is_null or right.is_null):
            if left.is_null and right.is_null:
                return _Expr("True" if op == "==" else "False")
            other = right if left.is_null else left
            return _Expr(f"({_lookup(other)} {'is' if op == '==' else 'is not'} None)")
        return _Expr(f"({left.python} {op} {right.python})")

    def unary(self) -> _Expr:
        if self.accept("!", "not"):
            return _Expr(f"(not {self.unary().python})")
        if self.accept("-"):
            return _Expr(f"(-{self.unary().python})")
        if self.accept("empty"):
            return _Expr(f"({_lookup(self.unary())} in {_NULL_SAFE_EMPTY})")
        return self.value()

    def value(self) -> _Expr:
        expr = self.primary()
        while True:
            if self.accept("."):
                name = self.token
                if name.kind not in ("name", "keyword"):
                    self.refuse(f"'{name.text}' after '.'")
                self.position += 1
                if self.token.text == "(" and self.token.kind == "op":
                    expr = self.method_call(expr, name.text)
                else:
                    expr = self.member(expr, name.text)
            elif self.accept("["):
                index = self.ternary()
                self.expect("]")
                if index.key is not None:
                    expr = self.member(expr, index.key)
                else:
                    expr = _Expr(f"{expr.python}[{index.python}]")
            elif self.token.kind == "op" and self.token.text == "(":
                self.refuse("calling the result of an expression")
            else:
                return expr

    def member(self, expr: _Expr, key) -> _Expr:
        if expr.path == ("execution",):
            self.refuse("the Camunda 'execution' object (other than execution.getVariable('name'))")
        path = expr.path + (key,) if expr.path is not None else None
        return _Expr(f"{expr.python}[{key!r}]", path)

    def method_call(self, target: _Expr, name: str) -> _Expr:
        self.expect("(")
        argument = self.token
        if (target.path == ("execution",) and name == "getVariable" and argument.kind == "string"
                and self.peek().text == ")"):
            self.position += 2
            return self.variable(argument.value)
        if target.path == ("execution",) or name not in _METHODS:
            self.refuse(f"the method call '{name}()'")
        arguments = []
        if not self.accept(")"):
            arguments.append(self.ternary().python)
            while self.accept(","):
                arguments.append(self.ternary().python)
            self.expect(")")
        counts, template = _METHODS[name]
        if len(arguments) not in counts:
            self.refuse(f"the method call '{name}()' with {len(arguments)} argument(s)")
        if name == "substring":
            start, end = (arguments + [""])[:2]
            return _Expr(f"{target.python}[{start}:{end}]")
        return _Expr(template.format(target.python, *arguments))

    def variable(self, name: str) -> _Expr:
        if not name.isidentifier() or "$" in name:
            self.refuse(f"the variable name {name!r}")
        if name.startswith("_"):
            self.refuse(f"the variable {name!r} (names starting with '_' are not readable)")
        if keyword.iskeyword(name) or name in ("print", "printed"):
            self.refuse(f"the variable {name!r} (a reserved word in Python)")
        return _Expr(name, (name,))

    def primary(self) -> _Expr:
        token = self.token
        if token.kind in ("number", "string"):
            self.position += 1
            return _Expr(repr(token.value), key=token.value if isinstance(token.value, (str, int)) else None)
        if token.kind == "keyword":
            literal = {"true": "True", "false": "False", "null": "None"}.get(token.text)
            if literal is None:
                self.refuse(f"'{token.text}' where a value was expected")
            self.position += 1
            return _Expr(literal, is_null=token.text == "null")
        if token.kind == "name":
            following = self.peek()
            if following.kind == "op" and following.text == "(":
                self.refuse(f"the function call '{token.text}()'")
            if (following.kind == "op" and following.text == ":" and self.peek(2).kind == "name"
                    and self.peek(3).text == "("):
                self.refuse(f"the function call '{token.text}:{self.peek(2).text}()'")
            self.position += 1
            return self.variable(token.text)
        if self.accept("("):
            inner = self.ternary()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text == "[":
            self.refuse("a list literal '[...]'")
        if token.kind == "end":
            self.refuse("an incomplete expression")
        self.refuse(f"'{token.text}' where a value was expected")


def translate(expression: str) -> str:
    """The Python equivalent of a JUEL ``${...}`` / ``#{...}`` expression.

    Raises :class:`ExpressionNotSupported` (a ValueError) naming the construct it cannot translate.
    """
    text = expression.strip()
    if not text.startswith(("${", "#{")):
        raise ExpressionNotSupported("text that is not a ${...} or #{...} expression", expression)
    tokens = _tokens(text[2:], expression)
    return _Parser(tokens, expression).parse()
