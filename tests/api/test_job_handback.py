"""A stopping worker hands its job back: pending again at once, its attempt marked interrupted."""

import pytest

from flowdesk.engine.process import job_dispatch, job_results, jobs
from flowdesk.engine.process.job_results import Outcome


@pytest.fixture
def claimed(runtime, single_action_job):
    """The claimed (running) job of a fresh single_action instance with no retries."""
    return jobs.claim(runtime, single_action_job(retries=0))


@pytest.fixture
def outcomes(job_attempts):
    return lambda job_id: [(a.number, a.outcome) for a in job_attempts(job_id)]


def test_a_handed_back_job_is_pending_at_once_without_using_up_a_retry(runtime, claimed, stored_job, outcomes):
    assert job_results.hand_back(runtime, claimed.id, claimed.attempt, "the worker was stopped")

    job = stored_job(claimed.id)
    assert (job.status, job.attempts, job.max_attempts, job.lease_until) == ("pending", 1, 2, None)
    assert job.next_attempt_at <= runtime.clock()
    assert outcomes(claimed.id) == [(1, "interrupted")]
    assert job_dispatch.dispatch_due(runtime) == [claimed.id]  # handed out again without waiting for a lease
    again = jobs.claim(runtime, claimed.id)
    assert again.attempt == 2


def test_a_late_report_of_a_handed_back_attempt_changes_nothing(runtime, claimed, stored_job, outcomes):
    job_results.hand_back(runtime, claimed.id, claimed.attempt, "the worker was stopped")

    status = job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=200, body={}))

    assert status == "pending"
    assert outcomes(claimed.id) == [(1, "interrupted")]


def test_an_attempt_that_already_ended_is_not_handed_back(runtime, claimed, stored_job, outcomes):
    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=200, body={}))

    assert not job_results.hand_back(runtime, claimed.id, claimed.attempt, "the worker was stopped")
    assert stored_job(claimed.id).status == "succeeded"
