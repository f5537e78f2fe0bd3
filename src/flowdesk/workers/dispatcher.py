"""The dispatcher loop: hands due retries, lost enqueues and dead workers' jobs back to the queue."""

from __future__ import annotations

import logging
import threading

from ..engine.process import job_dispatch
from ..engine.store.runtime import Runtime
from .shutdown import BackgroundLoop
from .supervision import run_rounds

log = logging.getLogger(__name__)


# A dispatcher without a good round for this long is reported stalled.
STALLED_AFTER = 60.0


def run(rt: Runtime, stop: threading.Event, interval: float = 1.0) -> None:
    """Dispatch every ``interval`` seconds until ``stop`` is set. Several may run at once."""
    def round_() -> float:
        dispatched = job_dispatch.dispatch_due(rt)
        if dispatched:
            log.info("dispatched %d job(s)", len(dispatched))
        return interval

    run_rounds(rt, "dispatcher", round_, stop, max(STALLED_AFTER, 3 * interval))


def start_thread(rt: Runtime, interval: float = 1.0) -> BackgroundLoop:
    """Run the dispatcher in a daemon thread; ``stop()`` the returned loop to end it."""
    return BackgroundLoop("flowdesk-dispatcher", lambda stop: run(rt, stop, interval)).start()
