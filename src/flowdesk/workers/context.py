"""The runtime of a worker process: built once from the environment, replaceable in tests."""

from __future__ import annotations

import threading

from ..config import Settings
from ..engine.runtime import Runtime

_runtime: Runtime | None = None
_lock = threading.Lock()


def runtime() -> Runtime:
    """This process's runtime (RQ job functions receive ids, never objects)."""
    global _runtime
    with _lock:
        if _runtime is None:
            settings = Settings.from_env()
            from .change_feed import feed_for  # noqa: PLC0415 - as queue_for
            from .queue import queue_for  # noqa: PLC0415 - queue imports this module's users

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
