"""Escapes from the restricted evaluator: nothing it hands a script may lead to a Python object's insides.

The issue's escape read ``.func`` of the ``functools.partial`` the evaluator handed out for some
str methods; its neighbours read the other attributes of every callable a script can obtain,
walk frames, format strings and class hierarchies. Each must fail as a script error and leave
nothing in task data.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from flowdesk.bpmn.script_engine import RestrictedEnvironment, ScriptRefused

HERE = Path(__file__).parent

# The escape from the issue: the partial's bound method does getattr(text, name)(*args) with both chosen.
GETATTR_ANY = "'a'.ljust.func"
ESCAPE_SCRIPT = (
    f"ga = {GETATTR_ANY}\n"
    "fn = ga('__getattribute__', ga, '__func__')\n"
    "glb = ga('__getattribute__', fn, '__globals__')\n"
    "leak = ga('__getattribute__', glb['os'], 'getpid')()\n"
    "del ga, fn, glb\n"
)
ESCAPE_CONDITION = f"{GETATTR_ANY}('__getattribute__', 'a', '__class__') is not None"

# Every kind of callable the evaluator hands a script, as the script writes it.
CALLABLES = [
    "'a'.ljust", "'a'.center", "'a'.rjust", "'a'.zfill", "'a'.expandtabs", "'a'.replace", "'a'.join",
    "'a'.translate", "b'a'.ljust", "b'a'.join", "str.ljust", "str.join", "bytes.center", "[].extend",
    "list.extend", "'a'.upper", "[].append", "{}.get", "dict.fromkeys", "int.from_bytes", "range", "pow",
    "sum", "len", "sorted", "math.factorial", "math.comb", "math.perm", "math.prod", "math.sqrt",
    "datetime.date.today", "datetime.datetime.now", "(lambda: 1)", "helper",
]
ATTRIBUTES = ["func", "args", "keywords", "__self__", "__func__", "__wrapped__", "__globals__",
              "__closure__", "__code__", "__call__", "__reduce__"]

NEIGHBOURS = [
    # frames, through generators and tracebacks
    "g = (i for i in [1])\nleak = repr(g.gi_frame)",
    "g = (i for i in [1])\nleak = repr(g.gi_code)",
    "g = (i for i in [1])\nleak = repr(g.gi_frame.f_globals)",
    "try:\n    1 / 0\nexcept Exception as e:\n    leak = repr(e.__traceback__.tb_frame)",
    "try:\n    1 / 0\nexcept Exception as e:\n    leak = repr(e.with_traceback)",
    # the print collector holds the running evaluation, whose namespace holds the shared builtins
    "print(1)\nleak = repr(_print.evaluation)",
    "print(1)\nleak = repr(_print.evaluation.namespace)",
    # format strings walk attributes themselves
    "leak = repr('{0.__class__}'.format(1))",
    "leak = repr('{0.func}'.format('a'.ljust))",
    "leak = repr('{0.func.__globals__}'.format('a'.ljust))",
    "leak = repr('{x.func}'.format_map({'x': 'a'.ljust}))",
    "leak = repr(str.format('{0.func}', 'a'.ljust))",
    "leak = repr(str.format_map('{x.real}', {'x': 1}))",
    # class hierarchies
    "leak = repr(int.mro())",
    "leak = repr(str.mro()[-1])",
    "leak = repr((1).__class__)",
    "leak = repr([].__class__.__base__.__subclasses__())",
    "leak = repr(type(1))",
    # the helpers' insides
    "leak = repr(math.factorial.__closure__)",
    "leak = repr(datetime.sys)",
    "leak = repr(datetime.datetime.now().tzinfo.utcoffset.__self__)",
]

# What a refused attribute raises; never TaskDataNotJson: every leak is repr()'d into text first.
REFUSED = (AttributeError, NotImplementedError, NameError, ScriptRefused)


def _script_with_helper(body: str) -> str:
    return "def helper():\n    return 1\n" + body


@pytest.mark.parametrize("attribute", ATTRIBUTES)
@pytest.mark.parametrize("callable_", CALLABLES)
def test_no_callable_handed_to_a_script_shows_its_insides(callable_, attribute):
    data = {}

    with pytest.raises(REFUSED):
        RestrictedEnvironment().execute(_script_with_helper(f"leak = repr({callable_}.{attribute})"), data)

    assert "leak" not in data


@pytest.mark.parametrize("attribute", ATTRIBUTES)
@pytest.mark.parametrize("callable_", [c for c in CALLABLES if c != "helper"])
def test_no_callable_shows_its_insides_to_a_condition(callable_, attribute):
    with pytest.raises(REFUSED):
        RestrictedEnvironment().evaluate(f"{callable_}.{attribute} is not None", {})


@pytest.mark.parametrize("script", NEIGHBOURS)
def test_frames_format_strings_and_class_walks_are_refused(script):
    data = {}

    with pytest.raises(REFUSED):
        RestrictedEnvironment().execute(script, data)

    assert "leak" not in data


def test_the_issue_escape_reaches_nothing():
    data = {}

    with pytest.raises(REFUSED):
        RestrictedEnvironment().execute(ESCAPE_SCRIPT, data)

    assert "leak" not in data


def test_allowed_methods_still_work_after_wrapping():
    data = {"name": "ab", "items": [1]}

    RestrictedEnvironment().execute(
        "padded = name.ljust(4, '.') + str.rjust(name, 3)\njoined = '-'.join(['x', 'y'])\n"
        "items.extend([2, 3])\nlist.extend(items, [4])\nupper = name.upper()", data)

    assert (data["padded"], data["joined"], data["items"], data["upper"]) == ("ab.. ab", "x-y", [1, 2, 3, 4], "AB")


def test_datetime_strptime_works_though_scripts_cannot_import():
    data = {}

    RestrictedEnvironment().execute("day = datetime.datetime.strptime('2024-01-02', '%Y-%m-%d').date()", data)

    assert data["day"] == "2024-01-02"


def _deploy(client, admin, template: str, placeholder: str, code: str, name: str):
    xml = (HERE / template).read_text().replace(placeholder, escape(code))
    return client.post("/api/v1/definitions", data={"file": (io.BytesIO(xml.encode()), name)},
                       headers=admin, content_type="multipart/form-data")


def _complete_prepare(client, admin, instance):
    [ticket] = client.get(f"/api/v1/tickets?instance_id={instance['id']}", headers=admin).get_json()["items"]
    return client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=admin)


def test_the_issue_escape_as_a_script_task_fails_its_step(client, admin, start):
    assert _deploy(client, admin, "script_task.bpmn", "SCRIPT", ESCAPE_SCRIPT, "escape.bpmn").status_code == 201
    instance = start("hostile")

    response = _complete_prepare(client, admin, instance)

    assert response.status_code == 422, response.get_json()
    assert "hostile_script" in response.get_json()["detail"]
    after = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()
    assert after["status"] == "running"
    assert "leak" not in after.get("variables", {})


def test_the_issue_escape_as_a_gateway_condition_fails_its_gateway(client, admin, start):
    deployed = _deploy(client, admin, "gateway_condition.bpmn", "CONDITION", ESCAPE_CONDITION, "escape.bpmn")
    assert deployed.status_code == 201, deployed.get_json()
    instance = start("hostile_gateway")

    response = _complete_prepare(client, admin, instance)

    assert response.status_code == 422, response.get_json()
    assert "hostile_gateway_choice" in response.get_json()["detail"]
    tickets = client.get(f"/api/v1/tickets?instance_id={instance['id']}", headers=admin).get_json()["items"]
    assert "escaped" not in [ticket.get("element_id") for ticket in tickets]
