"""FEEL (Camunda 8) expressions: translated to Python at deploy time, run by the restricted engine."""

import pytest

from flowdesk.bpmn.feel import FeelNotSupported, is_feel, translate
from flowdesk.bpmn.script_engine import RestrictedEnvironment, check

ORDER = {"amount": 1500, "approved": True, "status": "open", "customer": {"name": "Ada", "tags": ["vip", "eu"]},
         "items": [{"sku": "a", "price": 2}, {"sku": "b", "price": 3}], "note": None}


@pytest.fixture
def evaluate():
    """``evaluate("=amount > 1000")`` -> the translated expression's value on ORDER."""
    environment = RestrictedEnvironment()
    return lambda expression, **data: environment.evaluate(translate(expression), {**ORDER, **data})


@pytest.mark.parametrize(("expression", "value"), [
    ("=amount > 1000", True),
    ("= amount <= 1000", False),
    ('=status = "open"', True),
    ('=status != "open"', False),
    ("=approved and amount > 1000", True),
    ("=not(approved) or amount < 10", False),
    ("=note = null", True),
    ("=missing = null", True),  # a missing variable is null in FEEL
    ("=customer.name", "Ada"),
    ("=customer.address.city = null", True),
    ("=items[1].sku", "a"),  # FEEL lists count from 1
    ("=items[-1].price", 3),
    ("=amount * 2 - 500 / 5", 2900),
    ("=2 ** 3", 8),
    ('=if amount > 1000 then "large" else "small"', "large"),
    ('=if missing then "yes" else "no"', "no"),  # null is not true
    ("=[1, 2, 3]", [1, 2, 3]),
    ('={total: amount, "the status": status}', {"total": 1500, "the status": "open"}),
    ('="line\\nbreak"', "line\nbreak"),
    ("=string length(customer.name) = 3", True),
    ('=contains(status, "pe")', True),
    ('=starts with(customer.name, "A")', True),
    ('=ends with(customer.name, "a")', True),
    ("=upper case(status)", "OPEN"),
    ("=lower case(customer.name)", "ada"),
    ('=substring("hello", 2, 3)', "ell"),
    ('=substring("hello", -2)', "lo"),
    ('=string join(customer.tags, ", ")', "vip, eu"),
    ('=list contains(customer.tags, "vip")', True),
    ("=count(items)", 2),
    ("=sum([1, 2, 3])", 6),
    ("=min(4, 2, 8)", 2),
    ("=max([4, 2, 8])", 8),
    ("=abs(-3)", 3),
    ("=floor(2.5)", 2),
    ("=ceiling(2.1)", 3),
    ("=decimal(2.345, 2)", 2.35),
    ("=is defined(customer.name)", True),
    ("=is defined(customer.phone)", False),
    ('=get or else(note, "none")', "none"),
    ("=append([1], 2, 3)", [1, 2, 3]),
    ("=concatenate([1], [2])", [1, 2]),
    ("=string(amount)", "1500"),
    ('=number("2.5") > 2', True),
    ("=string length(missing)", None),  # a function of null is null
    ('=string join(missing, ", ")', None),
    ("=upper case(note)", None),
])
def test_feel_means_the_same_in_python(evaluate, expression, value):
    assert evaluate(expression) == value


def test_an_order_variable_is_not_read_as_the_keyword_or(evaluate):
    assert evaluate("=order > 1", order=2) is True


@pytest.mark.parametrize(("expression", "construct"), [
    ("=for x in items return x.price", "a 'for' loop"),
    ("=some x in items satisfies x.price > 2", "a 'some ... satisfies' quantifier"),
    ("=every x in items satisfies x.price > 2", "an 'every ... satisfies' quantifier"),
    ("=amount between 1 and 3", "'between'"),
    ("=amount in [1, 2]", "'in' (ranges and list tests)"),
    ("=1..3", "a range '..'"),
    ("=amount instance of number", "'instance of'"),
    ("=function(x) x + 1", "a function definition"),
    ("=items[price > 2]", "a list filter '[condition]'"),
    ("=riskScore(customer)", "the function 'riskScore()'"),
    ("=not(a, b)", "'not()' with 2 argument(s)"),
    ("={a: 1}.a", "'.a' on a computed value"),
    ("=_lookup_", "the variable '_lookup_'"),
    ("=import", "the variable 'import' (a reserved word in Python)"),
    ("=amount >", "an incomplete expression"),
    ("=amount ! 3", "'!' at column 8"),
    ("=", "an empty expression"),
])
def test_an_unsupported_construct_is_named(expression, construct):
    with pytest.raises(FeelNotSupported) as refused:
        translate(expression)

    assert construct in refused.value.construct
    assert str(refused.value).startswith("FEEL construct ")


@pytest.mark.parametrize("expression", ["=amount > 1000", '=if a then [1, {b: "c"}] else null', "=x.y[2]"])
def test_every_translation_passes_the_sandbox_check(expression):
    check(translate(expression), "eval")


def test_only_a_leading_equals_sign_marks_feel():
    assert is_feel(" =amount > 1") and not is_feel("amount == 1") and not is_feel("${amount}")
