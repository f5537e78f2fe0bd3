"""Working tickets: visibility, claim, unclaim, complete, ETags and idempotency."""

import pytest


@pytest.fixture
def ticket(deploy, start):
    """The open `first` ticket of a fresh two_step instance (candidate group agents)."""
    deploy("two_step.bpmn")
    return start("two_step")["open_tickets"][0]


def _post(client, headers, ticket_id, action, json=None, **extra):
    return client.post(f"/api/v1/tickets/{ticket_id}/{action}", json=json or {}, headers={**headers, **extra})


def test_ticket_detail_has_form_data_and_etag(client, admin, deploy, start):
    deploy("ticket_progression.bpmn")
    ticket = start("ticket_progression", {"requester": "carol"})["open_tickets"][0]
    response = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin)
    body = response.get_json()
    assert response.headers["ETag"] == body["etag"]
    assert body["candidate_groups"] == ["support"]
    assert body["priority"] == 50
    assert [f["id"] for f in body["form"]["fields"]] == ["category", "amount"]
    assert body["data"] == {"requester": "carol"}


def test_candidate_group_member_sees_ticket(client, ticket, make_user):
    agent = make_user("bob", "agent", "agents")
    listed = client.get("/api/v1/tickets", headers=agent).get_json()["items"]
    assert [t["id"] for t in listed] == [ticket["id"]]


def test_other_group_does_not_see_ticket(client, ticket, make_user):
    outsider = make_user("eve", "agent", "finance")
    assert client.get("/api/v1/tickets", headers=outsider).get_json()["items"] == []
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=outsider).status_code == 404
    assert _post(client, outsider, ticket["id"], "complete").status_code == 404


def test_assignee_from_model_sees_and_holds_ticket(client, deploy, start, make_user):
    deploy("simple_user_task.bpmn")
    ticket = start("simple_user_task")["open_tickets"][0]
    assert ticket["assignee"] == "alice"
    assert ticket["status"] == "claimed"
    alice = make_user("alice", "agent")
    assert [t["id"] for t in client.get("/api/v1/tickets?assignee=me", headers=alice).get_json()["items"]] == \
        [ticket["id"]]


def test_lane_is_candidate_group(client, deploy, start, make_user):
    deploy("lanes.bpmn")
    ticket = start("lanes_process")["open_tickets"][0]
    assert ticket["candidate_groups"] == ["Sales"]
    seller = make_user("sam", "agent", "Sales")
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=seller).status_code == 200


def test_claim_then_other_agent_gets_409(client, ticket, make_user):
    bob, carl = make_user("bob", "agent", "agents"), make_user("carl", "agent", "agents")
    claimed = _post(client, bob, ticket["id"], "claim")
    assert claimed.status_code == 200
    assert claimed.get_json()["assignee"] == "bob"
    assert claimed.get_json()["status"] == "claimed"
    assert _post(client, carl, ticket["id"], "claim").status_code == 409
    assert _post(client, carl, ticket["id"], "complete").status_code == 409


def test_completing_a_ticket_another_agent_holds_is_409_naming_the_holder(client, ticket, make_user):
    bob, carl = make_user("bob", "agent", "agents"), make_user("carl", "agent", "agents")
    _post(client, bob, ticket["id"], "claim")

    response = _post(client, carl, ticket["id"], "complete")

    assert response.status_code == 409
    body = response.get_json()
    assert (body["detail"], body["assignee"]) == (f"ticket '{ticket['id']}' is claimed by bob", "bob")


def test_claim_twice_by_same_agent_is_harmless(client, ticket, make_user):
    bob = make_user("bob", "agent", "agents")
    _post(client, bob, ticket["id"], "claim")
    again = _post(client, bob, ticket["id"], "claim")
    assert again.status_code == 200
    assert again.get_json()["assignee"] == "bob"


def test_unclaim_returns_ticket_to_group(client, ticket, make_user):
    bob, carl = make_user("bob", "agent", "agents"), make_user("carl", "agent", "agents")
    _post(client, bob, ticket["id"], "claim")
    assert _post(client, carl, ticket["id"], "unclaim").status_code == 409
    released = _post(client, bob, ticket["id"], "unclaim")
    assert released.status_code == 200
    assert released.get_json()["status"] == "open"
    assert released.get_json()["assignee"] is None
    assert _post(client, carl, ticket["id"], "claim").status_code == 200


def test_unclaim_open_ticket_is_409(client, ticket, make_user):
    assert _post(client, make_user("bob", "agent", "agents"), ticket["id"], "unclaim").status_code == 409


def test_complete_moves_to_next_ticket(client, ticket, make_user):
    bob = make_user("bob", "agent", "agents")
    response = _post(client, bob, ticket["id"], "complete", {"data": {"skip": False}, "comment": "done"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["ticket"]["status"] == "completed"
    assert body["ticket"]["completed_by"] == "bob"
    assert body["ticket"]["comment"] == "done"
    assert [t["element_id"] for t in body["open_tickets"]] == ["second"]
    assert body["instance"]["status"] == "running"


def test_gateway_condition_uses_completion_data(client, ticket, make_user):
    bob = make_user("bob", "agent", "agents")
    body = _post(client, bob, ticket["id"], "complete", {"data": {"skip": True}}).get_json()
    assert body["open_tickets"] == []
    assert body["instance"]["status"] == "completed"


def test_completing_completed_ticket_is_409(client, admin, ticket):
    _post(client, admin, ticket["id"], "complete", {"data": {"skip": True}})
    second = _post(client, admin, ticket["id"], "complete", {"data": {"skip": True}})
    assert second.status_code == 409
    assert second.get_json()["code"] == "conflict"


def test_completing_a_completed_ticket_of_a_running_instance_is_409_naming_its_status(client, admin, ticket):
    _post(client, admin, ticket["id"], "complete", {"data": {"skip": False}})  # on to the second ticket

    again = _post(client, admin, ticket["id"], "complete", {"data": {"skip": False}})

    assert again.status_code == 409
    assert (again.get_json()["detail"], again.get_json()["ticket_status"]) == (
        f"ticket '{ticket['id']}' is completed", "completed")


def test_stale_if_match_is_412_and_changes_nothing(client, admin, ticket, make_user):
    etag = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).headers["ETag"]
    bob = make_user("bob", "agent", "agents")
    _post(client, bob, ticket["id"], "claim")
    stale = _post(client, admin, ticket["id"], "complete", {"data": {"skip": True}}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()["status"] == "claimed"


def test_current_if_match_is_accepted(client, admin, ticket):
    etag = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).headers["ETag"]
    response = _post(client, admin, ticket["id"], "complete", {"data": {"skip": True}}, **{"If-Match": etag})
    assert response.status_code == 200


def test_complete_data_must_be_object(client, admin, ticket):
    response = _post(client, admin, ticket["id"], "complete", {"data": "yes"})
    assert response.status_code == 422
    assert "data" in response.get_json()["errors"]


def test_complete_with_missing_variable_is_422_and_changes_nothing(client, admin, ticket):
    # The gateway reads `skip`; completing without it makes the condition fail.
    response = _post(client, admin, ticket["id"], "complete", {"data": {}})
    assert response.status_code == 422
    assert response.get_json()["code"] == "execution_failed"
    after = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()
    assert after["status"] == "open"
    instance = client.get(f"/api/v1/instances/{ticket['instance_id']}", headers=admin).get_json()
    assert instance["version"] == 1


def test_unknown_ticket_is_404(client, admin):
    assert _post(client, admin, "00000000-0000-0000-0000-000000000000", "complete").status_code == 404
    assert client.get("/api/v1/tickets/nope", headers=admin).status_code == 404


def test_complete_with_idempotency_key_replays(client, admin, ticket):
    first = _post(client, admin, ticket["id"], "complete", {"data": {"skip": True}}, **{"Idempotency-Key": "c1"})
    again = _post(client, admin, ticket["id"], "complete", {"data": {"skip": True}}, **{"Idempotency-Key": "c1"})
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()


def test_filters_and_cursor_paging(client, admin, deploy, start):
    deploy("two_step.bpmn", "lanes.bpmn")
    ids = [start("two_step")["open_tickets"][0]["id"] for _ in range(3)]
    start("lanes_process")
    by_group = client.get("/api/v1/tickets?candidate_group=agents&limit=2", headers=admin).get_json()
    assert len(by_group["items"]) == 2
    rest = client.get(f"/api/v1/tickets?candidate_group=agents&limit=2&after={by_group['next_cursor']}",
                      headers=admin).get_json()
    assert [t["id"] for t in by_group["items"] + rest["items"]] == ids
    assert rest["next_cursor"] is None
    assert len(client.get("/api/v1/tickets?process_key=lanes_process", headers=admin).get_json()["items"]) == 1
    assert len(client.get("/api/v1/tickets?element_id=first", headers=admin).get_json()["items"]) == 3
    assert client.get("/api/v1/tickets?status=completed", headers=admin).get_json()["items"] == []


def test_bad_limit_is_422(client, admin):
    assert client.get("/api/v1/tickets?limit=0", headers=admin).status_code == 422
    assert client.get("/api/v1/tickets?limit=many", headers=admin).status_code == 422
