"""``flowdesk scheduler``: wakes instances whose timers are due, starts timer-started processes,
routes thrown and buffered messages, and dispatches lost jobs. Several may run at once."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from ..engine.process import job_dispatch, scheduler
from ..engine.store.runtime import Runtime
from .shutdown import BackgroundLoop
from .supervision import run_rounds

# Upper bound on one sleep: new timers written by other processes are seen at least this often.
MAX_SLEEP = 0.25
# A scheduler without a good round for this long is reported stalled (a round normally takes seconds).
STALLED_AFTER = 120.0


def _sleep_for(rt: Runtime) -> float:
    due = scheduler.next_wake(rt)
    if due is None:
        return MAX_SLEEP
    return max(0.0, min(MAX_SLEEP, (due - rt.clock()).total_seconds()))  # due times are on rt.clock


def run(rt: Runtime, stop: threading.Event, dispatch_jobs: bool = True) -> None:
    """Run rounds until ``stop`` is set; a busy round is followed at once by the next.

    ``stop`` is looked at between rounds: a round (each instance in its own transaction)
    always ends, so stopping never leaves a timer half fired. A failing round (the database
    away or not yet migrated) is retried with a backoff: the loop only ends when asked to.
    """
    last_dispatch = 0.0

    def round_() -> float:
        nonlocal last_dispatch
        busy = scheduler.run_round(rt).busy
        now = datetime.now(timezone.utc).timestamp()
        if dispatch_jobs and now - last_dispatch >= 1.0:
            job_dispatch.dispatch_due(rt)
            last_dispatch = now
        return 0.0 if busy else _sleep_for(rt)

    run_rounds(rt, "scheduler", round_, stop, STALLED_AFTER)


def start_thread(rt: Runtime, dispatch_jobs: bool = True) -> BackgroundLoop:
    """The scheduler in a daemon thread (embedded mode); ``stop()`` the returned loop to end it."""
    return BackgroundLoop("flowdesk-scheduler", lambda stop: run(rt, stop, dispatch_jobs)).start()
