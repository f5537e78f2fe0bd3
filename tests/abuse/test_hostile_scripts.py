"""Hostile scripts through the REST API: refused at deploy, or stopped at run time with the server unharmed."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

TEMPLATE = (Path(__file__).parent / "script_task.bpmn").read_text()

REFUSED_AT_DEPLOY = [
    "x = __import__('os')",
    "x = open('/etc/passwd').read()",
    "x = ().__class__.__mro__",
    "x = [].__class__.__base__.__subclasses__()",
    "x = random._os",
    "x = getattr(random, '_os')",
    "exec('import os')",
    "x = 'a' * 10**10",
    "import os",
    "from subprocess import run",
]

STOPPED_AT_RUN_TIME = [
    "while True: pass",
    "n = 10\nx = 'a' * n**10",
    "s = 'ab'\nwhile True:\n    s += s",
]


def _deploy(client, admin, script: str):
    xml = TEMPLATE.replace("SCRIPT", escape(script))
    return client.post("/api/v1/definitions", data={"file": (io.BytesIO(xml.encode()), "hostile.bpmn")},
                       headers=admin, content_type="multipart/form-data")


@pytest.mark.parametrize("script", REFUSED_AT_DEPLOY)
def test_escape_is_refused_at_deploy_naming_the_element(client, admin, script):
    response = _deploy(client, admin, script)
    assert response.status_code == 422, response.get_json()
    assert "hostile_script" in response.get_data(as_text=True)
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize("script", STOPPED_AT_RUN_TIME)
def test_runaway_script_fails_its_step_and_the_instance_keeps_its_last_good_state(client, admin, start, script):
    assert _deploy(client, admin, script).status_code == 201
    instance = start("hostile")
    [ticket] = client.get(f"/api/v1/tickets?instance_id={instance['id']}", headers=admin).get_json()["items"]

    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=admin)

    assert response.status_code == 422
    assert "hostile_script" in response.get_json()["detail"]
    after = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()
    assert after["status"] == "running"
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()["status"] != "completed"


def test_server_answers_normally_after_a_runaway_script(client, admin, start, deploy):
    _deploy(client, admin, "while True: pass")
    instance = start("hostile")
    [ticket] = client.get(f"/api/v1/tickets?instance_id={instance['id']}", headers=admin).get_json()["items"]
    client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=admin)
    deploy("simple_user_task.bpmn")
    assert start("simple_user_task")["status"] == "running"
