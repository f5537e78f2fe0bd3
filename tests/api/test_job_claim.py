"""Claiming a job for one attempt, on SQLite (three statements) and PostgreSQL (one)."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from flowdesk.engine import jobs
from flowdesk.engine.models import Job, JobAttempt

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def job_id(client, admin, clock):
    """The pending job of a fresh single_action instance whose call times out after 5 s."""
    xml = ((DATA / "single_action.bpmn").read_text().replace("{{url}}", "https://actions.example.com/call")
           .replace("{{timeout}}", "5").replace("{{retries}}", "2"))
    assert client.post("/api/v1/definitions", data=xml.encode(), content_type="application/xml",
                       headers=admin).status_code == 201
    started = client.post("/api/v1/processes/single_action/instances", json={}, headers=admin).get_json()
    return started["jobs"][0]["id"]


def _job(runtime, job_id) -> Job:
    with runtime.uow() as uow:
        job = uow.session.get(Job, job_id)
        uow.session.expunge(job)
        return job


def _attempts(runtime, job_id):
    with runtime.uow() as uow:
        return [(a.number, a.worker, a.started_at, a.finished_at) for a in uow.session.scalars(
            sa.select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.number))]


def test_claim_hands_out_the_call(runtime, job_id):
    claimed = jobs.claim(runtime, job_id, worker="w-1")

    assert (claimed.id, claimed.attempt, claimed.url, claimed.timeout) == (
        job_id, 1, "https://actions.example.com/call", 5.0)


def test_claim_marks_the_job_running_with_a_lease(runtime, clock, job_id):
    jobs.claim(runtime, job_id, worker="w-1")

    job = _job(runtime, job_id)
    assert (job.status, job.attempts) == ("running", 1)
    assert job.lease_until == clock.now + timedelta(seconds=5) + jobs.LEASE_MARGIN
    assert job.updated_at == clock.now


def test_claim_opens_the_attempt(runtime, clock, job_id):
    jobs.claim(runtime, job_id, worker="w-1")

    assert _attempts(runtime, job_id) == [(1, "w-1", clock.now, None)]


def test_a_running_job_is_not_claimed_twice(runtime, job_id):
    jobs.claim(runtime, job_id, worker="w-1")

    assert jobs.claim(runtime, job_id, worker="w-2") is None
    assert [number for number, *_ in _attempts(runtime, job_id)] == [1]


def test_a_job_not_yet_due_is_left_alone(runtime, clock, job_id):
    with runtime.uow() as uow:
        uow.session.get(Job, job_id).next_attempt_at = clock.now + timedelta(seconds=30)
        uow.commit()

    assert jobs.claim(runtime, job_id) is None
    assert (_job(runtime, job_id).status, _attempts(runtime, job_id)) == ("pending", [])


def test_a_suspended_instances_call_waits(client, admin, runtime, job_id):
    instance_id = _job(runtime, job_id).instance_id
    assert client.post(f"/api/v1/instances/{instance_id}/suspend", headers=admin).status_code == 200

    assert jobs.claim(runtime, job_id) is None
    assert _job(runtime, job_id).status == "pending"


def test_a_retry_is_the_next_attempt(runtime, clock, job_id):
    jobs.claim(runtime, job_id, worker="w-1")
    with runtime.uow() as uow:
        job = uow.session.get(Job, job_id)
        job.status, job.next_attempt_at = "pending", clock.now
        uow.commit()

    assert jobs.claim(runtime, job_id, worker="w-2").attempt == 2
    assert [(number, worker) for number, worker, *_ in _attempts(runtime, job_id)] == [(1, "w-1"), (2, "w-2")]


def test_an_unknown_job_is_not_claimed(runtime):
    assert jobs.claim(runtime, "no-such-job") is None
