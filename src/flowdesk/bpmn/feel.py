"""FEEL (Camunda 8) expressions as Python for the sandboxed evaluator.

Camunda 8 models write expressions in FEEL, marked by a leading ``=``: ``=amount > 1000``,
``=if approved then "yes" else "no"``. :func:`translate` parses one with a real grammar
(lark) and writes the Python that means the same, at deploy time; whatever it cannot
translate faithfully is refused with :class:`FeelNotSupported` naming the construct.

No FEEL library on PyPI was both maintained and safe to run untrusted expressions with
(they evaluate in-process, outside the sandbox), so this translates a subset instead:

* literals: numbers, ``"strings"``, ``true``/``false``/``null``, lists ``[1, 2]`` and
  contexts ``{a: 1, "b": 2}``;
* variables and paths ``a.b.c``; a missing variable or key is ``null``, as in FEEL;
* ``a[1]`` (FEEL lists count from 1, ``a[-1]`` is the last item);
* comparisons ``= != < <= > >=`` (``x = null`` asks whether x is missing or null),
  ``and``/``or``, arithmetic ``+ - * / **``, ``if ... then ... else ...``;
* the functions in ``_FUNCTIONS`` (``not()``, ``string length()``, ``contains()``,
  ``upper case()``, ``sum()``, ``count()``, ``is defined()``, ...);
* dates, times and durations: ``date()``, ``time()``, ``date and time()``, ``duration()``,
  ``years and months duration()``, ``now()``, ``today()``, ``day of week()`` and the like, and
  ``@"..."`` literals, with comparisons and arithmetic between them (``date + duration``,
  ``date - date``). They run as :mod:`.sandbox.feel_temporal` says; a variable keeps them as
  ISO 8601 text (``"2024-01-01"``, ``"P1D"``), which those functions read back.

Refused: ``for``/``some``/``every``, ranges and ``in``, ``between``, ``instance of``, function
definitions, list filters with a condition, properties of computed values (``date(x).year``),
named time zones and unknown functions.
"""

from __future__ import annotations

import json
import keyword
import re
from functools import lru_cache

import isodate
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from .expressions import ExpressionNotSupported
from .sandbox import feel_temporal

_GRAMMAR = r"""
?start: expr

?expr: "if" expr "then" expr "else" expr -> if_
     | disjunction

?disjunction: conjunction
            | disjunction "or" conjunction -> or_
?conjunction: comparison
            | conjunction "and" comparison -> and_
?comparison: sum
           | sum COMPARE sum -> compare
?sum: product
    | sum ADD product -> arith
?product: power
        | product MUL power -> arith
?power: unary
      | unary "**" power -> power
?unary: postfix
      | "-" unary -> neg
?postfix: atom
        | postfix "." name -> path
        | postfix "[" expr "]" -> index
?atom: NUMBER -> number
     | STRING -> string
     | "true" -> true
     | "false" -> false
     | "null" -> null
     | FUNCTION "(" [expr ("," expr)*] ")" -> call
     | name -> variable
     | "(" expr ")"
     | "[" [expr ("," expr)*] "]" -> list_
     | "@" STRING -> temporal
     | "{" [entry ("," entry)*] "}" -> context

entry: (name | STRING) ":" expr
name: NAME

COMPARE: "!=" | "<=" | ">=" | "=" | "<" | ">"
ADD: "+" | "-"
MUL: "*" | "/"
FUNCTION.2: /(string length|upper case|lower case|starts with|ends with|string join|is defined|get or else|list contains|is empty|date and time|years and months duration|day of week|day of year|week of year|month of year|last day of month|(?!(and|or|if|then|else|in|between|satisfies|return|function|for|some|every)\b)[A-Za-z_][A-Za-z0-9_]*)(?=\s*\()/
NAME: /(?!(and|or|if|then|else|true|false|null|for|some|every|in|between|instance|function|satisfies|return)\b)[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /\d+(\.\d+)?|\.\d+/
STRING: /"(\\.|[^"\\])*"/

%import common.WS
%ignore WS
"""

_REFUSED_WORDS = {
    "for": "a 'for' loop", "some": "a 'some ... satisfies' quantifier", "every": "an 'every ... satisfies' quantifier",
    "in": "'in' (ranges and list tests)", "between": "'between'", "instance": "'instance of'",
    "function": "a function definition", "satisfies": "'satisfies'", "return": "'return'",
    "@": "a temporal literal '@' without its \"text\"", "..": "a range '..'",
}


# Functions that read null themselves; every other function answers null for a null first argument.
_NULL_AWARE = {"is defined", "get or else", "not", "sum", "min", "max", "append", "concatenate"}


class FeelNotSupported(ExpressionNotSupported):
    """A FEEL expression uses a construct flowdesk does not translate."""

    def __init__(self, construct: str, expression: str):
        ValueError.__init__(self, f"FEEL construct {construct} is not supported (in {expression!r})")
        self.construct = construct
        self.expression = expression


def is_feel(text: str | None) -> bool:
    """True when ``text`` is a FEEL expression (Camunda 8 marks them with a leading ``=``)."""
    return (text or "").strip().startswith("=")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", maybe_placeholders=True)


class _Refused(Exception):
    def __init__(self, construct: str):
        super().__init__(construct)
        self.construct = construct


class _Expr:
    """Python text, plus the variable path it reads when it is one (for null checks and paths)."""

    def __init__(self, python: str, path: tuple | None = None, is_null: bool = False, literal=None):
        self.python, self.path, self.is_null, self.literal = python, path, is_null, literal


def _lookup(path: tuple) -> str:
    return "_lookup_(" + ", ".join(repr(part) for part in path) + ")"


def _arity(name: str, args: list, *counts: int) -> None:
    if len(args) not in counts:
        raise _Refused(f"'{name}()' with {len(args)} argument(s)")


def _check_constant(name: str, args: list[_Expr]) -> None:
    """A temporal function of constants (``date("2024-13-01")``) is checked now, not when it runs."""
    if args and all(arg.literal is not None for arg in args):
        try:
            feel_temporal.call(name, *(arg.literal for arg in args))
        except (ValueError, TypeError, OverflowError, isodate.ISO8601Error) as exc:
            shown = ", ".join(json.dumps(arg.literal) for arg in args)
            raise _Refused(f"'{name}({shown})' ({exc})") from None


def _call(name: str, args: list[_Expr]) -> _Expr:
    a = [arg.python for arg in args]
    if name in feel_temporal.NAMES:
        _check_constant(name, args)
        return _Expr(f"_feel_({', '.join((repr(name), *a))})")
    if name == "not":
        _arity(name, a, 1)
        return _Expr(f"(not {a[0]})")
    if name in ("string length", "count"):
        _arity(name, a, 1)
        return _Expr(f"len({a[0]})")
    if name in ("upper case", "lower case"):
        _arity(name, a, 1)
        return _Expr(f"{a[0]}.{'upper' if name == 'upper case' else 'lower'}()")
    if name in ("contains", "list contains"):
        _arity(name, a, 2)
        return _Expr(f"({a[1]} in {a[0]})")
    if name in ("starts with", "ends with"):
        _arity(name, a, 2)
        return _Expr(f"{a[0]}.{'startswith' if name == 'starts with' else 'endswith'}({a[1]})")
    if name == "substring":
        _arity(name, a, 2, 3)
        # FEEL counts from 1, and a negative start from the end.
        start = f"(({a[1]}) - 1 if ({a[1]}) > 0 else len({a[0]}) + ({a[1]}))"
        end = f"{start} + ({a[2]})" if len(a) == 3 else ""
        return _Expr(f"{a[0]}[{start}:{end}]")
    if name == "string join":
        _arity(name, a, 1, 2)
        return _Expr(f"{a[1] if len(a) == 2 else repr('')}.join({a[0]})")
    if name == "string":
        _arity(name, a, 1)
        if "_feel_(" in a[0]:  # a date or duration is written as FEEL writes it (ISO 8601)
            return _Expr(f"_feel_('string', {a[0]})")
        return _Expr(f"str({a[0]})")
    if name == "number":
        _arity(name, a, 1)
        return _Expr(f"float({a[0]})")
    if name in ("sum", "min", "max"):
        if not a:
            raise _Refused(f"'{name}()' without arguments")
        return _Expr(f"{name}({a[0]})" if len(a) == 1 else f"{name}([{', '.join(a)}])")
    if name == "abs":
        _arity(name, a, 1)
        return _Expr(f"abs({a[0]})")
    if name == "floor":
        _arity(name, a, 1)
        return _Expr(f"(({a[0]}) // 1)")
    if name == "ceiling":
        _arity(name, a, 1)
        return _Expr(f"(-((-({a[0]})) // 1))")
    if name == "decimal":
        _arity(name, a, 2)
        return _Expr(f"round({a[0]}, {a[1]})")  # both round half to even
    if name == "is defined":
        _arity(name, a, 1)
        if args[0].path is None:
            raise _Refused("'is defined()' of anything but a variable or path")
        return _Expr(f"({_lookup(args[0].path)} is not None)")
    if name == "get or else":
        _arity(name, a, 2)
        return _Expr(f"({a[0]} if {a[0]} is not None else {a[1]})")
    if name == "is empty":
        _arity(name, a, 1)
        return _Expr(f"(len({a[0]}) == 0)")
    if name == "append":
        if len(a) < 2:
            raise _Refused("'append()' without items")
        return _Expr(f"({a[0]} + [{', '.join(a[1:])}])")
    if name == "concatenate":
        if not a:
            raise _Refused("'concatenate()' without lists")
        return _Expr("(" + " + ".join(a) + ")")
    raise _Refused(f"the function '{name}()'")


def _checked_name(name: str) -> str:
    if name.startswith("_"):
        raise _Refused(f"the variable '{name}' (names starting with '_' are not readable)")
    if keyword.iskeyword(name) or name in ("print", "printed"):
        raise _Refused(f"the variable '{name}' (a reserved word in Python)")
    return name


@v_args(inline=True)
class _ToPython(Transformer):
    def name(self, token):
        return str(token)

    def number(self, token):
        text = str(token)
        value = float(text) if "." in text else int(text)
        return _Expr(repr(value), literal=value)

    def string(self, token):
        try:
            value = json.loads(str(token))
        except ValueError:
            value = str(token)[1:-1]
        return _Expr(repr(value), literal=value)

    def temporal(self, token):
        text = json.loads(str(token))
        _check_constant("@", [_Expr(repr(text), literal=text)])
        return _Expr(f"_feel_('@', {text!r})")

    def true(self):
        return _Expr("True")

    def false(self):
        return _Expr("False")

    def null(self):
        return _Expr("None", is_null=True)

    def variable(self, name):
        name = _checked_name(name)
        return _Expr(_lookup((name,)), path=(name,))

    def path(self, target, name):
        if target.path is None:
            raise _Refused(f"'.{name}' on a computed value (only variables have paths)")
        path = (*target.path, name)
        return _Expr(_lookup(path), path=path)

    def index(self, target, position):
        if isinstance(position.literal, int) and not isinstance(position.literal, bool) and position.literal != 0:
            key = position.literal - 1 if position.literal > 0 else position.literal
            if target.path is not None:
                path = (*target.path, key)
                return _Expr(_lookup(path), path=path)
            return _Expr(f"{target.python}[{key}]")
        if isinstance(position.literal, str) and target.path is not None:
            path = (*target.path, position.literal)
            return _Expr(_lookup(path), path=path)
        raise _Refused("a list filter '[condition]' (only a whole-number index like [1] or [-1])")

    def neg(self, operand):
        literal = -operand.literal if isinstance(operand.literal, (int, float)) else None
        return _Expr(f"(-{operand.python})", literal=literal)

    def arith(self, left, op, right):
        return _Expr(f"({left.python} {op} {right.python})")

    def power(self, left, right):
        return _Expr(f"({left.python} ** {right.python})")

    def compare(self, left, op, right):
        op = {"=": "=="}.get(str(op), str(op))
        if op in ("==", "!=") and (left.is_null or right.is_null):
            other = right if left.is_null else left
            return _Expr(f"({other.python} {'is' if op == '==' else 'is not'} None)")
        return _Expr(f"({left.python} {op} {right.python})")

    def and_(self, left, right):
        return _Expr(f"({left.python} and {right.python})")

    def or_(self, left, right):
        return _Expr(f"({left.python} or {right.python})")

    def if_(self, condition, then, otherwise):
        # FEEL takes the else branch when the condition is false or null.
        return _Expr(f"({then.python} if {condition.python} is True else {otherwise.python})")

    def call(self, function, *args):
        name = " ".join(str(function).split())
        given = [arg for arg in args if arg is not None]
        result = _call(name, given)
        if name in _NULL_AWARE or not given or given[0].literal is not None:
            return result
        # FEEL functions answer null for a null argument (Zeebe maps a missing list to null).
        return _Expr(f"(None if {given[0].python} is None else {result.python})")

    def list_(self, *items):
        return _Expr("[" + ", ".join(item.python for item in items if item is not None) + "]")

    def entry(self, key, value):
        if isinstance(key, Token):  # a quoted key
            key = json.loads(str(key))
        return (key, value)

    def context(self, *entries):
        return _Expr("{" + ", ".join(f"{k!r}: {v.python}" for k, v in entries if (k, v) != (None, None)) + "}")


def _construct_of(exc: UnexpectedInput, body: str) -> str:
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return "an incomplete expression"
    column = getattr(exc, "column", None)
    rest = body[exc.pos_in_stream:] if getattr(exc, "pos_in_stream", None) is not None else ""
    first = re.match(r"[A-Za-z_]\w*|\.\.|\S+", rest.lstrip())
    word = first.group(0) if first else ""
    if ".." in body[max(exc.pos_in_stream - 1, 0):exc.pos_in_stream + 2]:
        return _REFUSED_WORDS[".."]
    for refused, what in _REFUSED_WORDS.items():
        if word == refused or word.startswith(refused) and refused in ("@", ".."):
            return what
    if word.startswith("@"):
        return _REFUSED_WORDS["@"]
    shown = word[:20] or (rest[:1] if rest else "?")
    return f"'{shown}' at column {column}" if column else f"'{shown}'"


def translate(expression: str) -> str:
    """The Python equivalent of a FEEL expression written ``=...``.

    Raises :class:`FeelNotSupported` (an ExpressionNotSupported, so a ValueError) naming the construct.
    """
    text = expression.strip()
    if not text.startswith("="):
        raise FeelNotSupported("text without the leading '='", expression)
    body = text[1:].strip()
    if not body:
        raise FeelNotSupported("an empty expression", expression)
    try:
        tree = _parser().parse(body)
        python = _ToPython().transform(tree).python
        # A duration the expression leaves behind must be kept as ISO text (task data is JSON).
        return f"_feel_('stored', {python})" if "_feel_(" in python else python
    except VisitError as exc:
        if isinstance(exc.orig_exc, _Refused):
            raise FeelNotSupported(exc.orig_exc.construct, expression) from None
        raise
    except (UnexpectedCharacters, UnexpectedToken, UnexpectedEOF) as exc:
        raise FeelNotSupported(_construct_of(exc, body), expression) from None


def variable_name(expression: str) -> str | None:
    """The variable a FEEL ``=name`` reads (None for anything else)."""
    body = expression.strip().removeprefix("=").strip()
    return body if body.isidentifier() and not keyword.iskeyword(body) else None
