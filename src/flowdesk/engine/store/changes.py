"""Which committed changes other processes must hear about, and the port they hear it through.

Every session notes the watched tables its transaction wrote (ORM flushes and bulk
statements alike); once the commit is durable the runtime is told the topics, empties its own
:class:`~flowdesk.engine.store.read_cache.ReadCache` and publishes them on its change feed, so the
other API, worker and scheduler processes empty theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

IDENTITY = "identity"
WEBHOOKS = "webhooks"
DEFINITIONS = "definitions"

WATCHED_TABLES = {
    "api_keys": IDENTITY, "users": IDENTITY, "user_groups": IDENTITY, "tenants": IDENTITY,
    "webhook_subscriptions": WEBHOOKS, "definition_versions": DEFINITIONS,
}
# A statement run with this execution option changes nothing another process keeps (an API
# key's last use: a stale copy of it costs one extra UPDATE, never a wrong answer).
UNWATCHED = "flowdesk_unwatched"

_KEY = "changed_topics"


class ChangeFeed(Protocol):
    """The port between processes: topics out, and topics and listening state in."""

    def publish(self, topics: set[str]) -> None:
        """Tell the other processes that ``topics`` changed (after the commit)."""
        ...

    def listen(self, on_change: Callable[[set[str]], None], on_listening: Callable[[bool], None]) -> None:
        """Call ``on_change`` with the topics others publish, ``on_listening(False)`` whenever
        notices may be missed (disconnected) and ``on_listening(True)`` once they arrive again."""
        ...

    def close(self) -> None: ...


def _note(session: Session, table_name: str | None) -> None:
    topic = WATCHED_TABLES.get(table_name or "")
    if topic is not None:
        session.info.setdefault(_KEY, set()).add(topic)


def install(session_factory: sessionmaker[Session], on_commit: Callable[[set[str]], None]) -> None:
    """Call ``on_commit(topics)`` after each commit that wrote a watched table."""

    @event.listens_for(session_factory, "after_flush")
    def _flushed(session: Session, _context) -> None:
        for row in chain(session.new, session.dirty, session.deleted):
            _note(session, getattr(row, "__tablename__", None))

    @event.listens_for(session_factory, "do_orm_execute")
    def _executed(state: ORMExecuteState) -> None:
        if (state.is_insert or state.is_update or state.is_delete) and not state.execution_options.get(UNWATCHED):
            _note(state.session, getattr(getattr(state.statement, "table", None), "name", None))

    @event.listens_for(session_factory, "after_commit")
    def _committed(session: Session) -> None:
        topics = session.info.pop(_KEY, None)
        if topics:
            on_commit(topics)

    @event.listens_for(session_factory, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_KEY, None)
