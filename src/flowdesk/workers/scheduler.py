"""``flowdesk scheduler``: wakes instances whose timers are due, starts timer-started processes,
routes thrown and buffered messages, and dispatches lost jobs. Several may run at once."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from ..engine import jobs, scheduler
from ..engine.runtime import Runtime
from .shutdown import BackgroundLoop

log = logging.getLogger(__name__)

# Upper bound on one sleep: new timers written by other processes are seen at least this often.
MAX_SLEEP = 0.25


def _sleep_for(rt: Runtime) -> float:
    due = scheduler.next_wake(rt)
    if due is None:
        return MAX_SLEEP
    return max(0.0, min(MAX_SLEEP, (due - datetime.now(timezone.utc)).total_seconds()))


def run(rt: Runtime, stop: threading.Event, dispatch_jobs: bool = True) -> None:
    """Run rounds until ``stop`` is set; a busy round is followed at once by the next.

    ``stop`` is looked at between rounds: a round (each instance in its own transaction)
    always ends, so stopping never leaves a timer half fired.
    """
    last_dispatch = 0.0
    while not stop.is_set():
        try:
            busy = scheduler.run_round(rt).busy
            now = datetime.now(timezone.utc).timestamp()
            if dispatch_jobs and now - last_dispatch >= 1.0:
                jobs.dispatch_due(rt)
                last_dispatch = now
        except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
            log.exception("scheduler round failed")
            busy = False
        if not busy:
            stop.wait(_sleep_for(rt))


def start_thread(rt: Runtime, dispatch_jobs: bool = True) -> BackgroundLoop:
    """The scheduler in a daemon thread (embedded mode); ``stop()`` the returned loop to end it."""
    return BackgroundLoop("flowdesk-scheduler", lambda stop: run(rt, stop, dispatch_jobs)).start()
