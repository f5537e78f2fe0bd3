"""Assignment: automatic policies with their explanation, assign/transfer, delegate/resolve, bulk."""

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from flowdesk.cli import main
from flowdesk.engine.access import identity

PROBLEM = "application/problem+json"


@pytest.fixture
def agents(make_user):
    return {name: make_user(name, "agent", "agents") for name in ("ann", "bob", "cid")}


@pytest.fixture
def lead(runtime):
    _, key = identity.create_user(runtime, "lea", "agent", lead_of=["agents"])
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(autouse=True)
def deployed(deploy):
    deploy("assignment.bpmn", "two_step.bpmn")


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _post(client, headers, ticket_id, action, **body):
    return client.post(f"/api/v1/tickets/{ticket_id}/{action}", json=body, headers=headers)


def _open(start, process_key="two_step"):
    [ticket] = start(process_key)["open_tickets"]
    return ticket


def _explain(client, admin, ticket_id):
    return _ok(client.get(f"/api/v1/tickets/{ticket_id}/assignment", headers=admin))


def _actions(client, admin, ticket_id):
    return [p["action"] for p in _ok(client.get(f"/api/v1/tickets/{ticket_id}/progressions", headers=admin))["items"]]


def test_least_loaded_picks_the_emptiest_candidate_and_says_why(client, admin, start, agents, make_user):
    make_user("sys", "system", "agents")  # in the group, but not an agent: never a candidate
    for holder, count in (("ann", 2), ("bob", 1)):
        for _ in range(count):
            _ok(_post(client, agents[holder], _open(start)["id"], "claim"))
    ticket = _open(start, "assign_least_loaded")
    assert (ticket["assignee"], ticket["status"]) == ("cid", "claimed")
    explained = _explain(client, admin, ticket["id"])
    assert explained["policy"] == "least_loaded"
    [decision] = explained["decisions"]
    assert decision["rule"] == "least_loaded" and decision["assigned_by"] is None
    assert [(c["name"], c["load"]) for c in decision["candidates"]] == [("ann", 2), ("bob", 1), ("cid", 0)]
    assert "cid holds the fewest open or claimed tickets (0)" in decision["reason"]
    assert _actions(client, admin, ticket["id"]) == ["created", "assigned"]


def test_least_loaded_tie_goes_to_the_longest_idle(client, admin, start, agents, runtime):
    base = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    for minutes, name in ((0, "bob"), (10, "ann")):  # both finish a ticket; bob earlier
        runtime.clock = lambda at=base + timedelta(minutes=minutes): at
        ticket = _open(start)
        _ok(_post(client, agents[name], ticket["id"], "complete", data={"skip": True}))
    runtime.clock = lambda: base + timedelta(minutes=20)
    ticket = _open(start, "assign_least_loaded")
    # cid never worked: idlest of all three at load 0.
    assert ticket["assignee"] == "cid"
    assert "3 candidates tie" in _explain(client, admin, ticket["id"])["decisions"][0]["reason"]
    assert _open(start, "assign_least_loaded")["assignee"] == "bob"


def test_round_robin_cycles_through_candidates_in_name_order(client, admin, start, agents):
    assignees = [_open(start, "assign_round_robin")["assignee"] for _ in range(5)]
    assert assignees == ["ann", "bob", "cid", "zed", "ann"]
    ticket = _open(start, "assign_round_robin")
    explained = _explain(client, admin, ticket["id"])
    assert explained["policy"] == "round_robin"
    assert explained["decisions"][0]["reason"].endswith("bob comes after ann")
    assert [c["name"] for c in explained["decisions"][0]["candidates"]] == ["ann", "bob", "cid", "zed"]


def test_automatic_policy_without_candidates_leaves_the_ticket_open(client, admin, start):
    ticket = _open(start, "assign_least_loaded")
    assert (ticket["assignee"], ticket["status"]) == (None, "open")
    assert "no candidates" in _explain(client, admin, ticket["id"])["decisions"][0]["reason"]


def test_manual_policy_assigns_nobody(client, admin, start, agents):
    ticket = _open(start)
    assert ticket["assignee"] is None
    assert _explain(client, admin, ticket["id"]) == {"ticket_id": ticket["id"], "assignee": None, "owner": None,
                                                      "delegation_state": None, "policy": "manual", "decisions": []}


def test_admin_assigns_and_the_decision_is_recorded(client, admin, start, agents):
    ticket = _open(start)
    assigned = _ok(_post(client, admin, ticket["id"], "assign", user="bob"))
    assert (assigned["assignee"], assigned["status"]) == ("bob", "claimed")
    [decision] = _explain(client, admin, ticket["id"])["decisions"]
    assert (decision["rule"], decision["assigned_by"], decision["assignee"]) == ("manual", "admin", "bob")
    step = _ok(client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=admin))["items"][-1]
    assert (step["action"], step["performed_by"], step["metadata"]["transfer"]) == ("assigned", "admin", False)


def test_group_lead_assigns_tickets_of_the_group(client, admin, start, agents, lead):
    ticket = _open(start)
    assert _ok(_post(client, lead, ticket["id"], "assign", user="cid"))["assignee"] == "cid"


def test_holder_transfers_to_another_candidate(client, admin, start, agents):
    ticket = _open(start)
    _ok(_post(client, agents["ann"], ticket["id"], "claim"))
    moved = _ok(_post(client, agents["ann"], ticket["id"], "assign", user="bob"))
    assert moved["assignee"] == "bob"
    step = _ok(client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=admin))["items"][-1]
    assert (step["metadata"]["previous_assignee"], step["metadata"]["transfer"]) == ("ann", True)


def test_plain_agent_may_not_assign_and_nothing_changes(client, admin, start, agents):
    ticket = _open(start)
    response = _post(client, agents["ann"], ticket["id"], "assign", user="bob")
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert _ok(client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin))["assignee"] is None
    assert _actions(client, admin, ticket["id"]) == ["created"]


def test_lead_may_not_assign_to_a_non_candidate(client, admin, start, agents, lead, make_user):
    make_user("out", "agent", "finance")
    ticket = _open(start)
    response = _post(client, lead, ticket["id"], "assign", user="out")
    assert response.status_code == 422 and "user" in response.get_json()["errors"]
    assert _ok(client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin))["assignee"] is None


@pytest.mark.parametrize("body", [{"user": "nobody"}, {"user": ""}, {}, {"user": 7}])
def test_assign_to_unknown_or_missing_user_is_422(client, admin, start, body):
    ticket = _open(start)
    response = client.post(f"/api/v1/tickets/{ticket['id']}/assign", json=body, headers=admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert _ok(client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin))["assignee"] is None


def test_assign_unknown_ticket_is_404(client, admin, agents):
    response = client.post("/api/v1/tickets/nope/assign", json={"user": "bob"}, headers=admin)
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_delegate_then_resolve_hands_the_ticket_back_to_its_owner(client, admin, start, agents, make_user):
    expert = make_user("exp", "agent", "experts")
    ticket = _open(start)
    _ok(_post(client, agents["ann"], ticket["id"], "claim"))
    delegated = _ok(_post(client, agents["ann"], ticket["id"], "delegate", user="exp", comment="please check"))
    assert (delegated["assignee"], delegated["owner"], delegated["delegation_state"]) == ("exp", "ann", "pending")
    assert _ok(client.get(f"/api/v1/tickets/{ticket['id']}", headers=agents["ann"]))["owner"] == "ann"
    blocked = _post(client, expert, ticket["id"], "complete", data={"skip": True})
    assert blocked.status_code == 409 and blocked.get_json()["allowed_actions"] == ["resolve"]
    assert blocked.get_json()["detail"] == (f"ticket '{ticket['id']}' is delegated to exp; it must be resolved "
                                            "back to ann before you complete it")
    assert (blocked.get_json()["assignee"], blocked.get_json()["owner"]) == ("exp", "ann")
    assert _post(client, agents["ann"], ticket["id"], "resolve").status_code == 403
    resolved = _ok(_post(client, expert, ticket["id"], "resolve", comment="looks fine"))
    assert (resolved["assignee"], resolved["owner"], resolved["delegation_state"]) == ("ann", "ann", "resolved")
    _ok(_post(client, agents["ann"], ticket["id"], "complete", data={"skip": True}))
    assert _actions(client, admin, ticket["id"]) == ["created", "claimed", "delegated", "resolved", "completed"]
    assert [d["rule"] for d in _explain(client, admin, ticket["id"])["decisions"]] == ["delegated", "resolved"]


def test_delegating_an_unassigned_ticket_is_409(client, admin, start, agents):
    ticket = _open(start)
    response = _post(client, admin, ticket["id"], "delegate", user="bob")
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert _ok(client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin))["delegation_state"] is None


def test_resolving_a_ticket_that_is_not_delegated_is_409(client, admin, start, agents):
    ticket = _open(start)
    _ok(_post(client, agents["ann"], ticket["id"], "claim"))
    assert _post(client, agents["ann"], ticket["id"], "resolve").status_code == 409


def test_bulk_claim_reports_each_ticket(client, admin, start, agents):
    free, taken = _open(start), _open(start)
    _ok(_post(client, agents["bob"], taken["id"], "claim"))
    body = _ok(client.post("/api/v1/tickets/bulk", json={"action": "claim", "ticket_ids": [free["id"], taken["id"], "nope"]},
                           headers=agents["ann"]))
    assert [(r["ticket_id"], r["status"]) for r in body["results"]] == [(free["id"], 200), (taken["id"], 409),
                                                                        ("nope", 404)]
    assert body["results"][0]["ticket"]["assignee"] == "ann"
    assert body["results"][1]["problem"]["code"] == "conflict"
    assert body["results"][2]["problem"]["status"] == 404
    assert (body["succeeded"], body["failed"]) == (1, 2)


def test_bulk_assign_by_a_lead(client, admin, start, agents, lead):
    ids = [_open(start)["id"] for _ in range(3)]
    body = _ok(client.post("/api/v1/tickets/bulk", json={"action": "assign", "ticket_ids": ids, "user": "cid"},
                           headers=lead))
    assert [r["status"] for r in body["results"]] == [200, 200, 200]
    assert {t["assignee"] for t in _ok(client.get("/api/v1/tickets?assignee=cid", headers=admin))["items"]} == {"cid"}


def test_bulk_assign_by_a_plain_agent_is_refused_per_ticket(client, admin, start, agents):
    ticket = _open(start)
    body = _ok(client.post("/api/v1/tickets/bulk", json={"action": "assign", "ticket_ids": [ticket["id"]],
                                                         "user": "bob"}, headers=agents["ann"]))
    assert body["results"][0]["status"] == 403
    assert _ok(client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin))["assignee"] is None


@pytest.mark.parametrize("body", [
    {"action": "close", "ticket_ids": ["a"]}, {"action": "claim", "ticket_ids": []}, {"action": "claim"},
    {"action": "claim", "ticket_ids": ["a", "a"]}, {"action": "assign", "ticket_ids": ["a"]},
    {"action": "assign", "ticket_ids": ["a"], "user": "nobody"}, {"action": "claim", "ticket_ids": "a"},
])
def test_malformed_bulk_request_is_422_and_changes_nothing(client, admin, start, agents, body):
    ticket = _open(start)
    body = {**body, "ticket_ids": [ticket["id"] if t == "a" else t for t in body["ticket_ids"]]} \
        if isinstance(body.get("ticket_ids"), list) else body
    response = client.post("/api/v1/tickets/bulk", json=body, headers=admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert _ok(client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin))["status"] == "open"


def test_cli_creates_a_group_lead(tmp_path, monkeypatch, backend):
    if backend != "sqlite":
        pytest.skip("the command line runs against its own SQLite file")
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--create-database", "users", "create", "lea", "--role", "agent",
                                       "--lead-of", "support"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    from flowdesk.engine.store.runtime import Runtime

    principal = identity.authenticate(Runtime(f"sqlite:///{tmp_path / 'cli.sqlite3'}", master_key=b"unused"),
                                      result.output.strip().splitlines()[-1])
    assert (principal.groups, principal.lead_of) == (frozenset({"support"}), frozenset({"support"}))
