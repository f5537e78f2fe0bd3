"""The sandbox around model code, end to end: what is refused at deploy time, what is stopped at run time.

Every hostile script is followed by a normal one in the same interpreter, to show nothing was harmed.
"""

import builtins
import sys
import threading
import time

import pytest

from flowdesk.bpmn import ExecutionError, ModelError, script_engine
from flowdesk.bpmn.script_engine import RestrictedEnvironment
from flowdesk.bpmn.sandbox import namespace


def still_runs(run) -> bool:
    """A normal script task still computes its total in this interpreter."""
    instance = run("spiff_dialect.bpmn", price=3, quantity=4)
    return instance.execution.variables["total"] == 12


# Refused by the compiler or by constant folding, so never deployed.
STATIC_SCRIPTS = [
    "total = __import__('os')",
    "total = ().__class__.__mro__",
    "total = [].__class__.__base__.__subclasses__()",
    "total = random._os",
    "total = math.__loader__",
    "total = datetime.__builtins__",
    "total = getattr(price, '__globals__')",
    "exec('total = 1')",
    "total = eval('1')",
    "total = open('/etc/passwd').read()",
    "total = 'a' * 10**10",
    "total = [0] * 10**9",
    "total = 10**10**10",
    "total = list(range(10**12))",
    "print('x' * 10**8)",
]

STATIC_CONDITIONS = [
    "__import__('os') is None",
    "().__class__.__mro__ is None",
    "[].__class__.__base__.__subclasses__() == []",
    "random._os is None",
    "math.__loader__ is None",
    "getattr(skip, '__globals__') is None",
    "exec('x = 1') is None",
    "eval('1') == 1",
    "open('/etc/passwd') is None",
    "'a' * 10**10 == ''",
    "len([0] * 10**9) > 0",
    "10**10**10 > 0",
    "len(list(range(10**12))) > 0",
]

# Only running shows these: each fails its task with the error named in the message.
RUNAWAY_SCRIPTS = [
    ("total = datetime.sys", "AttributeError"),
    ("while True: pass", "ScriptTimeout"),
    ("while True:\n    try:\n        while True: pass\n    except Exception:\n        pass", "ScriptTimeout"),
    ("try:\n    while True: pass\nexcept:\n    pass\ntotal = 1", "ScriptTimeout"),
    ("f = lambda n: n and f(n - 1) + f(n - 1)\ntotal = f(60)", "ScriptTimeout"),
    ("total = [a for a in range(10**6) for b in range(10**6)]", "ScriptTimeout"),
    ("n = 10\ntotal = 'a' * n**10", "ValueTooLarge"),
    ("n = 9\ntotal = [0] * 10**n", "ValueTooLarge"),
    ("n = 10\ntotal = n**n**n", "ValueTooLarge"),
    ("n = 12\ntotal = list(range(10**n))", "ValueTooLarge"),
    ("n = 8\nprint('x' * 10**n)", "ValueTooLarge"),
    ("s = 'ab'\nwhile True:\n    s += s", "ValueTooLarge"),
    ("s = 'a' * 100000\ntotal = s.replace('a', s)", "ValueTooLarge"),
    ("n = 10\ntotal = f'{1:>{n**10}}'", "ValueTooLarge"),
    ("total = math.factorial(10**6)", "ValueTooLarge"),
    ("for i in range(1000):\n    print('x' * 1000)", "OutputTooLarge"),
]


@pytest.mark.parametrize("script", STATIC_SCRIPTS)
def test_hostile_script_is_refused_at_deploy_time(parse, with_script, run, script):
    with pytest.raises(ModelError) as error:
        parse("spiff_dialect.bpmn", with_script(script))

    [issue] = error.value.issues
    assert (issue.element_id, issue.message.split(":")[0]) == ("compute", "refused script")
    assert still_runs(run)


@pytest.mark.parametrize("condition", STATIC_CONDITIONS)
def test_hostile_condition_is_refused_at_deploy_time(parse, with_condition, run, condition):
    with pytest.raises(ModelError) as error:
        parse("two_step.bpmn", with_condition(condition))

    [issue] = error.value.issues
    assert (issue.element_id, issue.message.split(":")[0]) == ("flow_gateway_skip", "refused condition")
    assert still_runs(run)


@pytest.mark.parametrize(("script", "error_name"), RUNAWAY_SCRIPTS)
def test_runaway_script_fails_its_task_at_run_time(run, with_script, sandbox_limits, script, error_name):
    sandbox_limits(timeout=0.2)

    with pytest.raises(ExecutionError) as error:
        run("spiff_dialect.bpmn", with_script(script), price=1, quantity=1)

    assert error.value.element_id == "compute"
    assert error_name in error.value.message
    assert still_runs(run)


def test_endless_loop_is_stopped_within_the_time_limit(run, with_script, sandbox_limits):
    sandbox_limits(timeout=0.2)
    started = time.monotonic()

    with pytest.raises(ExecutionError, match="more than 0.2 s of CPU time"):
        run("spiff_dialect.bpmn", with_script("while True: pass"), price=1, quantity=1)

    assert time.monotonic() - started < 2


def test_timeout_names_the_line_of_the_loop(run, with_script, sandbox_limits):
    sandbox_limits(timeout=0.2)

    with pytest.raises(ExecutionError) as error:
        run("spiff_dialect.bpmn", with_script("total = 0\nwhile True:\n    pass"), price=1, quantity=1)

    assert error.value.line == 2


def test_runaway_condition_fails_its_gateway(run, with_condition, sandbox_limits):
    sandbox_limits(timeout=0.2)
    instance = run("two_step.bpmn", with_condition("len([a for a in range(10**6) for b in range(10**6)]) > 0"))

    with pytest.raises(ExecutionError) as error:
        instance.complete("first")

    assert error.value.element_id == "skip_gateway"
    assert "ScriptTimeout" in error.value.message


def test_script_that_keeps_allocating_is_stopped_by_the_memory_guard(run, with_script, sandbox_limits):
    sandbox_limits(timeout=2, max_memory_bytes=32 * 1024 ** 2)
    script = "chunks = []\nwhile True:\n    chunks.append('x' * 999999 + str(len(chunks) % 10))"

    with pytest.raises(ExecutionError, match="ScriptMemoryExceeded"):
        run("spiff_dialect.bpmn", with_script(script), price=1, quantity=1)

    assert still_runs(run)


def test_time_limit_is_configurable(run, with_script, sandbox_limits):
    sandbox_limits(timeout=0.05)

    with pytest.raises(ExecutionError, match="more than 0.05 s"):
        run("spiff_dialect.bpmn", with_script("total = 0\nfor i in range(10**6):\n    total += i"),
            price=1, quantity=1)


def test_script_within_the_limits_is_not_disturbed(run, with_script):
    script = "total = 0\nfor i in range(100000):\n    total += i\nlabel = 'x' * 1000 + f'{total:>12}'"

    variables = run("spiff_dialect.bpmn", with_script(script), price=1, quantity=1).execution.variables

    assert variables["total"] == 4999950000
    assert len(variables["label"]) == 1012


def test_sandbox_leaves_the_interpreter_as_it_was(run, with_script, sandbox_limits):
    sandbox_limits(timeout=0.1)
    tracer, real_open, real_import = sys.gettrace(), builtins.open, builtins.__import__

    with pytest.raises(ExecutionError):
        run("spiff_dialect.bpmn", with_script("while True: pass"), price=1, quantity=1)

    assert (sys.gettrace(), builtins.open, builtins.__import__) == (tracer, real_open, real_import)
    assert getattr(namespace._running, "evaluation", None) is None


def test_endless_loop_in_one_thread_does_not_stop_another(sandbox_limits):
    sandbox_limits(timeout=0.3)
    environment, outcome = RestrictedEnvironment(), {}

    def spin():
        try:
            environment.execute("while True: pass", {})
        except script_engine.ScriptTimeout:
            outcome["spin"] = "stopped"

    def count():
        data = {"n": 0}
        for _ in range(200):
            environment.execute("n += 1", data)
        outcome["count"] = data["n"]

    threads = [threading.Thread(target=spin), threading.Thread(target=count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2.5)

    assert outcome == {"spin": "stopped", "count": 200}


def test_script_leaving_a_set_fails_naming_the_variable(run, with_script):
    with pytest.raises(ExecutionError, match="variable 'tags' holds a set"):
        run("spiff_dialect.bpmn", with_script("total = 1\ntags = {'a', 'b'}"), price=1, quantity=1)


def test_script_leaving_a_function_inside_a_list_fails_naming_where(run, with_script):
    with pytest.raises(ExecutionError, match=r"variable 'steps\[1\]' holds a function"):
        run("spiff_dialect.bpmn", with_script("def f():\n    return 1\ntotal = 1\nsteps = [1, f]"),
            price=1, quantity=1)


def test_script_leaving_a_datetime_stores_its_iso_string(run, with_script):
    script = "total = 1\nwhen = datetime.datetime(2026, 3, 2, 8, 30)\nday = datetime.date(2026, 3, 2)"

    variables = run("spiff_dialect.bpmn", with_script(script), price=1, quantity=1).execution.variables

    assert (variables["when"], variables["day"]) == ("2026-03-02T08:30:00", "2026-03-02")


def test_single_underscore_names_are_allowed_but_not_guard_names():
    script_engine.check("_undefined = 1\nx = _undefined + 1", "exec")
    for refused in ("_getattr_ = 1", "__x = 1", "_tick_ = None"):
        with pytest.raises(SyntaxError):
            script_engine.check(refused, "exec")
