"""Big integers and big allocations: refused before they are built or worked on, never after.

One ``pow`` on 2,500-byte integers once held the interpreter for 50 s; ``(0).to_bytes(N)`` allocated
1.5 GiB in one call. Each case here must fail as a script error within a fraction of a second.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from flowdesk.bpmn.script_engine import RestrictedEnvironment, TaskDataNotJson, ValueTooLarge

TEMPLATE = (Path(__file__).parent / "script_task.bpmn").read_text()
BIG = "big = int('9' * 4000)\n"  # about 13,300 bits: Python parses it, the sandbox must not work on it

BOUNDED_BEFORE_RUNNING = [
    "n = int.from_bytes(b'\\xff' * 2500, 'big')",
    "n = (7).from_bytes(b'\\xff' * 2500, 'big')",
    BIG + "n = pow(big, big, big)",
    BIG + "n = pow(3, big, 10**100)",
    BIG + "n = big % 7",
    BIG + "n = big // 7",
    BIG + "n = divmod(big, 7)",
    BIG + "n = big * 2",
    BIG + "n = big << 1",
    BIG + "n = 2 ** big",
    BIG + "n = math.isqrt(big)",
    BIG + "n = math.gcd(big, 6)",
    BIG + "n = math.lcm(big, 3)",
    "k = 10**9\nn = (0).to_bytes(k, 'big')",
    "k = 10**9\nn = int.to_bytes(0, k, 'big')",
    "k = 10**9\nn = bytes(k)",
    "k = 10**9\nn = 'a' * k",
    "k = 10**9\nn = list(range(k))",
    "k = 10**5\nn = [0] * k * k",
]


@pytest.mark.parametrize("script", BOUNDED_BEFORE_RUNNING)
def test_big_value_is_refused_before_it_is_built(script):
    started = time.monotonic()

    with pytest.raises(ValueTooLarge):
        RestrictedEnvironment().execute(script, {})

    assert time.monotonic() - started < 2  # unbounded, these take seconds to minutes


def test_small_integers_and_bytes_work_as_usual():
    data = {}

    RestrictedEnvironment().execute(
        "a = int.from_bytes(b'\\x01\\x00', 'big')\nb = len((a).to_bytes(4, 'big'))\nc = pow(3, 200, 1000)\n"
        "d = divmod(17, 5)\ne = len(bytes(3)) + len(bytes.fromhex('ff'))\nf = isinstance(b'x', bytes)", data)

    assert (data["a"], data["b"], data["c"], data["d"], data["e"], data["f"]) == (256, 4, 1, [3, 2], 4, True)


def test_an_integer_past_the_limit_cannot_be_left_in_task_data():
    with pytest.raises(TaskDataNotJson, match="'n' holds an integer of"):
        RestrictedEnvironment().execute(BIG + "n = big + big\ndel big", {})


LARGE = 2 ** 12_000  # past max_int_bits, yet short enough for JSON parsers (3,613 digits)


def test_large_integer_at_start_is_a_422(client, admin, deploy):
    deploy("simple_user_task.bpmn")

    response = client.post("/api/v1/processes/simple_user_task/instances",
                           json={"variables": {"n": {"deep": [LARGE]}}}, headers=admin)

    assert response.status_code == 422
    assert "the body.variables.n.deep[0] is an integer of 12,001 bits" in response.get_json()["detail"]
    assert client.get("/api/v1/instances", headers=admin).get_json()["items"] == []


def test_large_integer_at_completion_is_a_422(client, admin, deploy, start):
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    [ticket] = client.get(f"/api/v1/tickets?instance_id={instance['id']}", headers=admin).get_json()["items"]

    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {"n": LARGE}}, headers=admin)

    assert response.status_code == 422
    assert response.get_json()["code"] == "integer_too_large"
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()["status"] != "completed"


def test_large_integer_in_a_message_is_a_422(client, admin):
    response = client.post("/api/v1/messages", json={"name": "anything", "variables": {"n": -LARGE}}, headers=admin)

    assert response.status_code == 422
    assert response.get_json()["code"] == "integer_too_large"


def test_script_building_a_large_integer_fails_its_step_not_the_save(client, admin, start):
    xml = TEMPLATE.replace("SCRIPT", escape(BIG + "n = big + big\ndel big"))
    client.post("/api/v1/definitions", data={"file": (io.BytesIO(xml.encode()), "big.bpmn")},
                headers=admin, content_type="multipart/form-data")
    instance = start("hostile")
    [ticket] = client.get(f"/api/v1/tickets?instance_id={instance['id']}", headers=admin).get_json()["items"]

    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=admin)

    assert response.status_code == 422
    assert "hostile_script" in response.get_json()["detail"]
    assert client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["status"] == "running"
