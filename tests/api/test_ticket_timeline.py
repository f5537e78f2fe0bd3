"""The ticket timeline (progressions), the progress state machine and an instance's history."""

import io
from datetime import timedelta
from pathlib import Path

import pytest

from flowdesk.engine.process import job_results, jobs
from flowdesk.engine.process.cycle import lock_instance, restore, save
from flowdesk.engine.process.job_results import Outcome
from flowdesk.engine.models import Ticket

DATA = Path(__file__).parent.parent / "data"
PROBLEM = "application/problem+json"


@pytest.fixture
def ticket(deploy, start):
    """The open `first` ticket of a fresh two_step instance (candidate group agents)."""
    deploy("two_step.bpmn")
    return start("two_step")["open_tickets"][0]


@pytest.fixture
def bob(make_user):
    return make_user("bob", "agent", "agents")


def _post(client, headers, ticket_id, action, json=None, **extra):
    return client.post(f"/api/v1/tickets/{ticket_id}/{action}", json=json or {}, headers={**headers, **extra})


def _progress(client, headers, ticket_id, action, **body):
    return _post(client, headers, ticket_id, "progress", {"action": action, **body})


def _timeline(client, headers, ticket_id):
    response = client.get(f"/api/v1/tickets/{ticket_id}/progressions", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _status(client, admin, ticket_id):
    return client.get(f"/api/v1/tickets/{ticket_id}", headers=admin).get_json()["status"]


def test_new_ticket_starts_its_timeline_with_created(client, admin, ticket):
    [created] = _timeline(client, admin, ticket["id"])
    assert created["action"] == "created"
    assert created["performed_by"] is None
    assert (created["previous_status"], created["new_status"]) == (None, "open")
    assert created["metadata"]["element_id"] == "first"
    assert created["instance_id"] == ticket["instance_id"]


def test_full_walk_is_recorded_in_order(client, admin, ticket, bob):
    _post(client, bob, ticket["id"], "claim")
    client.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "looking"}, headers=bob)
    client.post(f"/api/v1/tickets/{ticket['id']}/attachments", headers=bob, content_type="multipart/form-data",
                data={"file": (io.BytesIO(b"%PDF-1.4 quote"), "quote.pdf")})
    _post(client, bob, ticket["id"], "complete", {"data": {"skip": False}, "comment": "done"})

    steps = _timeline(client, bob, ticket["id"])
    assert [s["action"] for s in steps] == ["created", "claimed", "commented", "attachment_added", "completed"]
    assert [s["performed_by"] for s in steps[1:]] == ["bob"] * 4
    assert (steps[1]["previous_status"], steps[1]["new_status"]) == ("open", "claimed")
    assert steps[3]["metadata"]["filename"] == "quote.pdf"
    completed = steps[4]
    assert (completed["previous_status"], completed["new_status"]) == ("claimed", "completed")
    assert completed["comment"] == "done"
    assert completed["metadata"]["data"] == {"skip": False}
    assert completed["metadata"]["changed_variables"] == {"skip": {"to": False}}


def test_completion_snapshot_shows_changed_variables_only(client, admin, deploy, start):
    deploy("two_step.bpmn")
    first = start("two_step", {"skip": True, "keep": 1})["open_tickets"][0]
    _post(client, admin, first["id"], "complete", {"data": {"skip": False}})
    completed = _timeline(client, admin, first["id"])[-1]
    assert completed["metadata"]["changed_variables"] == {"skip": {"from": True, "to": False}}


def test_timeline_and_history_are_stamped_by_the_runtime_clock(clock, client, admin, ticket, bob):
    clock.advance(minutes=5)
    assert _post(client, bob, ticket["id"], "claim").status_code == 200

    stamps = [s["created_at"] for s in _timeline(client, admin, ticket["id"])]
    history = client.get(f"/api/v1/instances/{ticket['instance_id']}/history", headers=admin).get_json()["items"]
    claimed_at = (clock.now).isoformat()
    assert stamps == [(clock.now - timedelta(minutes=5)).isoformat(), claimed_at]
    assert {i["created_at"] for i in history if i["action"] in ("ticket.claimed", "claimed")} == {claimed_at}


def test_unclaim_is_recorded(client, ticket, bob):
    _post(client, bob, ticket["id"], "claim")
    _post(client, bob, ticket["id"], "unclaim")
    unclaimed = _timeline(client, bob, ticket["id"])[-1]
    assert unclaimed["action"] == "unclaimed"
    assert (unclaimed["previous_status"], unclaimed["new_status"]) == ("claimed", "open")
    assert unclaimed["metadata"]["previous_assignee"] == "bob"


def test_task_leaving_ready_without_completion_records_cancelled(client, admin, runtime, ticket, bob):
    _post(client, bob, ticket["id"], "claim")
    # The task moves on behind the ticket's back, as a boundary event or a cancel would make it.
    with runtime.uow() as uow:
        task_id = uow.session.get(Ticket, ticket["id"]).task_id
        instance = lock_instance(uow.session, ticket["instance_id"])
        execution = restore(runtime, uow.session, instance)
        execution.complete_user_task(task_id, {"skip": True})
        save(runtime, uow, instance, execution)
        uow.commit()
    cancelled = _timeline(client, admin, ticket["id"])[-1]
    assert cancelled["action"] == "cancelled"
    assert (cancelled["previous_status"], cancelled["new_status"]) == ("claimed", "cancelled")
    assert cancelled["performed_by"] is None


def test_progressions_are_404_for_who_may_not_see_the_ticket(client, ticket, make_user):
    outsider = make_user("eve", "agent", "finance")
    response = client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=outsider)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_progressions_of_unknown_ticket_are_404(client, admin):
    response = client.get("/api/v1/tickets/nope/progressions", headers=admin)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


# -- progress steps --


def test_start_review_by_holder_keeps_claimed_and_is_recorded(client, ticket, bob):
    _post(client, bob, ticket["id"], "claim")
    response = _progress(client, bob, ticket["id"], "start_review", comment="on it", data={"checklist": 1})
    assert response.status_code == 200
    assert response.get_json()["status"] == "claimed"
    assert response.headers["ETag"] == response.get_json()["etag"]
    step = _timeline(client, bob, ticket["id"])[-1]
    assert step["action"] == "review_started"
    assert (step["previous_status"], step["new_status"]) == ("claimed", "claimed")
    assert step["comment"] == "on it"
    assert step["metadata"]["data"] == {"checklist": 1}


def test_start_review_on_open_ticket_is_409_listing_allowed_actions(client, admin, ticket, bob):
    response = _progress(client, bob, ticket["id"], "start_review")
    assert response.status_code == 409
    body = response.get_json()
    assert response.mimetype == PROBLEM
    assert body["allowed_actions"] == ["waiting_customer"]
    assert "waiting_customer" in body["detail"]
    assert len(_timeline(client, admin, ticket["id"])) == 1


def test_start_review_by_someone_else_than_the_holder_is_409(client, admin, ticket, bob, make_user):
    _post(client, bob, ticket["id"], "claim")
    carl = make_user("carl", "agent", "agents")
    assert _progress(client, carl, ticket["id"], "start_review").status_code == 409
    assert _progress(client, admin, ticket["id"], "start_review").status_code == 409
    assert [s["action"] for s in _timeline(client, admin, ticket["id"])] == ["created", "claimed"]


def test_unknown_action_is_409_listing_allowed_actions(client, admin, ticket):
    response = _progress(client, admin, ticket["id"], "escalate")
    assert response.status_code == 409
    assert response.get_json()["allowed_actions"] == ["waiting_customer"]
    assert "unknown action 'escalate'" in response.get_json()["detail"]
    assert _status(client, admin, ticket["id"]) == "open"


def test_waiting_then_resume_returns_to_open(client, admin, ticket, bob):
    waiting = _progress(client, bob, ticket["id"], "waiting_customer", comment="asked for the invoice")
    assert waiting.status_code == 200
    assert waiting.get_json()["status"] == "waiting"
    resumed = _progress(client, bob, ticket["id"], "resume")
    assert resumed.get_json()["status"] == "open"
    steps = _timeline(client, admin, ticket["id"])
    assert [(s["action"], s["previous_status"], s["new_status"]) for s in steps[1:]] == [
        ("waiting", "open", "waiting"), ("resumed", "waiting", "open")]


def test_waiting_then_resume_returns_to_claimed_with_the_holder(client, admin, ticket, bob):
    _post(client, bob, ticket["id"], "claim")
    _progress(client, bob, ticket["id"], "waiting_customer")
    resumed = _progress(client, bob, ticket["id"], "resume").get_json()
    assert (resumed["status"], resumed["assignee"]) == ("claimed", "bob")


def test_waiting_ticket_cannot_be_completed_until_resumed(client, admin, ticket, bob):
    _post(client, bob, ticket["id"], "claim")
    _progress(client, bob, ticket["id"], "waiting_customer")
    blocked = _post(client, bob, ticket["id"], "complete", {"data": {"skip": True}})
    assert blocked.status_code == 409
    assert blocked.get_json()["allowed_actions"] == ["resume"]
    assert blocked.get_json()["detail"] == f"ticket '{ticket['id']}' is waiting; resume it before you complete it"
    assert blocked.get_json()["ticket_status"] == "waiting"
    assert _status(client, admin, ticket["id"]) == "waiting"
    instance = client.get(f"/api/v1/instances/{ticket['instance_id']}", headers=admin).get_json()
    assert instance["version"] == 1
    _progress(client, bob, ticket["id"], "resume")
    assert _post(client, bob, ticket["id"], "complete", {"data": {"skip": True}}).status_code == 200


def test_waiting_ticket_cannot_be_claimed_or_unclaimed(client, admin, ticket, bob, make_user):
    _progress(client, bob, ticket["id"], "waiting_customer")
    assert _post(client, make_user("carl", "agent", "agents"), ticket["id"], "claim").status_code == 409
    assert _post(client, admin, ticket["id"], "unclaim").status_code == 409
    assert _status(client, admin, ticket["id"]) == "waiting"


def test_waiting_ticket_stays_in_open_work(client, admin, ticket, bob):
    _progress(client, bob, ticket["id"], "waiting_customer")
    instance = client.get(f"/api/v1/instances/{ticket['instance_id']}", headers=admin).get_json()
    assert [t["status"] for t in instance["open_tickets"]] == ["waiting"]
    listed = client.get("/api/v1/tickets?status=waiting", headers=bob).get_json()["items"]
    assert [t["id"] for t in listed] == [ticket["id"]]


def test_resume_when_not_waiting_is_409(client, admin, ticket, bob):
    _post(client, bob, ticket["id"], "claim")
    response = _progress(client, bob, ticket["id"], "resume")
    assert response.status_code == 409
    assert response.get_json()["allowed_actions"] == ["start_review", "waiting_customer"]


def test_progress_on_completed_ticket_is_409_with_no_allowed_actions(client, admin, ticket):
    _post(client, admin, ticket["id"], "complete", {"data": {"skip": False}})
    response = _progress(client, admin, ticket["id"], "waiting_customer")
    assert response.status_code == 409
    assert response.get_json()["allowed_actions"] == []


def test_progress_by_non_candidate_is_404(client, admin, ticket, make_user):
    outsider = make_user("eve", "agent", "finance")
    assert _progress(client, outsider, ticket["id"], "waiting_customer").status_code == 404
    assert _status(client, admin, ticket["id"]) == "open"


def test_progress_with_stale_if_match_is_412(client, admin, ticket, bob):
    etag = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).headers["ETag"]
    _post(client, bob, ticket["id"], "claim")
    stale = _post(client, bob, ticket["id"], "progress", {"action": "waiting_customer"}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert _status(client, admin, ticket["id"]) == "claimed"


@pytest.mark.parametrize("body", [
    {}, {"action": ""}, {"action": 7}, {"action": "resume", "data": "yes"}, {"action": "resume", "extra": 1},
    {"action": "resume", "comment": 5},
])
def test_malformed_progress_is_422_and_changes_nothing(client, admin, ticket, body):
    response = _post(client, admin, ticket["id"], "progress", body)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert len(_timeline(client, admin, ticket["id"])) == 1


def test_progress_on_unknown_ticket_is_404(client, admin):
    response = _progress(client, admin, "00000000-0000-0000-0000-000000000000", "resume")
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


# -- instance history --


def _start_service_chain(client, admin, start):
    model = (DATA / "service_chain.bpmn").read_text().replace("{{port}}", "9")
    assert client.post("/api/v1/definitions", data=model.encode(), content_type="application/xml",
                       headers=admin).status_code == 201
    return start("service_chain", {"sku": "A-1", "quantity": 2})


def test_history_merges_audit_events_jobs_and_progressions_in_time_order(client, admin, runtime, start):
    started = _start_service_chain(client, admin, start)
    [job] = started["jobs"]
    claimed = jobs.claim(runtime, job["id"])
    job_results.finish(runtime, job["id"], claimed.attempt, Outcome("response", status_code=200, body={"ok": 1}))
    ticket = client.get(f"/api/v1/tickets?instance_id={started['id']}", headers=admin).get_json()["items"][0]
    _post(client, admin, ticket["id"], "claim")

    response = client.get(f"/api/v1/instances/{started['id']}/history", headers=admin)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["created_at"] for i in items] == sorted(i["created_at"] for i in items)
    assert [(i["source"], i["action"]) for i in items] == [
        ("audit", "instance.started"), ("audit", "job.created"),
        ("audit", "ticket.created"), ("progression", "created"), ("audit", "job.attempted"),
        ("audit", "ticket.claimed"), ("progression", "claimed"),
    ]
    claimed_line = items[-1]
    assert (claimed_line["ticket_id"], claimed_line["actor"], claimed_line["new_status"]) == (ticket["id"], "admin",
                                                                                             "claimed")


def test_history_is_404_for_an_agent_without_a_ticket_in_the_instance(client, ticket, make_user, bob):
    assert client.get(f"/api/v1/instances/{ticket['instance_id']}/history", headers=bob).status_code == 200
    outsider = make_user("eve", "agent", "finance")
    response = client.get(f"/api/v1/instances/{ticket['instance_id']}/history", headers=outsider)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_history_of_unknown_instance_is_404(client, admin):
    response = client.get("/api/v1/instances/nope/history", headers=admin)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
