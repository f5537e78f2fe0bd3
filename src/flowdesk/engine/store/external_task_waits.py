"""Long polling of external tasks: a fetch that found nothing waits for a task to become fetchable.

A commit that adds an external task or makes one available again wakes every fetch waiting in
this process at once. Tasks made fetchable elsewhere (another API process, a worker process) or
by the clock (a retry time reached, a lock expired) are found by a re-check every
:data:`RECHECK_SECONDS`. A waiting fetch holds no transaction and no instance lock: each attempt
is a complete fetch-and-lock of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from itertools import chain
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ..models import ExternalTask, ExternalTaskStatus

# How long a waiting fetch goes without looking when nothing in this process woke it.
RECHECK_SECONDS = 1.0
# The longest a fetch may wait; Camunda clients ask for up to 30 minutes, proxies cut far sooner.
MAX_WAIT_MS = 30 * 60 * 1000

_KEY = "external_task_fetchable"
T = TypeVar("T")


class FetchableSignal:
    """A generation counter that fetches wait on; committed changes that free a task bump it."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    def install(self, session_factory: sessionmaker[Session]) -> None:
        """Bump the counter after each commit that made an external task fetchable."""

        @event.listens_for(session_factory, "after_flush")
        def _flushed(session: Session, _context) -> None:
            for row in chain(session.new, session.dirty):
                # A new row's status is filled in by the INSERT's default: None here means available.
                if isinstance(row, ExternalTask) and row.status in (None, ExternalTaskStatus.AVAILABLE.value):
                    session.info[_KEY] = True
                    return

        @event.listens_for(session_factory, "after_commit")
        def _committed(session: Session) -> None:
            if session.info.pop(_KEY, False):
                self.notify()

        @event.listens_for(session_factory, "after_rollback")
        def _rolled_back(session: Session) -> None:
            session.info.pop(_KEY, None)

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def notify(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> None:
        """Return once the counter moved past ``seen``, or after ``timeout`` seconds."""
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout)


def poll(signal: FetchableSignal, fetch: Callable[[], list[T]], wait_ms: int | None,
         recheck: float = RECHECK_SECONDS) -> list[T]:
    """``fetch()`` until it finds something or ``wait_ms`` have passed (0 or None: once)."""
    deadline = time.monotonic() + max(0, min(wait_ms or 0, MAX_WAIT_MS)) / 1000
    while True:
        # Read before fetching: a task freed between the fetch and the wait is not missed.
        seen = signal.generation
        found = fetch()
        remaining = deadline - time.monotonic()
        if found or remaining <= 0:
            return found
        signal.wait(seen, min(recheck, remaining))
