"""A stopping worker hands its job back: pending again at once, its attempt marked interrupted."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from flowdesk.engine import job_results, jobs
from flowdesk.engine.job_results import Outcome
from flowdesk.engine.models import Job, JobAttempt

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def claimed(client, admin, runtime):
    """The claimed (running) job of a fresh single_action instance with no retries."""
    xml = ((DATA / "single_action.bpmn").read_text().replace("{{url}}", "https://actions.example.com/call")
           .replace("{{timeout}}", "5").replace("{{retries}}", "0"))
    assert client.post("/api/v1/definitions", data=xml.encode(), content_type="application/xml",
                       headers=admin).status_code == 201
    started = client.post("/api/v1/processes/single_action/instances", json={}, headers=admin).get_json()
    return jobs.claim(runtime, started["jobs"][0]["id"])


def _job(runtime, job_id) -> Job:
    with runtime.uow() as uow:
        job = uow.session.get(Job, job_id)
        uow.session.expunge(job)
        return job


def _attempts(runtime, job_id):
    with runtime.uow() as uow:
        return [(a.number, a.outcome) for a in uow.session.scalars(
            sa.select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.number))]


def test_a_handed_back_job_is_pending_at_once_without_using_up_a_retry(runtime, claimed):
    assert job_results.hand_back(runtime, claimed.id, claimed.attempt, "the worker was stopped")

    job = _job(runtime, claimed.id)
    assert (job.status, job.attempts, job.max_attempts, job.lease_until) == ("pending", 1, 2, None)
    assert job.next_attempt_at <= runtime.clock()
    assert _attempts(runtime, claimed.id) == [(1, "interrupted")]
    assert jobs.dispatch_due(runtime) == [claimed.id]  # handed out again without waiting for a lease
    again = jobs.claim(runtime, claimed.id)
    assert again.attempt == 2


def test_a_late_report_of_a_handed_back_attempt_changes_nothing(runtime, claimed):
    job_results.hand_back(runtime, claimed.id, claimed.attempt, "the worker was stopped")

    status = job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=200, body={}))

    assert status == "pending"
    assert _attempts(runtime, claimed.id) == [(1, "interrupted")]


def test_an_attempt_that_already_ended_is_not_handed_back(runtime, claimed):
    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=200, body={}))

    assert not job_results.hand_back(runtime, claimed.id, claimed.attempt, "the worker was stopped")
    assert _job(runtime, claimed.id).status == "succeeded"
