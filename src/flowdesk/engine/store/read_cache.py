"""Rows that nearly every command reads and that rarely change, kept per process.

API keys with their users (every request authenticates), webhook subscriptions (every
transaction that emits an event) and the latest version of each process (every start) are
read far more often than they change. A process keeps what it read here only while it hears
about changes made by the others (the runtime's change feed, :mod:`flowdesk.engine.store.changes`):
a committed change to a watched table empties the topic in every process, and while the feed
is not listening (no Redis, or its connection is down) nothing is kept and every read goes to
the database, as without a cache.

``MAX_AGE`` bounds what a lost notice can cost: a change made behind flowdesk's back (SQL by
hand) or whose notice did not go out is seen at the latest that much later.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import TTLCache

T = TypeVar("T")

MAX_AGE = 5.0
MAX_ENTRIES = 10_000  # per topic; a full topic drops its least recently used value


class ReadCache:
    """Values by ``(topic, key)``, trusted only while :attr:`enabled` (a feed is listening)."""

    def __init__(self, max_age: float = MAX_AGE, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        # Per topic, values expire ``max_age`` after they were kept (cachetools' TTLCache, which
        # is not thread-safe: every use holds the lock).
        self._entries: dict[str, TTLCache] = {}
        # Bumped by every invalidation: a load that overlapped one may have read the old rows,
        # so its result is returned but not kept.
        self._generation = 0
        self._enabled = False
        # The listener is a thread, and threads do not survive fork (gunicorn --preload): a
        # child inherits the parent's values but hears no notices, so it keeps nothing.
        self._pid = os.getpid()

    @property
    def enabled(self) -> bool:
        return self._enabled and self._pid == os.getpid()

    def get(self, topic: str, key: Hashable, load: Callable[[], T]) -> T:
        """The kept value of ``key``, else ``load()`` (kept unless None or invalidated meanwhile)."""
        if not self.enabled:
            return load()
        with self._lock:
            entries = self._entries.get(topic)
            value = entries.get(key) if entries is not None else None
            generation = self._generation
        if value is not None:
            return value  # type: ignore[return-value]
        value = load()
        if value is not None:
            with self._lock:
                if self.enabled and self._generation == generation:
                    entries = self._entries.get(topic)
                    if entries is None:
                        entries = self._entries[topic] = TTLCache(self.max_entries, self.max_age, timer=self._clock)
                    entries[key] = value
        return value

    def forget(self, topic: str, key: Hashable) -> None:
        """Drop one value this process knows to be outdated (no notice to the others)."""
        with self._lock:
            entries = self._entries.get(topic)
            if entries is not None:
                entries.pop(key, None)

    def invalidate(self, topics) -> None:
        """Drop everything kept under ``topics`` (a committed change touched their tables)."""
        with self._lock:
            self._generation += 1
            for topic in topics:
                self._entries.pop(topic, None)

    def set_enabled(self, enabled: bool) -> None:
        """Start or stop keeping values; either way what was kept is dropped (notices may be lost)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._enabled, self._pid = enabled, os.getpid()
