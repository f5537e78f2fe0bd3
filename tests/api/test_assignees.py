"""GET /tickets/<id>/assignees: whom the caller may give a ticket to (the ticket page's user picker)."""

import pytest

from flowdesk.engine.access import identity


@pytest.fixture
def agents(make_user):
    return {name: make_user(name, "agent", "agents") for name in ("ann", "bob")}


@pytest.fixture
def lead(runtime):
    _, key = identity.create_user(runtime, "lea", "agent", lead_of=["agents"])
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def ticket(deploy, start, agents, make_user):
    make_user("out", "agent", "elsewhere")  # an agent the ticket is not offered to
    make_user("sys", "system", "agents")  # in the group, but no agent: never given tickets
    deploy("two_step.bpmn")
    return start("two_step")["open_tickets"][0]


def _assignees(client, headers, ticket_id):
    return client.get(f"/api/v1/tickets/{ticket_id}/assignees", headers=headers)


def test_a_lead_may_pick_among_the_tickets_candidates(client, lead, ticket, documented):
    response = _assignees(client, lead, ticket["id"])
    assert response.status_code == 200, response.get_json()
    assert documented("Assignees", response.get_json()) == {"users": ["ann", "bob", "lea"]}


def test_an_admin_may_pick_any_agent_or_admin(client, admin, ticket):
    assert _assignees(client, admin, ticket["id"]).get_json()["users"] == ["admin", "ann", "bob", "out"]


def test_a_candidate_who_does_not_hold_the_ticket_may_not_assign_it(client, agents, ticket):
    response = _assignees(client, agents["ann"], ticket["id"])
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"


def test_the_holder_may_pick_a_candidate_to_hand_it_to(client, agents, ticket):
    assert client.post(f"/api/v1/tickets/{ticket['id']}/claim", headers=agents["ann"]).status_code == 200
    assert _assignees(client, agents["ann"], ticket["id"]).get_json()["users"] == ["ann", "bob"]


def test_an_unknown_ticket_is_404(client, admin):
    assert _assignees(client, admin, "no-such-ticket").status_code == 404
