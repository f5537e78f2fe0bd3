"""Races on real PostgreSQL: one row lock per instance decides every race."""

import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from flowdesk.engine.access import identity
from flowdesk.engine.process import job_dispatch, job_results, jobs
from flowdesk.engine.process.job_results import Outcome


def _race(n, action):
    """Run ``action(i)`` in ``n`` threads released at the same moment; return the results."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = action(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_32_threads_completing_one_ticket(client, admin, deploy, start):
    deploy("two_step.bpmn")
    started = start("two_step")
    ticket_id = started["open_tickets"][0]["id"]

    statuses = _race(32, lambda i: client.post(f"/api/v1/tickets/{ticket_id}/complete",
                                                json={"data": {"skip": False}}, headers=admin).status_code)

    assert sorted(statuses) == [200] + [409] * 31
    instance = client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()
    assert [t["element_id"] for t in instance["open_tickets"]] == ["second"]
    assert instance["version"] == 2


def test_concurrent_claims_have_one_winner(client, runtime, deploy, start):
    deploy("two_step.bpmn")
    ticket_id = start("two_step")["open_tickets"][0]["id"]
    keys = [identity.create_user(runtime, f"agent{i}", "agent", ["agents"])[1] for i in range(8)]

    statuses = _race(8, lambda i: client.post(f"/api/v1/tickets/{ticket_id}/claim",
                                               headers={"Authorization": f"Bearer {keys[i]}"}).status_code)

    assert sorted(statuses) == [200] + [409] * 7


def test_same_idempotency_key_in_parallel_starts_once(client, admin, deploy):
    deploy("two_step.bpmn")
    headers = {**admin, "Idempotency-Key": "parallel-start"}

    statuses = _race(8, lambda i: client.post("/api/v1/processes/two_step/instances", json={},
                                               headers=headers).status_code)

    assert 201 in statuses
    assert set(statuses) <= {201, 409}
    assert len(client.get("/api/v1/instances", headers=admin).get_json()["items"]) == 1


def test_workers_racing_for_one_job_make_one_attempt(client, admin, runtime, start, deploy_for):
    deploy_for("service_chain.bpmn")
    job_id = start("service_chain", {"sku": "A-1", "quantity": 1})["jobs"][0]["id"]

    claimed = _race(8, lambda i: jobs.claim(runtime, job_id, worker=f"w-{i}"))

    assert len([c for c in claimed if c is not None]) == 1
    with runtime.db.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from job_attempts").scalar() == 1


def test_dispatcher_leaves_a_lost_job_to_a_later_round_while_its_instance_is_locked(runtime, clock, single_action_job,
                                                                                    stored_job):
    job_id = single_action_job(retries=0)
    jobs.claim(runtime, job_id)
    clock.advance(minutes=10)  # its worker is gone: the lease ran out on the only attempt
    holder = runtime.db.connect()
    holder.exec_driver_sql("select id from instances where id = %s for update", (stored_job(job_id).instance_id,))
    release = threading.Timer(3.0, holder.rollback)  # a command on the instance (its worker, late)
    release.start()
    try:
        started = time.monotonic()
        job_dispatch.dispatch_due(runtime)
        waited = time.monotonic() - started
    finally:
        release.join()
        holder.close()

    assert waited < 2.0  # no wait on the instance while holding the job: no deadlock with a reporter
    assert stored_job(job_id).status == "running"
    job_dispatch.dispatch_due(runtime)
    assert stored_job(job_id).status == "incident"


def _waits_for_a_lock(runtime, timeout: float = 10.0) -> bool:
    """Whether some connection to the test database is (or within ``timeout`` s, gets) stuck on a row lock."""
    deadline = time.monotonic() + timeout
    with runtime.db.connect() as conn:
        while time.monotonic() < deadline:
            if conn.exec_driver_sql("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                    "and datname = current_database()").scalar():
                return True
            conn.rollback()
            time.sleep(0.02)
    return False


def test_a_job_report_locks_the_instance_before_the_job(runtime, single_action_job, stored_job):
    job_id = single_action_job(retries=0)
    claimed = jobs.claim(runtime, job_id)
    instance_id = stored_job(job_id).instance_id
    holder = runtime.db.connect()  # holds the job only, so the report stops between its two locks
    holder.exec_driver_sql("select id from jobs where id = %s for update", (job_id,))
    report = threading.Thread(target=job_results.finish,
                              args=(runtime, job_id, claimed.attempt, Outcome("response", 200, body={})))
    report.start()
    try:
        assert _waits_for_a_lock(runtime)
        with runtime.db.connect() as probe, pytest.raises(OperationalError, match="could not obtain lock"):
            probe.exec_driver_sql("select id from instances where id = %s for update nowait", (instance_id,))
    finally:
        holder.rollback()
        holder.close()
        report.join()

    assert stored_job(job_id).status == "succeeded"
