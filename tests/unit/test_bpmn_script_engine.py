"""RestrictedEnvironment: conditions and scripts from uploaded models, and the escapes it refuses."""

import pytest

from flowdesk.bpmn.script_engine import RestrictedEnvironment, ScriptRefused, check


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
    # Compiles, then fails: the name or module is simply not there.
    ("x = open('/etc/passwd').read()", NameError),
    ("x = getattr((), '__class__')", NameError),
    ("x = type(())", NameError),
    ("x = globals()", NameError),
    ("x = compile('1', 'f', 'eval')", NameError),
    ("import os", ImportError),
    ("from os import system", ImportError),
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


def test_task_data_cannot_bring_back_the_real_builtins(env):
    with pytest.raises(TypeError):
        env.execute("x = open", {"__builtins__": None})


def test_service_calls_are_not_made_from_scripts(env):
    with pytest.raises(NotImplementedError):
        env.call_service({}, operation_name="http/GetRequest")
