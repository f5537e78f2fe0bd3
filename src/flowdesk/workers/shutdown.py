"""Stopping cleanly: background loops that can be stopped and joined, and SIGTERM handling.

A container platform stops a process with SIGTERM and kills it a grace period later. Every
flowdesk process turns SIGTERM into the same stop request as Ctrl+C, finishes what it is
doing (a job attempt, a scheduler round) and exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

# How long stopping waits for a background thread to finish its current round.
JOIN_TIMEOUT = 30.0


class BackgroundLoop:
    """A daemon thread running ``target(stop)`` until :meth:`stop` sets the event and joins it."""

    def __init__(self, name: str, target: Callable[[threading.Event], None]):
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=target, args=(self.stop_event,), name=name, daemon=True)

    def start(self) -> "BackgroundLoop":
        self.thread.start()
        return self

    def stop(self, timeout: float = JOIN_TIMEOUT) -> bool:
        """Ask the loop to stop after its current round and wait for it; False if it did not."""
        self.stop_event.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("%s did not stop within %.0f s", self.thread.name, timeout)
            return False
        return True


def on_terminate(callback: Callable[[int], None]) -> None:
    """Call ``callback(signum)`` on SIGTERM and SIGINT (main thread only, as Python requires)."""
    def handle(signum, frame):  # noqa: ARG001 - the signal module's signature
        log.info("received %s, stopping", signal.Signals(signum).name)
        callback(signum)

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
