"""The RQ worker class on real Redis: jobs run, nothing of them stays in Redis, strangers don't run."""

import time

import pytest
from redis import Redis
from rq import Queue
from rq.suspension import suspend
from rq.worker import BaseWorker
from rq.worker import base as rq_worker_base

from flowdesk.engine.process import jobs
from flowdesk.workers import worker as worker_module
from flowdesk.workers.queue import QUEUE_NAME
from flowdesk.workers.worker import worker_for


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


@pytest.fixture
def started_chain(deploy_for, start, action_server):
    """A service_chain instance whose first job is queued on RQ."""
    action_server.routes["/reserve"] = lambda r: (200, {"reservation_id": "R-1"}, {})
    deploy_for("service_chain.bpmn")
    return start("service_chain", {"sku": "A-1", "quantity": 1})


def _rq_keys(redis_url):
    return sorted(key.decode() for key in Redis.from_url(redis_url).keys("rq:*"))


def test_worker_runs_a_queued_job(worker_runtime, started_chain, action_server):
    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    assert len(action_server.calls("/reserve")) == 1
    with worker_runtime.db.connect() as conn:
        status = conn.exec_driver_sql("select status from jobs where id = %s",
                                      (started_chain["jobs"][0]["id"],)).scalar()
    assert status == "succeeded"


def test_finished_job_leaves_no_job_hash_or_registry_entry(worker_runtime, started_chain, redis_url):
    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    # RQ keeps its own bookkeeping (workers, queues, maintenance locks); nothing of the job stays.
    kept = ("rq:worker", "rq:workers", "rq:queues", "rq:clean_")
    assert [key for key in _rq_keys(redis_url) if not key.startswith(kept)] == []


def test_job_for_another_function_is_dropped_without_running(worker_runtime, tmp_path, redis_url):
    target = tmp_path / "keep-me"
    target.write_text("x")
    worker_runtime.queue.queue.enqueue("os.remove", str(target))

    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    assert target.exists()
    assert worker_runtime.queue.queue.count == 0
    assert not [key for key in _rq_keys(redis_url) if key.startswith("rq:job:")]


def test_failing_job_does_not_stop_the_worker(worker_runtime, monkeypatch):
    ran = []

    def run_job(job_id):
        ran.append(job_id)
        if job_id == "first":
            raise RuntimeError("database went away")

    monkeypatch.setattr(worker_module, "run_job", run_job)
    worker_runtime.queue.enqueue("first")
    worker_runtime.queue.enqueue("second")

    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    assert ran == ["first", "second"]


def test_heartbeat_round_trips_are_not_per_job(worker_runtime, monkeypatch):
    monkeypatch.setattr(worker_module, "run_job", lambda job_id: None)
    beats = []
    original = BaseWorker.heartbeat

    def counting(self, timeout=None, pipeline=None):
        beats.append(timeout)
        original(self, timeout, pipeline)

    monkeypatch.setattr(BaseWorker, "heartbeat", counting)
    for n in range(20):
        worker_runtime.queue.enqueue(f"job-{n}")

    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    assert len(beats) <= 1  # RQ alone would beat three times per job, three commands each


def test_suspension_is_looked_up_once_a_second_not_per_job(worker_runtime, monkeypatch):
    monkeypatch.setattr(worker_module, "run_job", lambda job_id: None)
    lookups = []
    original = rq_worker_base.is_suspended

    def counting(connection, worker=None):
        lookups.append(worker)
        return original(connection, worker)

    monkeypatch.setattr(rq_worker_base, "is_suspended", counting)
    for n in range(20):
        worker_runtime.queue.enqueue(f"job-{n}")

    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    assert len(lookups) == 1  # the burst takes well under a second


def test_a_suspended_worker_takes_no_job(worker_runtime, monkeypatch, redis_url):
    ran = []
    monkeypatch.setattr(worker_module, "run_job", ran.append)
    suspend(Redis.from_url(redis_url))
    worker_runtime.queue.enqueue("job-1")

    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    assert ran == []


def test_stopping_does_not_wait_out_the_command_listeners_read(worker_runtime, monkeypatch):
    worker = worker_for(worker_runtime.queue)
    worker.subscribe()
    # Nothing wakes the listener (as when RQ's unsubscribe reply came before the stop flag):
    # it sits in its 60 s read.
    monkeypatch.setattr(worker.pubsub, "unsubscribe", lambda *channels: None)
    time.sleep(0.2)

    started = time.monotonic()
    worker.unsubscribe()

    assert time.monotonic() - started < 5


def test_job_rq_cannot_read_is_dropped_and_the_worker_goes_on(worker_runtime, monkeypatch, redis_url):
    ran = []
    monkeypatch.setattr(worker_module, "run_job", ran.append)
    Queue(QUEUE_NAME, connection=Redis.from_url(redis_url)).enqueue("os.getcwd")  # pickled, not JSON
    worker_runtime.queue.enqueue("after-it")

    worker_for(worker_runtime.queue).work(burst=True, with_scheduler=False)

    assert ran == ["after-it"]
    assert worker_runtime.queue.queue.count == 0
