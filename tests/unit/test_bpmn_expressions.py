"""Camunda (JUEL) expressions: translated to Python at deploy time, run by the restricted engine."""

import pytest

from flowdesk.bpmn import ModelError
from flowdesk.bpmn.expressions import ExpressionNotSupported, is_expression, translate
from flowdesk.bpmn.script_engine import RestrictedEnvironment, check


@pytest.fixture
def evaluate():
    """``evaluate("${a && b}", a=True, b=False)`` -> the translated expression's value."""
    environment = RestrictedEnvironment()
    return lambda expression, **data: environment.evaluate(translate(expression), data)


@pytest.mark.parametrize(("expression", "python"), [
    ("${amount > 1000}", "(amount > 1000)"),
    ("#{approved}", "approved"),
    ("  ${ approved }  ", "approved"),
    ("${a && b || !c}", "((a and b) or (not c))"),
    ("${a and b or not c}", "((a and b) or (not c))"),
    ("${x eq 'y'}", "(x == 'y')"),
    ("${x ne \"y\"}", "(x != 'y')"),
    ("${n gt 5}", "(n > 5)"),
    ("${n lt 5}", "(n < 5)"),
    ("${n ge 5}", "(n >= 5)"),
    ("${n le 5}", "(n <= 5)"),
    ("${n ne 5}", "(n != 5)"),
    ("${flag == true}", "(flag == True)"),
    ("${flag != false}", "(flag != False)"),
    ("${x == null}", "(_lookup_('x') is None)"),
    ("${null != x}", "(_lookup_('x') is not None)"),
    ("${empty name}", "(_lookup_('name') in (None, '', [], {}))"),
    ("${not empty list}", "(not (_lookup_('list') in (None, '', [], {})))"),
    ("${customer.address['city'] == 'Paris'}", "(customer['address']['city'] == 'Paris')"),
    ("${empty customer.phone}", "(_lookup_('customer', 'phone') in (None, '', [], {}))"),
    ("${items[0] > items[i]}", "(items[0] > items[i])"),
    ("${execution.getVariable('x') > 3}", "(x > 3)"),
    ("${a ? b : c}", "(b if a else c)"),
    ("${-n mod 3 div 2}", "(((-n) % 3) / 2)"),
    ("${(a || b) && c}", "((a or b) and c)"),
    ("${1.5e3 + .5 - 2}", "((1500.0 + 0.5) - 2)"),
    ("${s == 'a && b || !c }'}", "(s == 'a && b || !c }')"),
    ("${s == 'it\\'s'}", "(s == \"it's\")"),
    ("${items.size() > 0}", "(len(items) > 0)"),
    ("${!items.isEmpty()}", "(not (len(items) == 0))"),
    ("${name.contains('a') || tags.contains(tag)}", "(('a' in name) or (tag in tags))"),
    ("${status.equals('open')}", "(status == 'open')"),
    ("${code.substring(0, 2) eq 'DE'}", "(code[0:2] == 'DE')"),
    ("${customer.get('name').trim().toUpperCase()}", "customer['name'].strip().upper()"),
])
def test_translates_juel_to_python(expression, python):
    assert translate(expression) == python


@pytest.mark.parametrize(("expression", "data", "expected"), [
    ("${amount > 1000 && approved}", {"amount": 5000, "approved": True}, True),
    ("${amount > 1000 && approved}", {"amount": 5000, "approved": False}, False),
    ("${amount <= 1000 || !approved}", {"amount": 10, "approved": True}, True),
    ("${n ge 5 and n le 9}", {"n": 7}, True),
    ("${x eq 'y'}", {"x": "y"}, True),
    ("${empty name}", {"name": ""}, True),
    ("${empty name}", {"name": None}, True),
    ("${empty name}", {"name": []}, True),
    ("${empty name}", {"name": {}}, True),
    ("${empty name}", {}, True),
    ("${empty name}", {"name": 0}, False),
    ("${empty name}", {"name": False}, False),
    ("${not empty list}", {"list": [1]}, True),
    ("${x == null}", {}, True),
    ("${x == null}", {"x": 0}, False),
    ("${x != null}", {"x": "a"}, True),
    ("${customer.phone == null}", {"customer": {"name": "Ann"}}, True),
    ("${customer.address.city == 'Paris'}", {"customer": {"address": {"city": "Paris"}}}, True),
    ("${execution.getVariable('approved')}", {"approved": True}, True),
    ("${approved ? 'yes' : 'no'}", {"approved": False}, "no"),
    ("${items.size() > 1}", {"items": ["a", "b"]}, True),
    ("${name.length() == 3}", {"name": "Ann"}, True),
    ("${items.isEmpty()}", {"items": []}, True),
    ("${name.contains('nn')}", {"name": "Ann"}, True),
    ("${roles.contains('admin')}", {"roles": ["agent"]}, False),
    ("${limits.containsKey('eur')}", {"limits": {"eur": 5}}, True),
    ("${limits.containsValue(5)}", {"limits": {"eur": 5}}, True),
    ("${country.equalsIgnoreCase('de')}", {"country": "DE"}, True),
    ("${email.endsWith('@example.com')}", {"email": "a@example.com"}, True),
    ("${email.startsWith('a@')}", {"email": "a@example.com"}, True),
    ("${name.toLowerCase()}", {"name": "Ann"}, "ann"),
    ("${code.substring(2)}", {"code": "DE123"}, "123"),
    ("${amount.toString()}", {"amount": 5}, "5"),
    ("${items.get(0)}", {"items": ["a"]}, "a"),
])
def test_translated_expression_evaluates_like_juel(evaluate, expression, data, expected):
    assert evaluate(expression, **data) == expected


def test_missing_variable_outside_a_null_check_raises(evaluate):
    with pytest.raises(NameError):
        evaluate("${amount > 1000}")


def test_missing_key_outside_a_null_check_raises(evaluate):
    with pytest.raises(KeyError):
        evaluate("${customer.phone == '123'}", customer={})


@pytest.mark.parametrize(("expression", "construct"), [
    ("${order.getTotal() > 0}", "method call 'getTotal()'"),
    ("${invoiceService.check(invoiceId)}", "method call 'check()'"),
    ("${execution.getVariables().size()}", "method call 'getVariables()'"),
    ("${name.contains()}", "method call 'contains()' with 0 argument(s)"),
    ("${execution.getProcessInstanceId()}", "method call 'getProcessInstanceId()'"),
    ("${execution.processInstanceId}", "'execution' object"),
    ("${fn:contains(list, 'a')}", "function call 'fn:contains()'"),
    ("${len(list) > 0}", "function call 'len()'"),
    ("${a = 1}", "assignment '='"),
    ("${a += 'b'}", "string concatenation '+='"),
    ("${a; b}", "sequence of expressions"),
    ("${x -> x}", "lambda expression"),
    ("${x instanceof y}", "'instanceof'"),
    ("${[1, 2]}", "list literal"),
    ("${{'a': 1}}", "set or map literal"),
    ("${a}${b}", "composite expression"),
    ("amount is ${amount}", "not a ${...} or #{...} expression"),
    ("${}", "empty expression"),
    ("${a", "closing '}'"),
    ("${a ? b}", "incomplete expression"),
    ("${'open}", "unterminated string"),
    ("${a & b}", "character '&'"),
    ("${class == 1}", "variable 'class'"),
    ("${_secret}", "variable '_secret'"),
])
def test_untranslatable_construct_is_named(expression, construct):
    with pytest.raises(ExpressionNotSupported) as refused:
        translate(expression)

    assert construct in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_translation_passes_the_restricted_compiler():
    check(translate("${not empty customer.phone && amount gt 1000}"), "eval")


def test_only_dollar_and_hash_braces_are_expressions():
    assert [is_expression(t) for t in ("${a}", " #{a}", "a > 1", "", None)] == [True, True, False, False, False]


def test_lookup_helper_is_readable_but_not_assignable():
    with pytest.raises(SyntaxError):
        check("_lookup_ = 1")


@pytest.mark.parametrize(("amount", "approved", "end"), [
    (5000, True, "big"),
    (5000, False, "small"),
    (1000, True, "small"),
])
def test_camunda_conditions_choose_the_path(run, amount, approved, end):
    instance = run("camunda_conditions.bpmn")
    assert instance.waiting() == ["review"]

    instance.complete("review", amount=amount, approved=approved)

    assert instance.execution.is_completed
    assert {"big", "small"} & instance.completed_elements() == {end}


def test_camunda_model_keeps_its_uploaded_source(parse, bpmn):
    assert parse("camunda_conditions.bpmn")[0].source == bpmn("camunda_conditions.bpmn")


def test_untranslatable_condition_is_refused_naming_the_flow(parse, bpmn):
    content = bpmn("camunda_conditions.bpmn").replace(b"${amount &lt;= 1000 || !approved}",
                                                      b"${execution.getProcessInstanceId() != null}")
    expected_line = next(n for n, line in enumerate(content.decode().splitlines(), start=1)
                         if "getProcessInstanceId" in line)

    with pytest.raises(ModelError) as error:
        parse("camunda_conditions.bpmn", content)

    [issue] = error.value.issues
    assert (issue.file, issue.line, issue.element_id) == ("camunda_conditions.bpmn", expected_line,
                                                          "flow_gateway_to_small")
    assert "method call 'getProcessInstanceId()'" in issue.message
