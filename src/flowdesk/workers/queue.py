"""Job queue adapters behind the engine's ``JobQueue`` port: RQ on Redis, or threads in-process."""

from __future__ import annotations

import logging
import queue as stdlib_queue
import threading
import time

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from ..config import Settings
from ..engine.store.runtime import Runtime
from . import actions

log = logging.getLogger(__name__)

QUEUE_NAME = "flowdesk"
# The name jobs have been enqueued under since the first release: the worker dispatches on it
# (to :func:`flowdesk.workers.context.run_job`), RQ never imports it.
JOB_FUNCTION = "flowdesk.workers.actions.run_job"


class RqQueue:
    """Enqueue job ids on RQ with the JSON serializer (never pickle): jobs carry ids only."""

    def __init__(self, redis_url: str):
        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection, serializer=JSONSerializer)

    def enqueue(self, job_id: str) -> None:
        # The database row is the truth; the RQ job is only a wake-up call, so it keeps no
        # result and a duplicate is harmless (claiming is atomic). Given no pipeline, RQ
        # registers the queue in a round trip of its own before the one that saves and pushes
        # the job; with ours, both go in one.
        with self.connection.pipeline() as pipe:
            self.queue.enqueue(JOB_FUNCTION, job_id, job_timeout=600, result_ttl=0, failure_ttl=86400,
                               pipeline=pipe)
            pipe.execute()

    def ping(self) -> None:
        self.connection.ping()

    def depth(self) -> int:
        return self.queue.count


class InProcessQueue:
    """Embedded mode: a thread pool running jobs on ``runtime`` inside the server process.

    Each thread beats on the runtime's heartbeats while it waits and is given a
    job's time limit while it runs one, so /ready names a thread that died or hangs.
    """

    # A waiting thread beats this often; one silent for STALLED_AFTER (past a job's limit) is stalled.
    WAIT = 5.0
    STALLED_AFTER = 60.0
    JOB_LIMIT = 630.0  # an action's longest timeout plus reporting

    def __init__(self, runtime: Runtime, threads: int = 2):
        self._runtime = runtime
        self._items: stdlib_queue.Queue[str | None] = stdlib_queue.Queue()
        self._threads = [threading.Thread(target=self._work, args=(f"worker-{n}",), name=f"flowdesk-worker-{n}",
                                          daemon=True) for n in range(threads)]
        self._heartbeats = runtime.heartbeats
        self._started = False

    def enqueue(self, job_id: str) -> None:
        self._items.put(job_id)

    def ping(self) -> None:
        if self._started and not any(thread.is_alive() for thread in self._threads):
            raise RuntimeError("no embedded worker thread is alive")

    def depth(self) -> int:
        return self._items.qsize()

    def start(self) -> None:
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the jobs in flight, then end the threads. Queued ids are dropped: their rows
        are still pending in the database, and a dispatcher enqueues them again."""
        while True:
            try:
                self._items.get_nowait()
            except stdlib_queue.Empty:
                break
        for _ in self._threads:
            self._items.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("%s is still running a job after %.0f s", thread.name, timeout)

    def _work(self, name: str) -> None:
        heartbeat = None
        if self._heartbeats is not None:
            heartbeat = self._heartbeats.register(name, self.STALLED_AFTER, threading.current_thread())
        while True:
            if heartbeat is not None:
                heartbeat.beat()
            try:
                job_id = self._items.get(timeout=self.WAIT)
            except stdlib_queue.Empty:
                continue
            if job_id is None:
                break
            if heartbeat is not None:
                heartbeat.busy(self.JOB_LIMIT)
            try:
                actions.perform(self._runtime, job_id)
            except Exception:  # noqa: BLE001 - the dispatcher retries; the thread must live on
                log.exception("job %s failed in the embedded worker", job_id)
        if heartbeat is not None:
            self._heartbeats.unregister(heartbeat)


def queue_for(settings: Settings, runtime: Runtime):
    """The queue a process should use: RQ when Redis is configured, else in-process threads."""
    if settings.redis_url:
        return RqQueue(settings.redis_url)
    return InProcessQueue(runtime)
