"""Claiming a job for one attempt, on SQLite (three statements) and PostgreSQL (one)."""

from datetime import timedelta

import pytest

from flowdesk.engine.process import jobs
from flowdesk.engine.models import Job


@pytest.fixture
def job_id(single_action_job, clock):
    """The pending job of a fresh single_action instance (5 s timeout, 2 retries), the clock frozen."""
    return single_action_job(retries=2)


@pytest.fixture
def attempts(job_attempts):
    return lambda job_id: [(a.number, a.worker, a.started_at, a.finished_at) for a in job_attempts(job_id)]

def test_claim_hands_out_the_call(runtime, job_id):
    claimed = jobs.claim(runtime, job_id, worker="w-1")

    assert (claimed.id, claimed.attempt, claimed.url, claimed.timeout) == (
        job_id, 1, "https://actions.example.com/call", 5.0)


def test_claim_marks_the_job_running_with_a_lease(runtime, clock, job_id, stored_job):
    jobs.claim(runtime, job_id, worker="w-1")

    job = stored_job(job_id)
    assert (job.status, job.attempts) == ("running", 1)
    assert job.lease_until == clock.now + timedelta(seconds=5) + jobs.LEASE_MARGIN
    assert job.updated_at == clock.now


def test_claim_opens_the_attempt(runtime, clock, job_id, attempts):
    jobs.claim(runtime, job_id, worker="w-1")

    assert attempts(job_id) == [(1, "w-1", clock.now, None)]


def test_a_running_job_is_not_claimed_twice(runtime, job_id, attempts):
    jobs.claim(runtime, job_id, worker="w-1")

    assert jobs.claim(runtime, job_id, worker="w-2") is None
    assert [number for number, *_ in attempts(job_id)] == [1]


def test_a_job_not_yet_due_is_left_alone(runtime, clock, job_id, stored_job, attempts):
    with runtime.uow() as uow:
        uow.session.get(Job, job_id).next_attempt_at = clock.now + timedelta(seconds=30)
        uow.commit()

    assert jobs.claim(runtime, job_id) is None
    assert (stored_job(job_id).status, attempts(job_id)) == ("pending", [])


def test_a_suspended_instances_call_waits(client, admin, runtime, job_id, stored_job):
    instance_id = stored_job(job_id).instance_id
    assert client.post(f"/api/v1/instances/{instance_id}/suspend", headers=admin).status_code == 200

    assert jobs.claim(runtime, job_id) is None
    assert stored_job(job_id).status == "pending"


def test_a_retry_is_the_next_attempt(runtime, clock, job_id, attempts):
    jobs.claim(runtime, job_id, worker="w-1")
    with runtime.uow() as uow:
        job = uow.session.get(Job, job_id)
        job.status, job.next_attempt_at = "pending", clock.now
        uow.commit()

    assert jobs.claim(runtime, job_id, worker="w-2").attempt == 2
    assert [(number, worker) for number, worker, *_ in attempts(job_id)] == [(1, "w-1"), (2, "w-2")]


def test_an_unknown_job_is_not_claimed(runtime):
    assert jobs.claim(runtime, "no-such-job") is None
