"""The dispatcher loop: hands due retries, lost enqueues and dead workers' jobs back to the queue."""

from __future__ import annotations

import logging
import threading

from ..engine import jobs
from ..engine.runtime import Runtime
from .shutdown import BackgroundLoop

log = logging.getLogger(__name__)


def run(rt: Runtime, stop: threading.Event, interval: float = 1.0) -> None:
    """Dispatch every ``interval`` seconds until ``stop`` is set. Several may run at once."""
    while not stop.is_set():
        try:
            dispatched = jobs.dispatch_due(rt)
            if dispatched:
                log.info("dispatched %d job(s)", len(dispatched))
        except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
            log.exception("dispatch round failed")
        stop.wait(interval)


def start_thread(rt: Runtime, interval: float = 1.0) -> BackgroundLoop:
    """Run the dispatcher in a daemon thread; ``stop()`` the returned loop to end it."""
    return BackgroundLoop("flowdesk-dispatcher", lambda stop: run(rt, stop, interval)).start()
