"""One visibility rule: whoever sees a ticket sees its instance and the instance's approvals."""

import pytest


@pytest.fixture
def delegated(client, admin, deploy, start, make_user):
    """A two_step ticket an admin gave to dan (no candidate) and dan delegated to exp:
    (ticket id, instance id, headers by user name)."""
    deploy("two_step.bpmn")
    users = {"dan": make_user("dan", "agent", "elsewhere"), "exp": make_user("exp", "agent", "experts"),
             "eve": make_user("eve", "agent", "elsewhere"), "ann": make_user("ann", "agent", "agents")}
    instance = start("two_step")
    ticket = instance["open_tickets"][0]["id"]
    assert client.post(f"/api/v1/tickets/{ticket}/assign", json={"user": "dan"}, headers=admin).status_code == 200
    response = client.post(f"/api/v1/tickets/{ticket}/delegate", json={"user": "exp"}, headers=users["dan"])
    assert response.status_code == 200, response.get_json()
    return ticket, instance["id"], users


def _seen(client, headers, ticket_id, instance_id):
    return [client.get(path, headers=headers).status_code for path in (
        f"/api/v1/tickets/{ticket_id}", f"/api/v1/instances/{instance_id}",
        f"/api/v1/instances/{instance_id}/approvals")]


@pytest.mark.parametrize("user, why", [("dan", "owns it (delegated it)"), ("exp", "holds it"),
                                       ("ann", "is offered it (a candidate group)")])
def test_who_sees_the_ticket_sees_its_instance_and_approvals(client, delegated, user, why):
    ticket, instance, users = delegated
    assert _seen(client, users[user], ticket, instance) == [200, 200, 200], why


def test_who_does_not_see_the_ticket_sees_neither_instance_nor_approvals(client, delegated):
    ticket, instance, users = delegated
    assert _seen(client, users["eve"], ticket, instance) == [404, 404, 404]


def test_the_instance_list_follows_the_same_rule(client, delegated):
    _, instance, users = delegated
    listed = {name: [i["id"] for i in client.get("/api/v1/instances", headers=users[name]).get_json()["items"]]
              for name in ("dan", "exp", "ann", "eve")}
    assert listed == {"dan": [instance], "exp": [instance], "ann": [instance], "eve": []}


def test_the_inbox_follows_the_same_rule(client, delegated):
    ticket, _, users = delegated
    inbox = {name: [t["id"] for t in client.get("/api/v1/tickets?status=claimed", headers=users[name])
                    .get_json()["items"]] for name in ("dan", "exp", "ann", "eve")}
    assert inbox == {"dan": [ticket], "exp": [ticket], "ann": [ticket], "eve": []}
