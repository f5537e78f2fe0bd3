"""How an action job's answer ends it in an incident: when it was opened, at which element, and which
answers raise a modelled BPMN error."""

from datetime import datetime

from flowdesk.engine.process import job_results, jobs
from flowdesk.engine.process.job_results import Outcome


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
