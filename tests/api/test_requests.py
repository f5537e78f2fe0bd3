"""Requesters: request types, opening a request from its form, my requests, replies, my tasks,
the accept gate of the SLA, cancelling, and the example walked end to end (examples/it_support.bpmn)."""

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from flowdesk.engine.models import Job

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def desk(client, admin, make_user, deploy, clock):
    """it_support and the test request types deployed; alice and carol (requesters, carol in acme),
    lena (support lead) and bob (agent in support)."""
    deploy("it_support.bpmn")
    deploy("requestable.bpmn", "laptop-schema.json")

    class Desk:
        alice = make_user("alice", "requester")
        carol = make_user("carol", "requester", "acme")
        bob = make_user("bob", "agent", "support")

        def open(self, who=None, subject="Printer jams", **data):
            body = {"type": "it_support", "data": {"subject": subject, "category": "hardware", **data}}
            response = client.post("/api/v1/requests", json=body, headers=who or self.alice)
            assert response.status_code == 201, response.get_json()
            return response.get_json()

        def ticket(self, request_id, element_id):
            items = client.get(f"/api/v1/tickets?instance_id={request_id}", headers=admin).get_json()["items"]
            [ticket] = [t for t in items if t["element_id"] == element_id and t["status"] != "completed"]
            return ticket["id"]

        def mine(self, request_id, who=None):
            response = client.get(f"/api/v1/requests/{request_id}", headers=who or self.alice)
            assert response.status_code == 200, response.get_json()
            return response.get_json()

    return Desk()


def kinds(request) -> list[str]:
    return [entry["kind"] for entry in request["timeline"]]


def test_request_types_are_the_requestable_processes_a_requester_may_open(client, desk, documented):
    alice = documented("RequestTypeList", client.get("/api/v1/request-types", headers=desk.alice).get_json())
    assert [t["key"] for t in alice["items"]] == ["call_back", "it_support"]
    carol = client.get("/api/v1/request-types", headers=desk.carol).get_json()
    assert [t["key"] for t in carol["items"]] == ["call_back", "it_support", "order_laptop"]
    [support] = [t for t in alice["items"] if t["key"] == "it_support"]
    assert support["name"] == "Get IT help"
    assert support["form_fields"] == ["subject", "category", "details"]
    assert support["form_schema"]["required"] == ["subject", "category"]
    assert support["cancellable"] is True


def test_a_request_type_with_a_deployed_json_schema_form(client, desk, documented):
    laptop = documented("RequestType", client.get("/api/v1/request-types/order_laptop", headers=desk.carol).get_json())
    assert laptop["name"] == "Order a laptop"
    assert laptop["description"] == "A new laptop for work."
    assert laptop["groups"] == ["acme"]
    assert laptop["form_schema"]["properties"]["model"]["minLength"] == 2


def test_a_type_of_other_groups_or_not_requestable_is_not_found(client, desk):
    for key in ("order_laptop", "internal_audit", "nothing_deployed"):
        response = client.get(f"/api/v1/request-types/{key}", headers=desk.alice)
        assert response.status_code == 404, key
        assert response.mimetype == "application/problem+json"
        opened = client.post("/api/v1/requests", json={"type": key, "data": {}}, headers=desk.alice)
        assert opened.status_code == 404, key
    assert client.get("/api/v1/requests", headers=desk.alice).get_json()["items"] == []


def test_opening_a_request_checks_the_form_and_changes_nothing_when_refused(client, admin, desk):
    missing = client.post("/api/v1/requests", json={"type": "it_support", "data": {"subject": "x"}}, headers=desk.alice)
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {"category": ["is required"]}
    unknown = client.post("/api/v1/requests", json={"type": "it_support", "data": {
        "subject": "x", "category": "hardware", "is_vip": True}}, headers=desk.alice)
    assert unknown.status_code == 422
    schema = client.post("/api/v1/requests", json={"type": "order_laptop", "data": {"model": "x"}}, headers=desk.carol)
    assert schema.status_code == 422
    assert "model" in schema.get_json()["errors"]
    assert client.get("/api/v1/instances", headers=admin).get_json()["items"] == []


def test_the_requester_is_the_initiator_and_may_not_set_it(client, admin, desk):
    opened = desk.open()
    instance = client.get(f"/api/v1/instances/{opened['id']}", headers=admin).get_json()
    assert instance["started_by"] == "alice"
    assert instance["variables"]["initiator"] == "alice"
    forged = client.post("/api/v1/requests", json={"type": "it_support", "data": {
        "subject": "x", "category": "hardware", "initiator": "carol"}}, headers=desk.alice)
    assert forged.status_code == 422
    assert "initiator" in forged.get_json()["errors"]


def test_an_opened_request_shows_its_stage_public_variables_and_timeline(client, desk, documented):
    opened = documented("Request", desk.open(details="paper everywhere"))
    assert opened["stage"] == "Received"
    assert opened["state"] == "open"
    assert opened["subject"] == "Printer jams"
    assert opened["type_name"] == "Get IT help"
    assert opened["variables"] == {"subject": "Printer jams", "category": "hardware", "details": "paper everywhere"}
    assert opened["labels"] == {"subject": "Subject", "category": "Category", "details": "What happened?"}
    assert kinds(opened) == ["submitted", "stage"]
    assert opened["sla"] is None and opened["waiting_on_you"] is False and opened["can_cancel"] is True


def test_my_requests_newest_first_with_paging_search_and_state(client, desk, clock, documented):
    for subject in ("Printer jams", "VPN down", "New mouse"):
        desk.open(subject=subject)
        clock.advance(minutes=1)
    desk.open(who=desk.carol, subject="Carol's printer")
    first = documented("RequestPage", client.get("/api/v1/requests?limit=2", headers=desk.alice).get_json())
    assert [r["subject"] for r in first["items"]] == ["New mouse", "VPN down"]
    rest = client.get(f"/api/v1/requests?limit=2&after={first['next_cursor']}", headers=desk.alice).get_json()
    assert [r["subject"] for r in rest["items"]] == ["Printer jams"] and rest["next_cursor"] is None
    found = client.get("/api/v1/requests?q=print", headers=desk.alice).get_json()["items"]
    assert [r["subject"] for r in found] == ["Printer jams"]
    assert client.get("/api/v1/requests?q=100%25", headers=desk.alice).get_json()["items"] == []
    assert len(client.get("/api/v1/requests?state=open", headers=desk.alice).get_json()["items"]) == 3
    assert client.get("/api/v1/requests?state=closed", headers=desk.alice).get_json()["items"] == []


def test_the_sla_starts_when_the_desk_accepts_the_request(client, desk, clock):
    opened = desk.open()
    client.post(f"/api/v1/tickets/{desk.ticket(opened['id'], 'triage')}/complete",
                json={"data": {"priority": "high"}}, headers=desk.bob)
    pending = desk.mine(opened["id"])
    assert pending["stage"] == "In progress"
    assert pending["sla"] == {"started": False, "state": "pending", "due_at": None, "remaining_seconds": None,
                              "allowed_seconds": 86400, "paused": False}
    clock.advance(hours=3)
    work = desk.ticket(opened["id"], "resolve")
    assert client.post(f"/api/v1/tickets/{work}/claim", headers=desk.bob).status_code == 200
    accepted = desk.mine(opened["id"])
    assert accepted["sla"]["started"] is True
    assert datetime.fromisoformat(accepted["sla"]["due_at"]) == clock.now + timedelta(days=1)
    assert kinds(accepted)[-1] == "accepted"


def test_the_example_walked_by_rest(client, admin, desk, clock, documented):
    """Open from the form, the desk accepts (SLA starts), waits on the customer (SLA pauses), the
    requester replies (resumes), the requester confirms, closed; and what each side sees."""
    request_id = desk.open(details="paper everywhere")["id"]
    clock.advance(minutes=1)
    client.post(f"/api/v1/tickets/{desk.ticket(request_id, 'triage')}/complete",
                json={"data": {"priority": "high"}}, headers=desk.bob)
    work = desk.ticket(request_id, "resolve")
    clock.advance(minutes=1)
    client.post(f"/api/v1/tickets/{work}/claim", headers=desk.bob)
    due = datetime.fromisoformat(desk.mine(request_id)["sla"]["due_at"])
    clock.advance(minutes=1)
    client.post(f"/api/v1/tickets/{work}/comments", json={"body": "customer sounds angry"}, headers=desk.bob)
    clock.advance(minutes=1)
    client.post(f"/api/v1/tickets/{work}/comments", json={"body": "Which printer is it?", "public": True},
                headers=desk.bob)
    clock.advance(minutes=1)
    client.post(f"/api/v1/tickets/{work}/progress", json={"action": "waiting_customer", "comment": "stalling"},
                headers=desk.bob)
    waiting = desk.mine(request_id)
    assert waiting["waiting_on_you"] is True and waiting["sla"]["paused"] is True

    clock.advance(hours=2)
    replied = documented("Request", client.post(f"/api/v1/requests/{request_id}/comments",
                                                json={"body": "The HP on floor 2"}, headers=desk.alice).get_json())
    assert replied["waiting_on_you"] is False and replied["sla"]["paused"] is False
    assert datetime.fromisoformat(replied["sla"]["due_at"]) == due + timedelta(hours=2)
    ticket = client.get(f"/api/v1/tickets/{work}", headers=desk.bob).get_json()
    assert ticket["status"] == "claimed"
    desk_comments = client.get(f"/api/v1/tickets/{work}/comments", headers=desk.bob).get_json()["items"]
    assert [(c["author"], c["public"]) for c in desk_comments] == [("bob", False), ("bob", True), ("alice", True)]

    clock.advance(minutes=1)
    client.post(f"/api/v1/tickets/{work}/complete", json={"data": {"resolution": "Replaced the roller"}},
                headers=desk.bob)
    clock.advance(minutes=1)
    todo = documented("RequesterTaskPage", client.get("/api/v1/requester-tasks", headers=desk.alice).get_json())
    [task] = todo["items"]
    assert (task["name"], task["request_id"], task["request_subject"]) == ("Confirm the fix", request_id, "Printer jams")
    form = documented("RequesterTask", client.get(f"/api/v1/requester-tasks/{task['id']}", headers=desk.alice).get_json())
    assert form["form_fields"] == ["confirmed", "feedback"]
    confirming = desk.mine(request_id)
    assert confirming["stage"] == "Waiting for your confirmation" and confirming["waiting_on_you"] is True
    assert confirming["variables"]["resolution"] == "Replaced the roller"

    closed = documented("Request", client.post(f"/api/v1/requester-tasks/{task['id']}/complete",
                                               json={"data": {"confirmed": True}}, headers=desk.alice).get_json())
    assert closed["state"] == "closed" and closed["stage"] == "Closed" and closed["closed_at"]
    assert kinds(closed) == ["submitted", "stage", "stage", "accepted", "comment", "waiting_on_you", "comment",
                             "resumed", "stage", "task_completed", "closed"]
    bodies = [e.get("body") for e in closed["timeline"] if e["kind"] == "comment"]
    assert bodies == ["Which printer is it?", "The HP on floor 2"]
    assert "angry" not in str(closed) and "stalling" not in str(closed) and "priority" not in str(closed)
    assert [r["state"] for r in client.get("/api/v1/requests?state=closed", headers=desk.alice).get_json()["items"]] \
        == ["closed"]
    # The desk's side: the whole timeline of the work ticket, internal steps included.
    desk_steps = client.get(f"/api/v1/tickets/{work}/progressions", headers=desk.bob).get_json()
    actions = [p["action"] for p in (desk_steps["items"] if isinstance(desk_steps, dict) else desk_steps)]
    assert actions == ["created", "claimed", "sla_started", "commented", "commented", "waiting", "commented",
                       "resumed", "completed"]


def test_the_requester_reopens_when_the_fix_did_not_work(client, desk):
    request_id = desk.open()["id"]
    client.post(f"/api/v1/tickets/{desk.ticket(request_id, 'triage')}/complete",
                json={"data": {"priority": "low"}}, headers=desk.bob)
    client.post(f"/api/v1/tickets/{desk.ticket(request_id, 'resolve')}/complete",
                json={"data": {"resolution": "rebooted"}}, headers=desk.bob)
    [task] = client.get("/api/v1/requester-tasks", headers=desk.alice).get_json()["items"]
    refused = client.post(f"/api/v1/requester-tasks/{task['id']}/complete", json={"data": {"feedback": "?"}},
                          headers=desk.alice)
    assert refused.status_code == 422
    reopened = client.post(f"/api/v1/requester-tasks/{task['id']}/complete",
                           json={"data": {"confirmed": False, "feedback": "still jams"}}, headers=desk.alice).get_json()
    assert reopened["stage"] == "In progress" and reopened["state"] == "open"
    assert client.get("/api/v1/requester-tasks", headers=desk.alice).get_json()["items"] == []


def test_a_reply_while_only_my_task_is_open_reaches_the_agent_who_worked_it(client, desk, clock):
    request_id = desk.open()["id"]
    clock.advance(minutes=5)
    client.post(f"/api/v1/tickets/{desk.ticket(request_id, 'triage')}/complete",
                json={"data": {"priority": "low"}}, headers=desk.bob)
    work = desk.ticket(request_id, "resolve")
    client.post(f"/api/v1/tickets/{work}/complete", json={"data": {"resolution": "rebooted"}}, headers=desk.bob)
    replied = client.post(f"/api/v1/requests/{request_id}/comments", json={"body": "Before I confirm: why?"},
                          headers=desk.alice)
    assert replied.status_code == 201
    comments = client.get(f"/api/v1/tickets/{work}/comments", headers=desk.bob).get_json()["items"]
    assert [(c["author"], c["body"], c["public"]) for c in comments] == [("alice", "Before I confirm: why?", True)]


def test_a_closed_request_takes_no_reply(client, desk):
    request_id = desk.open()["id"]
    client.post(f"/api/v1/requests/{request_id}/cancel", headers=desk.alice)
    refused = client.post(f"/api/v1/requests/{request_id}/comments", json={"body": "hello?"}, headers=desk.alice)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert [e["kind"] for e in desk.mine(request_id)["timeline"]].count("comment") == 0


def test_a_requester_attaches_a_file_and_sees_only_public_files(client, desk, clock, documented):
    request_id = desk.open()["id"]
    work = desk.ticket(request_id, "triage")
    for name, public in (("internal.txt", "false"), ("manual.pdf", "true")):
        clock.advance(minutes=1)
        client.post(f"/api/v1/tickets/{work}/attachments", data={"file": (io.BytesIO(b"%PDF-1 x"), name),
                    "public": public}, headers=desk.bob, content_type="multipart/form-data")
    clock.advance(minutes=1)
    mine = client.post(f"/api/v1/requests/{request_id}/attachments",
                       data={"file": (io.BytesIO(b"photo bytes"), "jam.txt")},
                       headers=desk.alice, content_type="multipart/form-data")
    assert mine.status_code == 201
    documented("PublicAttachment", mine.get_json())
    files = [e for e in desk.mine(request_id)["timeline"] if e["kind"] == "attachment"]
    assert [(f["filename"], f["by"]) for f in files] == [("manual.pdf", "bob"), ("jam.txt", "alice")]
    download = client.get(f"/api/v1/requests/{request_id}/attachments/{files[1]['id']}", headers=desk.alice)
    assert download.status_code == 200 and download.data == b"photo bytes"
    internal = [a for a in client.get(f"/api/v1/tickets/{work}/attachments", headers=desk.bob).get_json()["items"]
                if a["filename"] == "internal.txt"][0]
    assert internal["public"] is False
    hidden = client.get(f"/api/v1/requests/{request_id}/attachments/{internal['id']}", headers=desk.alice)
    assert hidden.status_code == 404


def test_a_file_from_the_requester_resumes_the_wait_on_them(client, desk):
    request_id = desk.open()["id"]
    triage = desk.ticket(request_id, "triage")
    client.post(f"/api/v1/tickets/{triage}/progress", json={"action": "waiting_customer"}, headers=desk.bob)
    assert desk.mine(request_id)["waiting_on_you"] is True
    sent = client.post(f"/api/v1/requests/{request_id}/attachments",
                       data={"file": (io.BytesIO(b"log lines"), "printer.log")}, headers=desk.alice,
                       content_type="multipart/form-data")
    assert sent.status_code == 201
    after = desk.mine(request_id)
    assert after["waiting_on_you"] is False
    assert [e["kind"] for e in after["timeline"]][-2:] == ["attachment", "resumed"] or \
        [e["kind"] for e in after["timeline"]][-2:] == ["resumed", "attachment"]
    assert client.get(f"/api/v1/tickets/{triage}", headers=desk.bob).get_json()["status"] == "open"


def test_cancel_where_the_model_allows_it(client, desk):
    request_id = desk.open()["id"]
    cancelled = client.post(f"/api/v1/requests/{request_id}/cancel", headers=desk.alice).get_json()
    assert cancelled["state"] == "closed" and cancelled["stage"] == "Cancelled" and cancelled["can_cancel"] is False
    again = client.post(f"/api/v1/requests/{request_id}/cancel", headers=desk.alice)
    assert again.status_code == 409


def test_cancel_is_offered_only_where_the_model_waits_for_it(client, desk):
    request_id = desk.open()["id"]
    client.post(f"/api/v1/tickets/{desk.ticket(request_id, 'triage')}/complete",
                json={"data": {"priority": "low"}}, headers=desk.bob)
    assert desk.mine(request_id)["can_cancel"] is True
    client.post(f"/api/v1/tickets/{desk.ticket(request_id, 'resolve')}/complete",
                json={"data": {"resolution": "rebooted"}}, headers=desk.bob)
    confirming = desk.mine(request_id)
    assert confirming["can_cancel"] is False
    refused = client.post(f"/api/v1/requests/{request_id}/cancel", headers=desk.alice)
    assert refused.status_code == 409
    assert desk.mine(request_id)["stage"] == "Waiting for your confirmation"


def test_cancel_by_signal_reaches_only_my_request(client, desk):
    mine = client.post("/api/v1/requests", json={"type": "order_laptop", "data": {"model": "X1"}},
                       headers=desk.carol).get_json()
    other = client.post("/api/v1/requests", json={"type": "order_laptop", "data": {"model": "T14"}},
                        headers=desk.carol).get_json()
    assert mine["subject"] == "X1"
    assert client.post(f"/api/v1/requests/{mine['id']}/cancel", headers=desk.carol).get_json()["stage"] == "Withdrawn"
    assert desk.mine(other["id"], desk.carol)["state"] == "open"


def test_cancel_is_refused_where_the_model_does_not_allow_it(client, desk):
    no_way = client.post("/api/v1/requests", json={"type": "call_back"}, headers=desk.alice).get_json()
    assert no_way["can_cancel"] is False
    refused = client.post(f"/api/v1/requests/{no_way['id']}/cancel", headers=desk.alice)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert desk.mine(no_way["id"])["state"] == "open"


def test_public_changes_emit_request_updated(client, admin, runtime, desk):
    created = client.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/customer",
                                                     "events": ["request.updated"]}, headers=admin)
    assert created.status_code == 201, created.get_json()
    request_id = desk.open()["id"]
    triage = desk.ticket(request_id, "triage")
    client.post(f"/api/v1/tickets/{triage}/comments", json={"body": "internal"}, headers=desk.bob)
    client.post(f"/api/v1/tickets/{triage}/comments", json={"body": "We are on it", "public": True}, headers=desk.bob)
    client.post(f"/api/v1/tickets/{triage}/complete", json={"data": {"priority": "low"}}, headers=desk.bob)
    with runtime.uow() as uow:
        sent = [job.request["data"] for job in uow.session.scalars(select(Job).where(Job.event == "request.updated")
                                                                    .order_by(Job.created_at))]
    assert [(d["event"], d["stage"]) for d in sent] == [("submitted", "Received"), ("public_comment", "Received"),
                                                        ("stage_changed", "In progress")]
    assert sent[1]["body"] == "We are on it" and all(d["request_id"] == request_id for d in sent)


def test_a_request_does_not_move_to_a_version_that_is_not_requestable(client, admin, desk):
    request_id = desk.open()["id"]
    source = (EXAMPLES / "it_support.bpmn").read_bytes().replace(
        b'name="requestable" value="true"', b'name="requestable" value="false"')
    deployed = client.post("/api/v1/definitions", data={"file": [(io.BytesIO(source), "it_support.bpmn")]},
                           headers=admin, content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    moved = client.post(f"/api/v1/instances/{request_id}/migrate", json={"version": 2}, headers=admin)
    assert moved.status_code == 409 and moved.mimetype == "application/problem+json"
    assert "not requestable" in " ".join(moved.get_json()["reasons"])
    assert client.get(f"/api/v1/instances/{request_id}", headers=admin).get_json()["process_version"] == 1
    assert desk.mine(request_id)["stage"] == "Received"
