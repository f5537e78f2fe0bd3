"""RestrictedEnvironment: conditions and scripts from uploaded models, and the escapes it refuses."""

import datetime
import re
from dataclasses import asdict

import pytest

from flowdesk.bpmn import ExecutionError, script_engine
from flowdesk.bpmn.script_engine import (
    Limits,
    OutputTooLarge,
    RestrictedEnvironment,
    ScriptRefused,
    ScriptTimeout,
    TaskDataNotJson,
    ValueTooLarge,
    check,
    configure,
    json_task_data,
    restricted_script_engine,
)


@pytest.fixture
def env():
    return RestrictedEnvironment()


def test_evaluates_a_condition_on_task_data(env):
    assert env.evaluate("approved == True and amount > 10000", {"approved": True, "amount": 50000}) is True


def test_evaluates_a_false_condition(env):
    assert env.evaluate("amount <= 10000", {"amount": 50000}) is False


def test_condition_surrounded_by_whitespace_is_evaluated(env):
    assert env.evaluate("\n   amount > 1\n", {"amount": 2}) is True


def test_script_writes_new_variables_back(env):
    data = {"price": 3, "quantity": 4}

    env.execute("total = price * quantity", data)

    assert data == {"price": 3, "quantity": 4, "total": 12}


def test_script_updates_an_existing_variable(env):
    data = {"count": 1}

    env.execute("count += 1", data)

    assert data == {"count": 2}


def test_script_deletes_a_deleted_variable(env):
    data = {"keep": 1, "scratch": 2}

    env.execute("del scratch", data)

    assert data == {"keep": 1}


def test_script_can_change_lists_and_dicts_in_place(env):
    data = {"items": [1, 2], "totals": {}}

    env.execute("items.append(3)\ntotals['sum'] = sum(items)", data)

    assert data == {"items": [1, 2, 3], "totals": {"sum": 6}}


def test_script_can_loop_and_unpack(env):
    data = {"lines": [("a", 2), ("b", 3)]}

    env.execute("total = 0\nfor name, qty in lines:\n    total += qty", data)

    assert data["total"] == 5


def test_script_helpers_math_and_datetime_are_available(env):
    data = {}

    env.execute("rounded = math.ceil(2.1)\ndays = datetime.timedelta(days=2).days", data)

    assert data == {"rounded": 3, "days": 2}


def test_functions_defined_in_a_script_are_not_stored(env):
    data = {}

    env.execute("def double(x):\n    return 2 * x\nresult = double(4)", data)

    assert data == {"result": 8}


def test_misspelt_attribute_raises_instead_of_reading_none(env):
    with pytest.raises(AttributeError):
        env.evaluate("datetime.timedelta(days=1).dayz == None", {})


def test_check_refuses_import_dunder():
    with pytest.raises(ScriptRefused, match="__import__"):
        check("__import__('os')", "eval")


def test_check_refuses_dunder_attributes():
    with pytest.raises(ScriptRefused, match="__class__"):
        check("x = ().__class__")


def test_check_accepts_ordinary_code():
    check("total = price * quantity")
    check("approved == True and amount > 10000", "eval")


def test_refused_script_reports_the_offending_line():
    with pytest.raises(ScriptRefused) as refused:
        check("x = 1\ny = __import__('os')")

    assert refused.value.lineno == 2
    assert str(refused.value).startswith('Line 2: "__import__"')


@pytest.mark.parametrize(("source", "refused_with"), [
    # Refused by the restricted compiler before anything runs.
    ("x = __import__('os')", ScriptRefused),
    ("x = ().__class__.__base__.__subclasses__()", ScriptRefused),
    ("x = (lambda: 0).__globals__", ScriptRefused),
    ("x = datetime.datetime.now.__self__", ScriptRefused),
    ("g = (i for i in [1])\nx = g.gi_frame.f_back", ScriptRefused),
    ("x = eval('1')", ScriptRefused),
    ("x = exec('1')", ScriptRefused),
    # Builtins scripts never get: calling one is refused before running, not left to a NameError.
    ("x = open('/etc/passwd').read()", ScriptRefused),
    ("x = getattr((), '__class__')", ScriptRefused),
    ("x = type(())", ScriptRefused),
    ("x = globals()", ScriptRefused),
    ("x = compile('1', 'f', 'eval')", ScriptRefused),
    # Imports: every one would fail when run, so none gets past the check.
    ("import os", ScriptRefused),
    ("from os import system", ScriptRefused),
    # Compiles, then fails: the name is simply not there.
    ("x = open", NameError),
    # Compiles, then refused by the attribute guards.
    ("x = '{0.__class__}'.format(1)", NotImplementedError),
    ("x = datetime.sys", AttributeError),
    ("x = datetime.sys.modules['os'].getcwd()", AttributeError),
])
def test_escape_is_refused_at_compile_or_run_time(env, source, refused_with):
    data = {}

    with pytest.raises(refused_with):
        env.execute(source, data)

    assert "x" not in data


def test_task_data_cannot_replace_the_restricted_builtins(env):
    # Task data is JSON (only JSON reaches a sandbox process), so a name is all it can bring.
    with pytest.raises(NameError):
        env.execute("x = open", {"__builtins__": {"open": "open"}})


def test_task_data_cannot_replace_the_guards(env):
    data = {"_getattr_": "not a guard", "price": 2}

    env.execute("total = price.real", data)

    assert data["total"] == 2


def test_service_calls_are_not_made_from_scripts(env):
    with pytest.raises(NotImplementedError):
        env.call_service({}, operation_name="http/GetRequest")


def test_default_limits():
    assert Limits() == Limits(timeout=1.0, max_memory_bytes=256 * 1024 ** 2, max_output_bytes=64 * 1024,
                              max_items=1_000_000, max_int_bits=10_000, max_data_bytes=16 * 1024 ** 2)


def test_configure_changes_only_the_given_limits_and_returns_the_previous(sandbox_limits):
    before = script_engine.LIMITS

    previous = configure(timeout=0.5, max_output_bytes=10)

    assert previous == before
    assert asdict(script_engine.LIMITS) == {**asdict(before), "timeout": 0.5, "max_output_bytes": 10}


def test_timeout_applies_to_conditions(env, sandbox_limits):
    sandbox_limits(timeout=0.1)

    with pytest.raises(ScriptTimeout):
        env.evaluate("len([a for a in range(10**6) for b in range(10**6)]) > 0", {})


def test_output_limit_counts_every_print(env, sandbox_limits):
    sandbox_limits(max_output_bytes=100)

    with pytest.raises(OutputTooLarge):
        env.execute("for i in range(20):\n    print('0123456789')", {})


@pytest.mark.parametrize("source", [
    "n = 1000001\nx = 'a' * n",
    "n = 1000\nx = [[0] * n] * n",
    "n = 10001\nx = 1 << n",
    "n = 6\nx = '%0' + str(10**n + 1) + 'd'\ny = x % 1",
    "n = 999999\nx = 'ab'.center(n) + 'ab'.center(n)",
    "n = 10**6\nx = 'a' * n\ny = ','.join([x, x])",
    "n = 10**12\nx = pow(2, n)",
    "n = 2\nx = sum([[0] * 600000] * n, [])",
    "n = 10**6\nx = math.comb(n, n // 2)",
])
def test_operations_building_values_over_the_limits_are_refused(env, source):
    with pytest.raises(ValueTooLarge):
        env.execute(source, {})


def test_constant_values_over_the_limits_are_refused_before_running():
    with pytest.raises(ScriptRefused, match=r"Line 2: '\*\*' would build a value of about [\d,]+ bits"):
        check("x = 1\ny = 2 ** 10 ** 6")


def test_calling_an_unavailable_builtin_is_refused_before_running():
    with pytest.raises(ScriptRefused, match=r"open\(\) is not available"):
        check("x = open('f')")


@pytest.mark.parametrize("source", ["import os", "x = 1\nimport json, math", "from os import path",
                                    "from . import sibling"])
def test_an_import_is_refused_before_running(source):
    with pytest.raises(ScriptRefused, match=r"import is not available to scripts"):
        check(source)


def test_a_function_the_script_defines_may_reuse_an_unavailable_name(env):
    data = {}

    env.execute("def input(x):\n    return x * 2\nresult = input(2)", data)

    assert data == {"result": 4}


def test_tuples_become_lists_and_dates_iso_strings():
    data = {"pair": (1, 2), "when": datetime.date(2026, 3, 2), "nested": {"at": datetime.time(8, 30)}}

    assert json_task_data(data) == {"pair": [1, 2], "when": "2026-03-02", "nested": {"at": "08:30:00"}}


def test_json_data_is_returned_unchanged():
    data = {"items": [1, {"a": [True, None, 1.5, "x"]}]}

    assert json_task_data(data)["items"] is data["items"]


@pytest.mark.parametrize(("data", "named"), [
    ({"tags": {"a"}}, "variable 'tags' holds a set"),
    ({"wait": datetime.timedelta(days=1)}, "variable 'wait' holds a timedelta"),
    ({"raw": b"x"}, "variable 'raw' holds a bytes"),
    ({"ratio": float("inf")}, "variable 'ratio' holds inf"),
    ({"counts": {1: 2}}, "variable 'counts' holds a dict with the int key 1"),
    ({"deep": {"a": [1, print]}}, "variable 'deep['a'][1]' holds a builtin_function_or_method"),
])
def test_non_json_task_data_is_refused_naming_the_variable(data, named):
    with pytest.raises(TaskDataNotJson, match=re.escape(named)):
        json_task_data(data)


def test_task_data_containing_itself_is_refused():
    loop = []
    loop.append(loop)

    with pytest.raises(TaskDataNotJson, match="contains itself"):
        json_task_data({"loop": loop})


def test_task_data_over_the_size_limit_is_refused():
    with pytest.raises(TaskDataNotJson, match="more than 1 MiB"):
        json_task_data({"text": "x" * (1024 ** 2 + 1)}, limit=1024 ** 2)


def test_failing_condition_message_says_what_went_wrong(run, with_condition):
    instance = run("two_step.bpmn", with_condition("amount > limit"), amount=5)

    with pytest.raises(ExecutionError, match="Error evaluating expression 'amount > limit': NameError"):
        instance.complete("first")


def test_restored_workflows_get_the_restricted_engine():
    assert isinstance(restricted_script_engine().environment, RestrictedEnvironment)
