"""The shipped ticket-progression example, walked end to end over REST by the right agents."""

import pytest


@pytest.fixture
def agents(make_user):
    return {
        "support": make_user("sue", "agent", "support"),
        "managers": make_user("max", "agent", "managers"),
        "directors": make_user("dora", "agent", "directors"),
    }


@pytest.fixture
def crm(make_user):
    return make_user("crm", "system")


def _work(client, agents, ticket, data):
    """The agent of the ticket's group finds it in their inbox, claims and completes it."""
    [group] = ticket["candidate_groups"]
    headers = agents[group]
    inbox = client.get("/api/v1/tickets?status=open", headers=headers).get_json()["items"]
    assert ticket["id"] in [t["id"] for t in inbox]
    assert client.post(f"/api/v1/tickets/{ticket['id']}/claim", headers=headers).status_code == 200
    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": data}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _walk(client, agents, crm, amount, decisions):
    started = client.post("/api/v1/processes/ticket_progression/instances",
                          json={"variables": {"requester": "carol"}, "business_key": f"REQ-{amount}"}, headers=crm)
    assert started.status_code == 201
    open_tickets, path, decisions = started.get_json()["open_tickets"], [], list(decisions)
    while open_tickets:
        [ticket] = open_tickets
        path.append(ticket["element_id"])
        data = {"triage": {"category": "hardware", "amount": amount}, "review": {"summary": "ok"}}.get(
            ticket["element_id"], {"approved": decisions.pop(0)} if "approval" in ticket["element_id"] else {})
        result = _work(client, agents, ticket, data)
        open_tickets = result["open_tickets"]
    return result["instance"], path


def test_small_amount_needs_manager_only(client, deploy, agents, crm):
    deploy("ticket_progression.bpmn")
    instance, path = _walk(client, agents, crm, 500, [True])
    assert path == ["triage", "review", "manager_approval", "close"]
    assert instance["status"] == "completed"


def test_large_amount_needs_director_too(client, deploy, agents, crm):
    deploy("ticket_progression.bpmn")
    instance, path = _walk(client, agents, crm, 50_000, [True, True])
    assert path == ["triage", "review", "manager_approval", "director_approval", "close"]
    assert instance["variables"]["amount"] == 50_000


def test_manager_rejection_closes_as_rejected(client, deploy, agents, crm):
    deploy("ticket_progression.bpmn")
    instance, path = _walk(client, agents, crm, 500, [False])
    assert path == ["triage", "review", "manager_approval", "close_rejected"]
    assert instance["status"] == "completed"
    assert instance["variables"]["approved"] is False


def test_director_rejection_closes_as_rejected(client, deploy, agents, crm):
    deploy("ticket_progression.bpmn")
    _, path = _walk(client, agents, crm, 50_000, [True, False])
    assert path == ["triage", "review", "manager_approval", "director_approval", "close_rejected"]


def test_manager_cannot_see_triage(client, deploy, agents, crm):
    deploy("ticket_progression.bpmn")
    ticket = client.post("/api/v1/processes/ticket_progression/instances", json={}, headers=crm).get_json()[
        "open_tickets"][0]
    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=agents["managers"])
    assert response.status_code == 404
