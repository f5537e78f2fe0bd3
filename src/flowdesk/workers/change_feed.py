"""The engine's change feed on Redis pub/sub: each process publishes its changes and hears the others'.

A listener thread per process holds a subscription. The runtime's read cache is on only while
that subscription stands: a lost connection turns it off at once (a notice may be missed while
away) and a new subscription turns it on again, empty.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError

from ..config import Settings

log = logging.getLogger(__name__)

CHANNEL = "flowdesk:changes"


class RedisChangeFeed:
    """Topics published on ``flowdesk:changes:<db>`` (pub/sub ignores database numbers)."""

    def __init__(self, redis_url: str, retry_after: float = 1.0):
        # A ping every few seconds notices a connection that died without a reset, and a
        # publish from a committing request never waits long on an unreachable Redis.
        self._redis = Redis.from_url(redis_url, health_check_interval=5, socket_connect_timeout=5,
                                     socket_timeout=5)
        self.channel = f"{CHANNEL}:{self._redis.connection_pool.connection_kwargs.get('db', 0)}"
        self._retry_after = retry_after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = False

    def publish(self, topics: set[str]) -> None:
        self._redis.publish(self.channel, ",".join(sorted(topics)))

    def listen(self, on_change: Callable[[set[str]], None], on_listening: Callable[[bool], None]) -> None:
        self._thread = threading.Thread(target=self._run, args=(on_change, on_listening),
                                        name="flowdesk-change-feed", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _set_listening(self, listening: bool, on_listening: Callable[[bool], None]) -> None:
        if listening != self.listening:
            self.listening = listening
            on_listening(listening)
            log.info("change feed %s", "listening" if listening else "not listening: nothing is cached")

    def _run(self, on_change: Callable[[set[str]], None], on_listening: Callable[[bool], None]) -> None:
        warned = False
        while not self._stop.is_set():
            pubsub = self._redis.pubsub()
            try:
                pubsub.subscribe(self.channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._set_listening(True, on_listening)
                        warned = False
                    elif message["type"] == "message":
                        _apply(on_change, message["data"])
            except RedisError:  # Redis away: read from the database until it is back
                if not warned:
                    log.warning("change feed lost Redis; reading from the database until it is back", exc_info=True)
                    warned = True
            except _NoticeFailed:
                # Not Redis' fault: say what failed. A notice not applied may leave a stale read,
                # so the cache goes off and comes back empty with the next subscription.
                log.exception("change feed: applying a change notice failed; the cache is emptied")
            finally:
                self._set_listening(False, on_listening)
                try:
                    pubsub.close()
                except Exception:  # noqa: BLE001 - the connection is gone already
                    pass
            self._stop.wait(self._retry_after)


class _NoticeFailed(Exception):
    """The listener's own callback raised on a notice (a bug, not a lost connection)."""


def _apply(on_change: Callable[[set[str]], None], data: bytes) -> None:
    try:
        on_change(set(data.decode().split(",")))
    except Exception as exc:  # noqa: BLE001 - reported as what it is by the loop
        raise _NoticeFailed(repr(data)) from exc


def feed_for(settings: Settings) -> RedisChangeFeed | None:
    """The change feed of a process: on Redis when it is configured, else none (nothing is cached)."""
    return RedisChangeFeed(settings.redis_url) if settings.redis_url else None
