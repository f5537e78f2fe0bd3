"""The runtime of a worker process (built once from the environment, replaceable in tests), and
the job function that runs on it."""

from __future__ import annotations

import threading

from ..config import Settings
from ..engine.store.runtime import Runtime
from . import actions
from .change_feed import feed_for
from .queue import queue_for

_runtime: Runtime | None = None
_lock = threading.Lock()


def runtime() -> Runtime:
    """This process's runtime (RQ job functions receive ids, never objects)."""
    global _runtime
    with _lock:
        if _runtime is None:
            settings = Settings.from_env()
            _runtime = Runtime.from_settings(settings)
            _runtime.queue = queue_for(settings, _runtime)
            feed = feed_for(settings)
            if feed is not None:
                _runtime.attach_change_feed(feed, listen=settings.read_cache)
        return _runtime


def use(rt: Runtime | None) -> None:
    """Make ``rt`` this process's runtime (the embedded server and tests)."""
    global _runtime
    with _lock:
        _runtime = rt


def run_job(job_id: str) -> str:
    """The job function (RQ's and the embedded queue's): one job on this process's runtime."""
    return actions.perform(runtime(), job_id)
