"""``flowdesk worker``: an RQ worker for job ids, with a dispatcher thread beside it."""

from __future__ import annotations

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from ..engine import jobs
from . import context, dispatcher
from .queue import RqQueue


def work(burst: bool = False, with_dispatcher: bool = True) -> None:
    """Run jobs from the queue. ``burst``: dispatch once, run what is queued, then return."""
    rt = context.runtime()
    if not isinstance(rt.queue, RqQueue):
        raise SystemExit("flowdesk worker needs FLOWDESK_REDIS_URL; without it `flowdesk serve` runs jobs itself")
    stop = None
    if burst:
        jobs.dispatch_due(rt)
    elif with_dispatcher:
        stop = dispatcher.start_thread(rt)
    # SimpleWorker runs jobs in this process: a job is an HTTP call plus a short transaction,
    # and forking would copy open database connections into the child.
    worker = SimpleWorker([rt.queue.queue], connection=rt.queue.connection, serializer=JSONSerializer)
    try:
        worker.work(burst=burst, with_scheduler=False)
    finally:
        if stop is not None:
            stop.set()
