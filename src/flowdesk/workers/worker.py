"""``flowdesk worker``: an RQ worker for job ids, with a dispatcher thread beside it.

Stopping (SIGTERM or Ctrl+C): the first signal lets the attempt in flight finish and report,
then the worker exits 0; nothing new is taken. A second signal cuts the call short and hands
the job straight back (``job_results.hand_back``) so another worker repeats it. A worker
killed outright leaves its job to the dispatcher once the job's lease runs out.
"""

from __future__ import annotations

import logging

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from ..engine import jobs
from . import context, dispatcher
from .queue import RqQueue

log = logging.getLogger(__name__)


def work(burst: bool = False, with_dispatcher: bool = True) -> None:
    """Run jobs from the queue. ``burst``: dispatch once, run what is queued, then return."""
    rt = context.runtime()
    if not isinstance(rt.queue, RqQueue):
        raise SystemExit("flowdesk worker needs FLOWDESK_REDIS_URL; without it `flowdesk serve` runs jobs itself")
    background = None
    if burst:
        jobs.dispatch_due(rt)
    elif with_dispatcher:
        background = dispatcher.start_thread(rt)
    # SimpleWorker runs jobs in this process: a job is an HTTP call plus a short transaction,
    # and forking would copy open database connections into the child. Its SIGTERM/SIGINT
    # handling is RQ's warm then cold shutdown, which the module docstring describes.
    worker = SimpleWorker([rt.queue.queue], connection=rt.queue.connection, serializer=JSONSerializer)
    try:
        worker.work(burst=burst, with_scheduler=False)
    finally:
        if background is not None:
            background.stop()
    log.info("worker %s stopped", worker.name)
