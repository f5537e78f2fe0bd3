"""The accept gate (task property ``slaStart: claimed``): the SLA clock starts when the ticket is
accepted (claimed or assigned), not when it opens; until then it has its allowed time, no due date."""

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flowdesk.engine.work import sla


@pytest.fixture
def gate(client, admin, deploy, make_user, start):
    deploy("accept_gate.bpmn")
    agent = make_user("ann", "agent", "agents")
    started = start("accept_gate")
    return {"ticket": started["open_tickets"][0]["id"], "agent": agent}


def _sla(client, admin, ticket_id) -> dict:
    return client.get(f"/api/v1/tickets/{ticket_id}", headers=admin).get_json()["sla"]


def test_an_unaccepted_ticket_has_no_due_date_and_never_breaches(client, admin, gate, clock, runtime):
    assert _sla(client, admin, gate["ticket"])["due_at"] is None
    clock.advance(hours=10)
    assert sla.mark_breaches(runtime) == 0
    assert _sla(client, admin, gate["ticket"])["state"] == "ok"


def test_claiming_starts_the_clock(client, admin, gate, clock):
    clock.advance(hours=10)
    assert client.post(f"/api/v1/tickets/{gate['ticket']}/claim", headers=gate["agent"]).status_code == 200
    after = _sla(client, admin, gate["ticket"])
    assert datetime.fromisoformat(after["due_at"]) == clock.now + timedelta(hours=4)
    assert datetime.fromisoformat(after["at_risk_at"]) == clock.now + timedelta(hours=3)
    steps = client.get(f"/api/v1/tickets/{gate['ticket']}/progressions", headers=admin).get_json()["items"]
    assert [s["action"] for s in steps] == ["created", "claimed", "sla_started"]
    assert steps[-1]["metadata"]["sla_seconds"] == 4 * 3600


def test_assigning_starts_the_clock_once(client, admin, gate, clock, make_user):
    make_user("ben", "agent", "agents")
    clock.advance(minutes=30)
    assert client.post(f"/api/v1/tickets/{gate['ticket']}/assign", json={"user": "ann"}, headers=admin).status_code == 200
    due = _sla(client, admin, gate["ticket"])["due_at"]
    assert datetime.fromisoformat(due) == clock.now + timedelta(hours=4)
    clock.advance(minutes=30)
    client.post(f"/api/v1/tickets/{gate['ticket']}/assign", json={"user": "ben"}, headers=admin)
    assert _sla(client, admin, gate["ticket"])["due_at"] == due


def test_an_automatically_assigned_ticket_starts_its_clock_when_it_opens(client, admin, gate, clock):
    client.post(f"/api/v1/tickets/{gate['ticket']}/complete", json={}, headers=gate["agent"])
    [follow_up] = [t for t in client.get("/api/v1/tickets?status=claimed", headers=admin).get_json()["items"]]
    assert follow_up["assignee"] == "ann"
    assert datetime.fromisoformat(_sla(client, admin, follow_up["id"])["due_at"]) == clock.now + timedelta(hours=4)


def test_an_unknown_sla_start_is_refused_at_deploy(client, admin):
    source = (Path(__file__).parents[1] / "data" / "accept_gate.bpmn").read_bytes()
    bad = source.replace(b'name="slaStart" value="claimed" />\n        </camunda:properties>\n      </bpmn:extensionElements>\n      <bpmn:incoming>flow_gate_1',
                         b'name="slaStart" value="whenever" />\n        </camunda:properties>\n      </bpmn:extensionElements>\n      <bpmn:incoming>flow_gate_1')
    assert bad != source
    response = client.post("/api/v1/definitions", data={"file": (io.BytesIO(bad), "gate.bpmn")},
                           headers=admin, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "slaStart" in str(response.get_json()["errors"])
