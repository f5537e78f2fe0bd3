"""Every command is saved whole or not at all; what a step threw is routed once.

A step whose next element fails (here: an action body naming a variable nobody set) must leave
nothing of itself behind: no half-moved instance, no job, no message. Where no caller is there
to hear the 422 (the scheduler, a worker), an incident names the element and the real error,
and an action that already answered is not called again.
"""

import io
from pathlib import Path

import pytest

from flowdesk.engine.process import job_dispatch, job_results, jobs, scheduler
from flowdesk.engine.process.job_results import Outcome

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def deployed(deploy, clock):
    return deploy("all_or_nothing.bpmn")


def _instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def _instances(client, admin, process_key):
    return client.get(f"/api/v1/instances?process_key={process_key}", headers=admin).get_json()["items"]


def _incidents(client, admin):
    return client.get("/api/v1/incidents", headers=admin).get_json()["items"]


def _complete(client, admin, ticket_id):
    return client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": {}}, headers=admin)


def _only_ticket(client, admin, instance_id):
    [ticket] = _instance(client, admin, instance_id)["open_tickets"]
    return ticket


# -- timer starts ---------------------------------------------------------------------------------

def test_a_timer_start_that_fails_leaves_no_instance_but_an_incident(client, admin, deployed, clock, runtime):
    clock.advance(hours=1, seconds=1)

    assert scheduler.start_timer_processes(runtime) == 0

    assert _instances(client, admin, "hourly_report") == []
    [incident] = _incidents(client, admin)
    assert incident["element_id"] == "post_report"
    assert "missing_total" in incident["message"] and "hourly_report" in incident["message"]
    assert incident["message"].startswith("the timer start 'hr_start' of process 'hourly_report' failed")


def test_a_failing_timer_start_waits_for_its_next_due_time(client, admin, deployed, clock, runtime):
    clock.advance(hours=1, seconds=1)
    scheduler.start_timer_processes(runtime)

    assert scheduler.start_timer_processes(runtime) == 0
    assert len(_incidents(client, admin)) == 1
    clock.advance(hours=1)
    assert scheduler.start_timer_processes(runtime) == 0
    assert len(_incidents(client, admin)) == 2
    assert _instances(client, admin, "hourly_report") == []


# -- routed messages ------------------------------------------------------------------------------

def test_a_routed_message_whose_catcher_fails_leaves_the_catcher_waiting(client, admin, deployed, start, runtime):
    catcher = start("await_go_ahead")["id"]
    start("send_go_ahead")

    scheduler.route_messages(runtime)

    detail = _instance(client, admin, catcher)
    assert "wait_go_ahead" not in [step["element_id"] for step in detail["history"]]
    assert [s["name"] for s in detail["waiting_for"]] == ["go_ahead"]
    assert detail["jobs"] == []
    assert [(i["element_id"], "missing_total" in i["message"]) for i in detail["incidents"]] == [("bad_call", True)]


def test_a_failed_delivery_is_not_routed_again(client, admin, deployed, start, runtime):
    catcher = start("await_go_ahead")["id"]
    start("send_go_ahead")
    scheduler.route_messages(runtime)

    assert scheduler.route_messages(runtime) == 0
    assert len(_instance(client, admin, catcher)["incidents"]) == 1


def _deploy_with_the_call_fixed(client, admin):
    """Version 2 of every process of all_or_nothing.bpmn, whose call bodies need no missing variable."""
    fixed = (DATA / "all_or_nothing.bpmn").read_bytes().replace(b"{'total': missing_total}", b"{'total': 1}")
    response = client.post("/api/v1/definitions", data={"file": (io.BytesIO(fixed), "all_or_nothing.bpmn")},
                           headers=admin, content_type="multipart/form-data")
    assert response.status_code in (200, 201), response.get_json()


def _fix(client, admin, instance_id):
    """What an operator does about a broken model: deploy the fix and move the instance onto it."""
    _deploy_with_the_call_fixed(client, admin)
    response = client.post(f"/api/v1/instances/{instance_id}/migrate", json={"version": 2}, headers=admin)
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def failed_delivery(client, admin, deployed, start, runtime):
    """A catcher whose routed "go_ahead" message failed on its next step: (catcher id, incident)."""
    catcher = start("await_go_ahead")["id"]
    start("send_go_ahead")
    scheduler.route_messages(runtime)
    [incident] = _instance(client, admin, catcher)["incidents"]
    return catcher, incident


def test_retrying_a_failed_delivery_delivers_the_message_again(client, admin, runtime, failed_delivery):
    catcher, incident = failed_delivery
    _fix(client, admin, catcher)

    response = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "resolved"
    detail = _instance(client, admin, catcher)
    assert "wait_go_ahead" in [step["element_id"] for step in detail["history"]]
    assert [(job["element_id"], job["status"]) for job in detail["jobs"]] == [("bad_call", "pending")]
    assert detail["waiting_for"] == [] and detail["incidents"] == []
    assert scheduler.route_messages(runtime) == 0  # delivered by the retry, not routed once more


def test_an_incident_names_the_message_it_could_not_deliver(client, admin, failed_delivery):
    _catcher, incident = failed_delivery

    assert incident["delivery_id"] is not None and incident["job_id"] is None


def test_retrying_a_delivery_that_fails_again_is_422_and_changes_nothing(client, admin, failed_delivery):
    catcher, incident = failed_delivery

    response = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)

    assert response.status_code == 422
    assert "missing_total" in response.get_json()["detail"]
    detail = _instance(client, admin, catcher)
    assert [s["name"] for s in detail["waiting_for"]] == ["go_ahead"]
    assert [i["status"] for i in _incidents(client, admin)] == ["open"]


def test_retrying_a_failed_signal_delivers_it_to_that_instance_only(client, admin, deployed, start, runtime):
    broken = start("signal_then_bad_call")["id"]
    fine = start("signal_then_ticket")["id"]
    start("announce_then_work")  # throws the signal
    scheduler.route_messages(runtime)
    [incident] = _instance(client, admin, broken)["incidents"]
    _fix(client, admin, broken)

    response = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)

    assert response.status_code == 200, response.get_json()
    assert [s["name"] for s in _instance(client, admin, broken)["waiting_for"]] == []
    assert [job["element_id"] for job in _instance(client, admin, broken)["jobs"]] == ["stb_bad_call"]
    assert len(_instance(client, admin, fine)["open_tickets"]) == 1  # not signalled a second time
    assert len(_instances(client, admin, "on_signal")) == 1  # nor started again


# -- worker results -------------------------------------------------------------------------------

@pytest.fixture
def counting_job(deployed, start, runtime):
    """The claimed job of a fresh two_calls instance: (instance id, claimed job)."""
    instance = start("two_calls")
    return instance["id"], jobs.claim(runtime, instance["jobs"][0]["id"])


def test_an_answer_whose_next_step_fails_is_recorded_and_the_step_rolled_back(
        client, admin, runtime, counting_job, stored_job):
    instance_id, claimed = counting_job

    status = job_results.finish(runtime, claimed.id, claimed.attempt,
                                Outcome("response", status_code=200, body={"count": 0}))

    assert status == "succeeded"
    job = stored_job(claimed.id)
    assert (job.status, job.result) == ("succeeded", {"count": 0})
    detail = _instance(client, admin, instance_id)
    assert detail["status"] == "running"
    assert "counted" not in detail["variables"]
    assert detail["jobs"] == []
    [incident] = detail["incidents"]
    assert incident["element_id"] == "share_items"
    assert "division by zero" in incident["message"]


def test_an_answered_action_is_not_called_again_when_its_next_step_fails(runtime, counting_job, clock):
    _, claimed = counting_job
    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=200, body={"count": 0}))

    clock.advance(hours=1)  # long past any lease

    assert job_dispatch.dispatch_due(runtime) == []
    assert jobs.claim(runtime, claimed.id) is None


def test_retrying_the_incident_applies_the_recorded_answer_without_calling_again(
        client, admin, runtime, counting_job, stored_job):
    instance_id, claimed = counting_job
    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=200, body={"count": 0}))
    [incident] = _incidents(client, admin)

    response = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)

    assert response.status_code == 422  # the recorded answer still divides by zero
    assert "share_items" in response.get_json()["detail"]
    assert stored_job(claimed.id).status == "succeeded"
    assert [i["status"] for i in _incidents(client, admin)] == ["open"]
    assert _instance(client, admin, instance_id)["jobs"] == []


def test_an_async_callback_whose_next_step_fails_is_recorded_and_rolled_back(client, admin, runtime, counting_job,
                                                                              stored_job):
    from flowdesk.engine.access import signing, signing_keys

    instance_id, claimed = counting_job
    [key] = signing_keys.keys_for(runtime, "default", signing_keys.JOB_CALLBACK)
    token = signing.token(key, "job-callback", claimed.id)

    job_results.callback(runtime, claimed.id, token, {"count": 0})

    assert stored_job(claimed.id).status == "succeeded"
    detail = _instance(client, admin, instance_id)
    assert [i["element_id"] for i in detail["incidents"]] == ["share_items"]
    assert detail["jobs"] == []


# -- API commands: a 422 and nothing changed ------------------------------------------------------

def test_completing_a_ticket_whose_next_step_fails_changes_nothing(client, admin, deployed, start, runtime):
    instance = start("ticket_then_bad_call")
    ticket = instance["open_tickets"][0]

    response = _complete(client, admin, ticket["id"])

    assert response.status_code == 422
    assert "tb_bad_call" in response.get_json()["detail"]
    detail = _instance(client, admin, instance["id"])
    assert [t["id"] for t in detail["open_tickets"]] == [ticket["id"]]
    assert detail["version"] == instance["version"]
    assert scheduler.route_messages(runtime) == 0  # the throw before the failure was not kept
    assert _instances(client, admin, "on_announcement") == []


# -- thrown messages and signals are routed once ----------------------------------------------------

def _started_by_throws(client, admin, runtime):
    scheduler.route_messages(runtime)
    return len(_instances(client, admin, "on_announcement")), len(_instances(client, admin, "on_signal"))


def test_a_thrown_message_and_signal_are_routed_once_however_many_steps_follow(client, admin, deployed, start,
                                                                               runtime, clock):
    instance = start("announce_then_work")["id"]
    _complete(client, admin, _only_ticket(client, admin, instance)["id"])
    clock.advance(minutes=11)
    assert scheduler.fire_due_timers(runtime) == 1
    _complete(client, admin, _only_ticket(client, admin, instance)["id"])
    _complete(client, admin, _only_ticket(client, admin, instance)["id"])

    assert _instance(client, admin, instance)["status"] == "completed"
    assert _started_by_throws(client, admin, runtime) == (1, 1)


def test_a_throw_routed_before_the_next_step_is_not_routed_again(client, admin, deployed, start, runtime):
    instance = start("announce_then_work")["id"]
    assert _started_by_throws(client, admin, runtime) == (1, 1)

    _complete(client, admin, _only_ticket(client, admin, instance)["id"])

    assert _started_by_throws(client, admin, runtime) == (1, 1)


def test_a_throw_then_a_timer_step_routes_it_once(client, admin, deployed, start, runtime, clock):
    start("announce_then_work")
    scheduler.route_messages(runtime)
    instance = _instances(client, admin, "announce_then_work")[0]["id"]
    _complete(client, admin, _only_ticket(client, admin, instance)["id"])
    clock.advance(minutes=11)

    scheduler.fire_due_timers(runtime)

    assert _started_by_throws(client, admin, runtime) == (1, 1)


def test_starting_a_process_whose_first_step_fails_leaves_nothing(client, admin, deployed, runtime):
    response = client.post("/api/v1/processes/starts_broken/instances", json={}, headers=admin)

    assert response.status_code == 422
    assert "sb_bad_call" in response.get_json()["detail"]
    assert _instances(client, admin, "starts_broken") == []
    assert scheduler.route_messages(runtime) == 0  # nor the message it threw on the way


def test_a_routed_signal_reaches_the_others_when_one_catcher_fails(client, admin, deployed, start, runtime):
    broken = start("signal_then_bad_call")["id"]
    fine = start("signal_then_ticket")["id"]
    start("announce_then_work")  # throws the signal (and a message)

    scheduler.route_messages(runtime)

    assert [t["element_id"] for t in _instance(client, admin, fine)["open_tickets"]] == ["stt_ticket"]
    assert len(_instances(client, admin, "on_signal")) == 1
    detail = _instance(client, admin, broken)
    assert [s["name"] for s in detail["waiting_for"]] == ["work_signalled"]
    assert [i["element_id"] for i in detail["incidents"]] == ["stb_bad_call"]
