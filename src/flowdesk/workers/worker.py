"""``flowdesk worker``: an RQ worker for job ids, with a dispatcher thread beside it.

Stopping (SIGTERM or Ctrl+C): the first signal lets the attempt in flight finish and report,
then the worker exits 0; nothing new is taken. A second signal cuts the call short and hands
the job straight back (``job_results.hand_back``) so another worker repeats it. A worker
killed outright leaves its job to the dispatcher once the job's lease runs out.

Redis going away does not end the process: RQ waits for it while dequeuing, a job's own
bookkeeping is best effort, and a work loop that ends on any other error is started again
after a backoff. The loop beats a heartbeat (``flowdesk check worker`` reads it).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.timeouts import JobTimeoutException
from rq.worker import WorkerStatus

from ..engine.process import job_dispatch
from ..engine.store.heartbeats import Heartbeat, describe
from . import context, dispatcher
from .context import run_job
from .queue import JOB_FUNCTION, RqQueue
from .shutdown import on_terminate
from .supervision import Backoff

log = logging.getLogger(__name__)

# The flip between these two happens twice per job; RQ's monitoring is not worth a write each.
_PER_JOB_STATES = frozenset({WorkerStatus.BUSY, WorkerStatus.IDLE})

# The loop's heartbeat: stalled after this long without a turn (its wait for a job ends every 10 s).
STALLED_AFTER = 60.0
# A job's hard time limit is its own; this is added for reporting its result.
JOB_GRACE = 30
# A work loop that ran this long before ending counts as a fresh start: the backoff begins again.
RESTARTS_FORGOTTEN_AFTER = 60.0


class JobWorker(SimpleWorker):
    """RQ's SimpleWorker with its per-job bookkeeping cut down to one pipelined round trip.

    An RQ job here only wakes a worker up: the ``jobs`` row is the truth (status, attempts,
    lease, result), and a job the worker loses is found again by the dispatcher. So RQ's
    execution records, started/finished/failed registries and per-job statistics, about twenty
    Redis commands a job, would only repeat the database. What stays RQ's: the queue, the
    worker's registration and heartbeat (at most every ``HEARTBEAT_EVERY`` seconds; its key
    lives for minutes), warm and cold shutdown, suspension (``rq suspend``, looked up at most
    every ``SUSPENSION_CHECK_EVERY`` seconds), and a hard time limit per job. ``rq info`` shows
    these workers, but as idle: their jobs are in flowdesk's jobs API.
    """

    HEARTBEAT_EVERY = 10.0
    SUSPENSION_CHECK_EVERY = 1.0
    # A wait for a job ends this often, so an idle worker's loop heartbeat stays fresh.
    DEQUEUE_TIMEOUT = 10
    # RQ's longest pause between tries while Redis is away (its default is a minute).
    max_connection_wait_time = 5.0

    def __init__(self, *args, loop_heartbeat: Heartbeat | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.loop_heartbeat = loop_heartbeat
        self.stop_requested = False
        self._shown_state: str | None = None
        self._beat_at = float("-inf")
        self._suspension_checked_at = float("-inf")

    @property
    def dequeue_timeout(self) -> int:
        return self.DEQUEUE_TIMEOUT

    def handle_warm_shutdown_request(self) -> None:
        """RQ's first SIGTERM/SIGINT: remembered, so the work loop ending now is not restarted."""
        self.stop_requested = True
        super().handle_warm_shutdown_request()

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run one job id through :func:`run_job`; then forget the RQ job, whatever happened."""
        self.set_state(WorkerStatus.BUSY)  # a first SIGTERM now waits for the job to finish
        if self.loop_heartbeat is not None:  # no beat until the job ends, within its hard time limit
            self.loop_heartbeat.busy((job.timeout or Queue.DEFAULT_TIMEOUT) + JOB_GRACE)
        try:
            if job.func_name != JOB_FUNCTION or len(job.args) != 1 or job.kwargs:
                # Anyone who can write to Redis could queue any importable callable; only ours runs.
                log.error("RQ job %s calls %s, not a flowdesk job: dropped", job.id, job.func_name)
            else:
                with self.death_penalty_class(job.timeout or Queue.DEFAULT_TIMEOUT, JobTimeoutException,
                                              job_id=job.id):
                    run_job(job.args[0])
        except Exception:  # noqa: BLE001 - the job row keeps its lease; the dispatcher retries it
            # Only the RQ id: the payload itself may be what could not be read.
            log.exception("RQ job %s failed in the worker", job.id)
        finally:
            self._forget(job, queue)
            self.set_state(WorkerStatus.IDLE)

    def _forget(self, job: Job, queue: Queue) -> None:
        """Remove the RQ job; with Redis away, leave it: the row in the database is the truth, and
        RQ handing the same id out again is harmless (claiming a job is atomic)."""
        try:
            with self.connection.pipeline() as pipeline:
                pipeline.lrem(queue.intermediate_queue_key, 1, job.id)
                pipeline.delete(job.key)
                pipeline.execute()
        except RedisError as exc:
            log.warning("could not remove RQ job %s from Redis (%s); it may wake a worker once more", job.id, exc)

    def set_state(self, state: str, pipeline=None) -> None:
        """Keep the state for RQ's signal handling; write it to Redis unless it is the job flip."""
        if state in _PER_JOB_STATES and self._shown_state in _PER_JOB_STATES:
            self._state = state
            return
        self._shown_state = state
        super().set_state(state, pipeline)

    def unsubscribe(self) -> None:
        """Stop listening for RQ's worker commands, waiting a second at most.

        RQ stops its command listener with redis-py's ``PubSubWorkerThread.stop()``, which
        joins the thread without a limit while it may sit in a read of up to 60 s: a worker
        asked to stop could take a minute to exit, past a platform's grace period. The
        thread is a daemon, so one still reading ends with the process (rq/rq#1613).
        """
        if self.pubsub_thread:
            self.pubsub.unsubscribe()
            self.pubsub_thread.stop(timeout=1)
            if not self.pubsub_thread.is_alive():
                self.pubsub.close()

    def check_for_suspension(self, burst: bool) -> None:
        """RQ asks Redis before every job; once a second is soon enough for ``rq suspend``."""
        if time.monotonic() - self._suspension_checked_at < self.SUSPENSION_CHECK_EVERY:
            return
        super().check_for_suspension(burst)
        self._suspension_checked_at = time.monotonic()

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        """RQ beats several times per job; the worker's key only needs one every few seconds.

        A beat with an explicit timeout (RQ's job monitoring) always goes out. RQ calls this at
        the top of every turn of its wait for a job, Redis reachable or not: the loop's own
        heartbeat beats here.
        """
        if self.loop_heartbeat is not None:
            self.loop_heartbeat.beat()
        if timeout is None and time.monotonic() - self._beat_at < self.HEARTBEAT_EVERY:
            return
        self._beat_at = time.monotonic()
        super().heartbeat(timeout, pipeline)


def worker_for(queue: RqQueue, loop_heartbeat: Heartbeat | None = None) -> JobWorker:
    """A worker on flowdesk's queue (JSON serializer: jobs carry ids, never pickles)."""
    return JobWorker([queue.queue], connection=queue.connection, serializer=JSONSerializer,
                     loop_heartbeat=loop_heartbeat)


def work(burst: bool = False, with_dispatcher: bool = True, heartbeat_file: Path | None = None) -> None:
    """Run jobs from the queue. ``burst``: dispatch once, run what is queued, then return.

    Until asked to stop, a work loop that ended on an error (Redis away at start or while
    reporting) is started again after a backoff. ``heartbeat_file``: where the loops' beats go.
    """
    rt = context.runtime()
    if not isinstance(rt.queue, RqQueue):
        raise SystemExit("flowdesk worker needs FLOWDESK_REDIS_URL; without it `flowdesk serve` runs jobs itself")
    heartbeat = rt.heartbeats.register("worker", STALLED_AFTER, threading.current_thread())
    if heartbeat_file is not None:
        rt.heartbeats.write_to(heartbeat_file)
    background = None
    if burst:
        job_dispatch.dispatch_due(rt)
    elif with_dispatcher:
        background = dispatcher.start_thread(rt)
    backoff = Backoff(first=1.0)
    stop = threading.Event()  # SIGTERM or Ctrl+C between two work loops
    try:
        while not stop.is_set():
            # A SimpleWorker runs jobs in this process: a job is an HTTP call plus a short
            # transaction, and forking would copy open database connections into the child. Its
            # SIGTERM/SIGINT handling is RQ's warm then cold shutdown (see the module docstring).
            worker = None
            started = time.monotonic()
            try:
                worker = worker_for(rt.queue, heartbeat)  # RQ asks Redis already here
                worker.work(burst=burst, with_scheduler=False)
            except Exception as exc:  # noqa: BLE001 - e.g. Redis away while registering the worker
                heartbeat.failed(exc)
                log.warning("the work loop ended on %s", describe(exc), exc_info=True)
            if burst or (worker is not None and worker.stop_requested):
                break
            if time.monotonic() - started > RESTARTS_FORGOTTEN_AFTER:
                backoff.reset()
            pause = backoff.next()
            log.error("the work loop ended without a stop request; starting it again in %.0f s", pause)
            _wait_unless_stopped(stop, pause)
    finally:
        if background is not None:
            background.stop()
    rt.heartbeats.unregister(heartbeat)
    log.info("worker stopped")


def _wait_unless_stopped(stop: threading.Event, seconds: float) -> None:
    """Wait ``seconds`` before a restart; SIGTERM or Ctrl+C meanwhile (or before the next work
    loop installs RQ's handlers again) sets ``stop``."""
    on_terminate(lambda signum: stop.set())
    stop.wait(seconds)
