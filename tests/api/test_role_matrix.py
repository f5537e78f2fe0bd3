"""Role x endpoint: every forbidden cell answers 403/404 and changes nothing, every allowed one works.

Each cell runs against a fresh instance of ``two_step`` whose first ticket is offered to the
group ``agents``: ``agent`` is in that group, ``outsider`` is an agent who is not.
"""

from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"

ROLES = ("admin", "modeler", "agent", "outsider", "system", "auditor", "requester")
EVERYONE = set(ROLES) - {"requester"}  # a requester reaches the requester API and /me only
READERS_OF_THE_INSTANCE = {"admin", "modeler", "agent", "system", "auditor"}
WORKERS_OF_THE_TICKET = {"admin", "agent"}
CALENDAR = {"time_zone": "UTC", "working_days": [1, 2, 3, 4, 5], "hours": ["09:00", "17:00"]}


def _upload(client, headers, world):
    with (DATA / "two_step.bpmn").open("rb") as handle:
        return client.post("/api/v1/definitions", data={"file": (handle, "two_step.bpmn")}, headers=headers,
                           content_type="multipart/form-data")


# (name, method, path, json body or a callable doing the request, roles allowed)
CELLS = [
    ("list definitions", "GET", "/definitions", None, EVERYONE),
    ("read a definition", "GET", "/definitions/two_step", None, EVERYONE),
    ("deploy", "POST", "/definitions", _upload, {"admin", "modeler"}),
    ("start", "POST", "/processes/two_step/instances", {}, {"admin", "system"}),
    ("list instances", "GET", "/instances", None, EVERYONE),
    ("read the instance", "GET", "/instances/{instance}", None, READERS_OF_THE_INSTANCE),
    ("instance history", "GET", "/instances/{instance}/history", None, READERS_OF_THE_INSTANCE),
    ("instance approvals", "GET", "/instances/{instance}/approvals", None, READERS_OF_THE_INSTANCE),
    ("suspend", "POST", "/instances/{instance}/suspend", {}, {"admin", "system"}),
    ("cancel", "POST", "/instances/{instance}/cancel", {}, {"admin", "system"}),
    ("write variables", "PATCH", "/instances/{instance}/variables", {"set": {"checked": True}}, {"admin"}),
    ("completed tickets", "GET", "/history/tickets", None, EVERYONE),
    ("completed activities", "GET", "/history/activities", None, EVERYONE),
    ("list decisions", "GET", "/decisions", None, EVERYONE),
    ("bulk migrate", "POST", "/processes/two_step/migrate", {"to_version": 1}, {"admin", "modeler"}),
    ("list tickets", "GET", "/tickets", None, EVERYONE),
    ("read the ticket", "GET", "/tickets/{ticket}", None, {"admin", "agent", "auditor"}),
    ("ticket timeline", "GET", "/tickets/{ticket}/progressions", None, {"admin", "agent", "auditor"}),
    ("read comments", "GET", "/tickets/{ticket}/comments", None, {"admin", "agent", "auditor"}),
    ("comment", "POST", "/tickets/{ticket}/comments", {"body": "looks fine"}, WORKERS_OF_THE_TICKET),
    ("claim", "POST", "/tickets/{ticket}/claim", {}, WORKERS_OF_THE_TICKET),
    ("complete", "POST", "/tickets/{ticket}/complete", {"data": {"skip": False}}, WORKERS_OF_THE_TICKET),
    ("list incidents", "GET", "/incidents", None, {"admin", "modeler", "system", "auditor"}),
    ("retry an incident", "POST", "/incidents/{incident}/retry", {}, {"admin"}),
    ("list secrets", "GET", "/secrets", None, {"admin", "auditor"}),
    ("set a secret", "PUT", "/secrets/crm_token", {"value": "v"}, {"admin"}),
    ("list webhooks", "GET", "/webhooks", None, {"admin", "auditor"}),
    ("list calendars", "GET", "/calendars", None, EVERYONE),
    ("define a calendar", "PUT", "/calendars/office", CALENDAR, {"admin"}),
    ("send a message", "POST", "/messages", {"name": "nobody_waits", "buffer_ttl": 60}, {"admin", "system"}),
    ("send a signal", "POST", "/signals", {"name": "nobody_waits"}, {"admin", "system"}),
    ("signal start", "POST", "/signals", {"name": "launch"}, {"admin", "system"}),
    ("fetch external tasks", "POST", "/external-tasks/fetch-and-lock",
     {"worker_id": "w", "max_tasks": 1, "topics": [{"topic_name": "t", "lock_duration": 1000}]}, {"admin", "system"}),
    ("list users", "GET", "/users", None, {"admin", "auditor"}),
    ("create a user", "POST", "/users", {"name": "newcomer", "role": "agent"}, {"admin"}),
    ("change a user", "PATCH", "/users/outsider", {"groups": ["agents"]}, {"admin"}),
    ("list groups", "GET", "/groups", None, {"admin", "auditor"}),
    ("set a group", "PUT", "/groups/agents", {"members": ["agent", "outsider"]}, {"admin"}),
    ("list own api keys", "GET", "/api-keys", None, EVERYONE),
    ("create an api key", "POST", "/api-keys", {"user": "agent"}, {"admin"}),
    ("read the audit log", "GET", "/audit-log", None, {"admin", "auditor"}),
    ("save a filter", "POST", "/me/filters", {"name": "mine", "query": {"status": "open"}}, EVERYONE - {"auditor"}),
    ("list own filters", "GET", "/me/filters", None, EVERYONE),
    ("who am I", "GET", "/me", None, set(ROLES)),
    ("list request types", "GET", "/request-types", None, {"admin", "auditor", "requester"}),
    ("open a request", "POST", "/requests", {"type": "call_back"}, {"requester"}),
    ("list my requests", "GET", "/requests", None, {"requester"}),
    ("list my tasks", "GET", "/requester-tasks", None, {"requester"}),
]


@pytest.fixture
def world(client, admin, make_user, deploy):
    """Users of every role and the deployed processes; ``world.fresh()`` starts a new instance."""
    deploy("two_step.bpmn", "external_invoice.bpmn", "signal_start.bpmn")
    deploy("requestable.bpmn", "laptop-schema.json")
    users = {"admin": admin, "modeler": make_user("modeler", "modeler"), "agent": make_user("agent", "agent", "agents"),
             "outsider": make_user("outsider", "agent", "elsewhere"), "system": make_user("system", "system"),
             "auditor": make_user("auditor", "auditor"), "requester": make_user("requester", "requester")}

    class World:
        headers = users

        def fresh(self) -> dict:
            started = client.post("/api/v1/processes/two_step/instances", json={}, headers=admin).get_json()
            return {"instance": started["id"], "ticket": started["open_tickets"][0]["id"]}

        def incident(self) -> str:
            invoice = client.post("/api/v1/processes/external_invoice/instances", json={"variables": {"amount": 1}},
                                  headers=admin).get_json()
            [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=admin, json={
                "worker_id": "w1", "max_tasks": 1,
                "topics": [{"topic_name": "payments", "lock_duration": 60_000}]}).get_json()
            client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=admin,
                        json={"worker_id": "w1", "error_message": "declined", "retries": 0})
            return client.get(f"/api/v1/instances/{invoice['id']}", headers=admin).get_json()["incidents"][0]["id"]

    return World()


def _snapshot(client, admin, ids) -> tuple:
    """What a forbidden request must leave unchanged."""
    instance = client.get(f"/api/v1/instances/{ids['instance']}", headers=admin).get_json()
    ticket = client.get(f"/api/v1/tickets/{ids['ticket']}", headers=admin).get_json()
    audit = client.get("/api/v1/audit-log?limit=200", headers=admin).get_json()["items"]
    return instance["status"], ticket["status"], ticket["assignee"], len(audit)


def _wrong_cells(client, admin, world, headers, may) -> list[str]:
    """Run every cell with ``headers``; ``may(cell)`` says whether it must be allowed."""
    wrong = []
    for cell in CELLS:
        name, method, path, body, _ = cell
        refused = not may(cell)
        # A fresh instance per cell that uses one (or that must be shown unchanged afterwards).
        ids = world.fresh() if refused or "{" in path else {}
        if "{incident}" in path:
            ids["incident"] = world.incident()
        url = "/api/v1" + path.format(**ids)
        before = _snapshot(client, admin, ids) if refused else None
        if callable(body):
            response = body(client, headers, world)
        else:
            response = client.open(url, method=method, json=body, headers=headers)
        if not refused:
            if not 200 <= response.status_code < 300:
                wrong.append(f"{name}: should be allowed, got {response.status_code} {response.get_json()}")
        else:
            if response.status_code not in (403, 404):
                wrong.append(f"{name}: should be refused, got {response.status_code}")
            elif response.mimetype != "application/problem+json":
                wrong.append(f"{name}: refusal is not problem+json")
            elif _snapshot(client, admin, ids) != before:
                wrong.append(f"{name}: the refused request changed something")
    return wrong


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, admin, world, role):
    assert _wrong_cells(client, admin, world, world.headers[role], lambda cell: role in cell[4]) == []


@pytest.mark.parametrize("scope", ["read", "write"])
def test_key_scope_matrix(client, admin, world, scope):
    """An admin's key with one scope: GETs need ``read``, everything else ``write``."""
    key = client.post("/api/v1/api-keys", json={"user": "admin", "scopes": [scope]}, headers=admin).get_json()["key"]
    headers = {"Authorization": f"Bearer {key}"}

    def may(cell):
        return "admin" in cell[4] and (cell[1] == "GET") == (scope == "read")
    assert _wrong_cells(client, admin, world, headers, may) == []


def test_agents_complete_only_tickets_they_are_candidates_for(client, world):
    ids = world.fresh()
    outsider = client.post(f"/api/v1/tickets/{ids['ticket']}/complete", json={"data": {"skip": False}},
                           headers=world.headers["outsider"])
    assert outsider.status_code in (403, 404)
    agent = client.post(f"/api/v1/tickets/{ids['ticket']}/complete", json={"data": {"skip": False}},
                        headers=world.headers["agent"])
    assert agent.status_code == 200
    assert agent.get_json()["ticket"]["status"] == "completed"


def test_agent_cannot_complete_a_ticket_claimed_by_another_candidate(client, admin, make_user, world):
    colleague = make_user("colleague", "agent", "agents")
    ids = world.fresh()
    assert client.post(f"/api/v1/tickets/{ids['ticket']}/claim", headers=colleague).status_code == 200
    response = client.post(f"/api/v1/tickets/{ids['ticket']}/complete", json={"data": {"skip": False}},
                           headers=world.headers["agent"])
    assert response.status_code == 409
    assert client.get(f"/api/v1/tickets/{ids['ticket']}", headers=admin).get_json()["status"] == "claimed"


def test_system_is_limited_to_its_allow_listed_processes(client, make_user, world):
    crm = make_user("crm", "system", process_keys=["two_step"])
    assert client.post("/api/v1/processes/two_step/instances", json={}, headers=crm).status_code == 201
    response = client.post("/api/v1/processes/external_invoice/instances", json={}, headers=crm)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_system_is_limited_to_its_allow_listed_messages_and_signals(client, make_user, world):
    crm = make_user("crm", "system", message_names=["order_placed"])
    allowed = client.post("/api/v1/messages", json={"name": "order_placed", "buffer_ttl": 60}, headers=crm)
    assert allowed.status_code == 202
    assert client.post("/api/v1/messages", json={"name": "refund", "buffer_ttl": 60}, headers=crm).status_code == 403
    assert client.post("/api/v1/signals", json={"name": "go"}, headers=crm).status_code == 403


def test_key_allow_list_narrows_the_users(client, admin, make_user, world):
    make_user("crm", "system", process_keys=["two_step", "external_invoice"])
    key = client.post("/api/v1/api-keys", json={"user": "crm", "process_keys": ["external_invoice", "other"]},
                      headers=admin).get_json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post("/api/v1/processes/two_step/instances", json={}, headers=headers).status_code == 403
    assert client.post("/api/v1/processes/external_invoice/instances", json={"variables": {"amount": 1}},
                       headers=headers).status_code == 201
