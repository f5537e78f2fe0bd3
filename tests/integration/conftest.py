"""Integration tests run on real PostgreSQL and Redis and call a real local HTTP server.

Locking, SKIP LOCKED and RQ behave differently on fakes, so nothing here is faked.
"""

import logging
import os
import time

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from flowdesk.engine import jobs
from flowdesk.workers import context
from flowdesk.workers.queue import RqQueue

REDIS_URL = os.environ.get("FLOWDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# A burst worker narrates every start and stop; the tests' own failures are what matter.
logging.getLogger("rq.worker").setLevel(logging.WARNING)


@pytest.fixture
def runtime(pg_runtime):
    return pg_runtime


@pytest.fixture
def redis_url():
    """A Redis database emptied for each test."""
    try:
        Redis.from_url(REDIS_URL).flushdb()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({exc})")
    yield REDIS_URL
    Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def worker_runtime(pg_runtime, redis_url):
    """The PostgreSQL runtime wired to RQ, allowed to call the local server, set as the worker's."""
    pg_runtime.queue = RqQueue(redis_url)
    pg_runtime.action_allow_hosts = ("127.0.0.1",)
    context.use(pg_runtime)
    yield pg_runtime
    context.use(None)


@pytest.fixture
def drain(worker_runtime):
    """``drain()`` dispatches due jobs and runs a burst RQ worker until nothing is left (bounded)."""
    def run(rounds: int = 20, until=None):
        queue = worker_runtime.queue
        for _ in range(rounds):
            jobs.dispatch_due(worker_runtime)
            SimpleWorker([queue.queue], connection=queue.connection, serializer=JSONSerializer).work(
                burst=True, with_scheduler=False)
            if until is not None and until():
                return
            if until is None and queue.queue.count == 0 and not jobs.dispatch_due(worker_runtime):
                return
            time.sleep(0.05)
    return run
