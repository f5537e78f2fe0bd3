"""How an action job's attempt ends: a retry later, or an incident (when, where, saying what), or a
modelled BPMN error."""

from datetime import datetime, timedelta

import pytest

from flowdesk.engine.process import job_results, jobs
from flowdesk.engine.process.job_results import Outcome
from flowdesk.engine.process.jobs import BACKOFF_BASE


def test_the_incident_of_an_action_that_gives_up_is_dated_by_the_runtime_clock(client, admin, runtime,
                                                                              single_action_job, clock):
    claimed = jobs.claim(runtime, single_action_job(retries=0))
    clock.advance(minutes=5)

    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=500))

    [incident] = client.get("/api/v1/incidents", headers=admin).get_json()["items"]
    assert datetime.fromisoformat(incident["created_at"]) == clock.now


def test_a_caught_action_error_whose_path_fails_is_an_incident_on_the_failing_element(client, admin, deploy, start,
                                                                                    runtime):
    deploy("action_error_then_failing.bpmn")
    [job] = start("action_error_then_failing")["jobs"]
    claimed = jobs.claim(runtime, job["id"])

    status = job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=404))

    assert status == "incident"  # no retry: the action did answer, with the error
    [incident] = client.get("/api/v1/incidents", headers=admin).get_json()["items"]
    assert incident["element_id"] == "divide"
    assert incident["message"].startswith("the action raised BPMN error 'customer_unknown', then ")


def test_an_answer_matching_a_status_class_raises_the_modelled_bpmn_error(client, admin, deploy, start, runtime):
    deploy("action_error_then_failing.bpmn")
    [job] = start("action_error_then_failing")["jobs"]
    claimed = jobs.claim(runtime, job["id"])

    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=409))

    [incident] = client.get("/api/v1/incidents", headers=admin).get_json()["items"]
    assert incident["message"].startswith("the action raised BPMN error 'customer_unknown', then ")


def test_a_failed_attempt_with_retries_left_is_retried_after_a_backoff(runtime, single_action_job, stored_job,
                                                                      clock):
    claimed = jobs.claim(runtime, single_action_job(retries=1))

    assert job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=503)) == "pending"

    job = stored_job(claimed.id)
    delay = job.next_attempt_at - clock.now
    assert timedelta(seconds=BACKOFF_BASE * 0.8) <= delay <= timedelta(seconds=BACKOFF_BASE * 1.2)
    assert job.last_error == "action answered HTTP 503"


def test_the_last_failed_retry_is_an_incident_saying_how_many_attempts_were_made(client, admin, runtime,
                                                                                single_action_job, clock):
    job_id = single_action_job(retries=1)
    for _ in range(2):
        claimed = jobs.claim(runtime, job_id)
        status = job_results.finish(runtime, job_id, claimed.attempt, Outcome("response", status_code=503))
        clock.advance(hours=1)  # past the backoff

    assert status == "incident"
    [incident] = client.get("/api/v1/incidents", headers=admin).get_json()["items"]
    assert incident["message"] == "action answered HTTP 503 (after 2 attempts)"


def test_an_answer_not_worth_retrying_is_an_incident_at_once_saying_only_the_answer(client, admin, runtime,
                                                                                     single_action_job):
    claimed = jobs.claim(runtime, single_action_job(retries=3))

    assert job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=400)) == "incident"

    [incident] = client.get("/api/v1/incidents", headers=admin).get_json()["items"]
    assert incident["message"] == "action answered HTTP 400"  # no "(after n attempts)": none was retried


def test_a_long_error_is_kept_to_2000_characters(runtime, single_action_job, stored_job):
    claimed = jobs.claim(runtime, single_action_job(retries=1))

    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("error", message="x" * 3000))

    assert stored_job(claimed.id).last_error == "x" * 2000


@pytest.mark.parametrize("outcome, label", [
    (Outcome("response", status_code=200, body={}), "succeeded"),
    (Outcome("response", status_code=500), "failed"),
    (Outcome("error", message="connection refused"), "failed"),
    (Outcome("refused", message="the address is not allowed"), "refused"),
])
def test_an_attempt_is_recorded_with_how_it_ended(runtime, single_action_job, job_attempts, outcome, label):
    claimed = jobs.claim(runtime, single_action_job(retries=0))
    job_results.finish(runtime, claimed.id, claimed.attempt, outcome)
    assert [(a.number, a.outcome) for a in job_attempts(claimed.id)] == [(1, label)]


def test_a_result_for_a_job_that_does_not_exist_is_missing(runtime):
    assert job_results.finish(runtime, "no-such-job", 1, Outcome("response", status_code=200)) == "missing"
