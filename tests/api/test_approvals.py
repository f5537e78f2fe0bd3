"""Approval levels: examples/purchase_approval.bpmn walked over REST, four-eyes, approval records."""

import pytest

PROBLEM = "application/problem+json"


@pytest.fixture
def people(make_user):
    return {
        "carol": make_user("carol", "system", "requesters"),  # starts requests and works their forms
        "max": make_user("max", "agent", "managers"),
        "dora": make_user("dora", "agent", "directors"),
        "cleo": make_user("cleo", "agent", "cfo"),
    }


@pytest.fixture(autouse=True)
def deployed(deploy):
    deploy("purchase_approval.bpmn")


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _request(client, people, amount):
    """Carol starts a request and submits it: returns the instance id and the manager's ticket."""
    started = _ok(client.post("/api/v1/processes/purchase_approval/instances", json={"business_key": f"PO-{amount}"},
                              headers=people["carol"]), 201)
    [submit] = started["open_tickets"]
    done = _ok(client.post(f"/api/v1/tickets/{submit['id']}/complete",
                           json={"data": {"amount": amount, "description": "laptops"}}, headers=people["carol"]))
    [manager] = done["open_tickets"]
    assert (manager["element_id"], manager["approval_level"]) == ("manager_approval", 1)
    return started["id"], manager


def _decide(client, headers, ticket, action, **body):
    return client.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body, headers=headers)


def _approvals(client, admin, instance_id):
    return _ok(client.get(f"/api/v1/instances/{instance_id}/approvals", headers=admin))


def _instance(client, admin, instance_id):
    return _ok(client.get(f"/api/v1/instances/{instance_id}", headers=admin))


def _timeline(client, admin, ticket_id):
    return [p["action"] for p in _ok(client.get(f"/api/v1/tickets/{ticket_id}/progressions", headers=admin))["items"]]


def test_up_to_10000_needs_the_manager_only(client, admin, people):
    instance_id, manager = _request(client, people, 5_000)
    done = _ok(_decide(client, people["max"], manager, "approve", comment="fine"))
    assert done["open_tickets"] == []
    assert done["instance"]["status"] == "completed"
    assert done["instance"]["variables"]["approved"] is True
    assert done["instance"]["variables"]["manager_approval_decision"] == "approved"
    approvals = _approvals(client, admin, instance_id)
    assert [(a["level"], a["approver"], a["decision"], a["comment"]) for a in approvals["decided"]] == [
        (1, "max", "approved", "fine")]
    assert approvals["pending"] == [] and approvals["ahead"] == []
    assert "approved_end" in [e["element_id"] for e in _instance(client, admin, instance_id)["history"]]


def test_above_10000_needs_a_director_too(client, admin, people):
    instance_id, manager = _request(client, people, 50_000)
    [director] = _ok(_decide(client, people["max"], manager, "approve"))["open_tickets"]
    assert (director["element_id"], director["approval_level"]) == ("director_approval", 2)
    done = _ok(_decide(client, people["dora"], director, "approve"))
    assert done["instance"]["status"] == "completed"
    decided = _approvals(client, admin, instance_id)["decided"]
    assert [(a["level"], a["approver"]) for a in decided] == [(1, "max"), (2, "dora")]


def test_above_100000_needs_all_three_levels(client, admin, people):
    instance_id, manager = _request(client, people, 500_000)
    [director] = _ok(_decide(client, people["max"], manager, "approve"))["open_tickets"]
    [cfo] = _ok(_decide(client, people["dora"], director, "approve"))["open_tickets"]
    assert (cfo["element_id"], cfo["approval_level"]) == ("cfo_approval", 3)
    done = _ok(_decide(client, people["cleo"], cfo, "approve", comment="budgeted"))
    assert done["instance"]["status"] == "completed"
    assert [(a["level"], a["approver"], a["decision"]) for a in _approvals(client, admin, instance_id)["decided"]] == [
        (1, "max", "approved"), (2, "dora", "approved"), (3, "cleo", "approved")]
    assert _timeline(client, admin, cfo["id"]) == ["created", "approved", "completed"]


def test_levels_ahead_are_listed_while_the_manager_decides(client, admin, people):
    instance_id, manager = _request(client, people, 500_000)
    approvals = _approvals(client, admin, instance_id)
    assert [t["id"] for t in approvals["pending"]] == [manager["id"]]
    assert [(s["level"], s["element_id"], s["candidate_groups"]) for s in approvals["ahead"]] == [
        (2, "director_approval", ["directors"]), (3, "cfo_approval", ["cfo"])]


def test_rejection_at_a_higher_level_ends_the_request_rejected(client, admin, people):
    instance_id, manager = _request(client, people, 50_000)
    [director] = _ok(_decide(client, people["max"], manager, "approve"))["open_tickets"]
    done = _ok(_decide(client, people["dora"], director, "reject", comment="not this quarter"))
    assert done["instance"]["status"] == "completed"
    variables = done["instance"]["variables"]
    assert (variables["approved"], variables["changes_requested"]) == (False, False)
    assert variables["director_approval_decision"] == "rejected"
    assert "rejected_end" in [e["element_id"] for e in _instance(client, admin, instance_id)["history"]]
    assert _timeline(client, admin, director["id"]) == ["created", "rejected", "completed"]
    assert _approvals(client, admin, instance_id)["decided"][-1]["comment"] == "not this quarter"


def test_request_for_changes_loops_back_through_the_requester(client, admin, people):
    instance_id, manager = _request(client, people, 50_000)
    sent_back = _ok(_decide(client, people["max"], manager, "reject", comment="split it", request_changes=True))
    [revise] = sent_back["open_tickets"]
    assert (revise["element_id"], revise["candidate_groups"]) == ("revise_request", ["requesters"])
    assert sent_back["instance"]["variables"]["changes_requested"] is True
    revised = _ok(client.post(f"/api/v1/tickets/{revise['id']}/complete",
                              json={"data": {"amount": 4_000, "description": "one laptop"}}, headers=people["carol"]))
    [again] = revised["open_tickets"]
    assert again["element_id"] == "manager_approval" and again["id"] != manager["id"]
    done = _ok(_decide(client, people["max"], again, "approve"))
    assert done["instance"]["status"] == "completed"
    assert [a["decision"] for a in _approvals(client, admin, instance_id)["decided"]] == [
        "changes_requested", "approved"]
    assert _timeline(client, admin, manager["id"]) == ["created", "changes_requested", "completed"]
    history = [e["action"] for e in _ok(client.get(f"/api/v1/instances/{instance_id}/history",
                                                   headers=admin))["items"] if e["source"] == "progression"]
    assert history.count("changes_requested") == 1 and history.count("approved") == 1


def test_the_requester_may_not_approve_their_own_request(client, admin, people, make_user):
    requester = make_user("rick", "system", "requesters", "managers")
    started = _ok(client.post("/api/v1/processes/purchase_approval/instances", json={}, headers=requester), 201)
    [submit] = started["open_tickets"]
    [manager] = _ok(client.post(f"/api/v1/tickets/{submit['id']}/complete",
                                json={"data": {"amount": 100, "description": "pens"}}, headers=requester))["open_tickets"]
    refused = _decide(client, requester, manager, "approve")
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert refused.get_json()["reason"] == "requester"
    assert "four-eyes" in refused.get_json()["detail"]
    assert _ok(client.get(f"/api/v1/tickets/{manager['id']}", headers=admin))["status"] == "open"
    assert _approvals(client, admin, started["id"])["decided"] == []


def test_who_approved_a_lower_level_may_not_approve_a_higher_one(client, admin, people, make_user):
    both = make_user("bea", "agent", "managers", "directors")
    instance_id, manager = _request(client, people, 50_000)
    [director] = _ok(_decide(client, both, manager, "approve"))["open_tickets"]
    refused = _decide(client, both, director, "approve")
    assert refused.status_code == 409
    assert (refused.get_json()["reason"], refused.get_json()["approved_level"]) == ("approved_lower_level", 1)
    assert "four-eyes: bea already approved level 1" in refused.get_json()["detail"]
    assert _ok(client.get(f"/api/v1/tickets/{director['id']}", headers=admin))["status"] == "open"
    assert _ok(_decide(client, people["dora"], director, "approve"))["instance"]["status"] == "completed"


def test_rejecting_needs_a_comment_and_changes_nothing(client, admin, people):
    instance_id, manager = _request(client, people, 5_000)
    for body in ({}, {"comment": ""}, {"comment": None}):
        response = _decide(client, people["max"], manager, "reject", **body)
        assert response.status_code == 422 and response.mimetype == PROBLEM
        assert "comment" in response.get_json()["errors"]
    assert _ok(client.get(f"/api/v1/tickets/{manager['id']}", headers=admin))["status"] == "open"
    assert _approvals(client, admin, instance_id)["decided"] == []


def test_an_approval_ticket_cannot_be_completed_directly(client, admin, people):
    _, manager = _request(client, people, 5_000)
    response = client.post(f"/api/v1/tickets/{manager['id']}/complete", json={"data": {"approved": True}},
                           headers=people["max"])
    assert response.status_code == 409
    assert response.get_json()["allowed_actions"] == ["approve", "reject"]
    assert _ok(client.get(f"/api/v1/tickets/{manager['id']}", headers=admin))["status"] == "open"


def test_approving_a_ticket_that_is_no_approval_is_409(client, admin, people):
    started = _ok(client.post("/api/v1/processes/purchase_approval/instances", json={}, headers=people["carol"]), 201)
    [submit] = started["open_tickets"]
    response = _decide(client, people["carol"], submit, "approve")
    assert response.status_code == 409
    assert response.get_json()["allowed_actions"] == ["complete"]
    assert _ok(client.get(f"/api/v1/tickets/{submit['id']}", headers=admin))["status"] == "open"


def test_an_outsider_sees_neither_the_ticket_nor_the_approvals(client, people, make_user):
    instance_id, manager = _request(client, people, 5_000)
    outsider = make_user("eve", "agent", "finance")
    assert _decide(client, outsider, manager, "approve").status_code == 404
    assert client.get(f"/api/v1/instances/{instance_id}/approvals", headers=outsider).status_code == 404


def test_approvals_of_an_unknown_instance_are_404(client, admin):
    response = client.get("/api/v1/instances/00000000-0000-0000-0000-000000000000/approvals", headers=admin)
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_decision_body_must_match_the_schema(client, admin, people):
    _, manager = _request(client, people, 5_000)
    response = _decide(client, people["max"], manager, "reject", comment="x", request_changes="perhaps")
    assert response.status_code == 422
    assert "request_changes" in response.get_json()["errors"]
    assert _ok(client.get(f"/api/v1/tickets/{manager['id']}", headers=admin))["status"] == "open"


def test_who_sent_a_lower_level_back_may_still_approve_a_higher_one(client, admin, people, make_user):
    both = make_user("bea", "agent", "managers", "directors")  # only an approval of a lower level counts
    instance_id, manager = _request(client, people, 50_000)
    [revise] = _ok(_decide(client, both, manager, "reject", comment="split it", request_changes=True))["open_tickets"]
    [again] = _ok(client.post(f"/api/v1/tickets/{revise['id']}/complete",
                              json={"data": {"amount": 50_000, "description": "laptops"}},
                              headers=people["carol"]))["open_tickets"]
    [director] = _ok(_decide(client, people["max"], again, "approve"))["open_tickets"]

    assert _ok(_decide(client, both, director, "approve"))["instance"]["status"] == "completed"


def test_who_approved_a_level_may_approve_that_level_again_after_changes(client, admin, people):
    instance_id, manager = _request(client, people, 50_000)
    [director] = _ok(_decide(client, people["max"], manager, "approve"))["open_tickets"]
    [revise] = _ok(_decide(client, people["dora"], director, "reject", comment="cheaper ones",
                           request_changes=True))["open_tickets"]
    [again] = _ok(client.post(f"/api/v1/tickets/{revise['id']}/complete",
                              json={"data": {"amount": 40_000, "description": "laptops"}},
                              headers=people["carol"]))["open_tickets"]
    assert (again["element_id"], again["approval_level"]) == ("manager_approval", 1)

    [director_again] = _ok(_decide(client, people["max"], again, "approve"))["open_tickets"]

    assert director_again["approval_level"] == 2


def test_an_approval_of_another_request_does_not_bar_a_higher_level_of_this_one(client, admin, people, make_user):
    both = make_user("bea", "agent", "managers", "directors")
    _, other_manager = _request(client, people, 50_001)
    _ok(_decide(client, both, other_manager, "approve"))
    _, manager = _request(client, people, 50_000)
    [director] = _ok(_decide(client, people["max"], manager, "approve"))["open_tickets"]

    assert _ok(_decide(client, both, director, "approve"))["instance"]["status"] == "completed"
