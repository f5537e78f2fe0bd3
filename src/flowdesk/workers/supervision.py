"""Loops that outlive their errors: every round in a ``try``, a growing pause while rounds fail,
and a heartbeat after each good round (``engine.heartbeats``: what /ready and ``flowdesk check`` read)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..engine.store.heartbeats import Heartbeat, describe
from ..engine.store.runtime import Runtime

log = logging.getLogger(__name__)


class Backoff:
    """Pauses after consecutive failures: ``first``, doubling up to ``longest``; :meth:`reset` after a success."""

    def __init__(self, first: float = 0.5, longest: float = 15.0):
        self.first, self.longest = first, longest
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        return min(self.longest, self.first * 2 ** (self.failures - 1))

    def reset(self) -> None:
        self.failures = 0


def run_rounds(rt: Runtime, name: str, round_: Callable[[], float], stop: threading.Event,
               stalled_after: float) -> None:
    """Call ``round_`` (which returns the pause before the next) until ``stop`` is set.

    Any exception (database or Redis away, a schema not yet migrated, a bug) is logged and
    the round tried again after a backoff; the loop only ends when asked to.
    """
    heartbeat = rt.heartbeats.register(name, stalled_after, threading.current_thread())
    backoff = Backoff()
    while not stop.is_set():
        try:
            pause = round_()
        except Exception as exc:  # noqa: BLE001 - any failure: log, wait, try again
            pause = _failed(name, heartbeat, backoff, exc)
        else:
            if backoff.failures:
                log.info("%s recovered after %d failed round(s)", name, backoff.failures)
            heartbeat.beat()
            backoff.reset()
        if pause > 0:
            stop.wait(pause)
    rt.heartbeats.unregister(heartbeat)


def _failed(name: str, heartbeat: Heartbeat, backoff: Backoff, exc: Exception) -> float:
    heartbeat.failed(exc)
    pause = backoff.next()
    if backoff.failures == 1:  # the whole trace once; then one line per failure, not a flood
        log.exception("%s round failed; retrying in %.1f s", name, pause)
    else:
        log.warning("%s round failed again (%d in a row): %s; retrying in %.1f s", name, backoff.failures,
                    describe(exc), pause)
    return pause
