"""Database engines and sessions for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg2, the driver flowdesk ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    """An engine with the settings flowdesk relies on for ``url``'s backend."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    # A bounded connect and pool wait: while the server is away requests fail fast (503), not hang.
    # values_plus_batch: a flush's UPDATEs of many rows (a scheduler batch) go in one round trip.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_timeout=10,
                           executemany_mode="values_plus_batch", connect_args={"connect_timeout": 5})
    _ping_idle_connections(engine)
    return engine


IDLE_PING_SECONDS = 2.0


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle for ``IDLE_PING_SECONDS``.

    ``pool_pre_ping`` pings on every checkout: a round trip per transaction, a tenth of an
    API worker's time under load. A connection in steady use has just proved itself; one that
    breaks mid-use raises a disconnect error, which invalidates the whole pool (503, then fresh
    connections). An idle one may have been dropped meanwhile (server restart, firewall): it
    is pinged, and replaced without the caller seeing an error.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means: use another connection
            raise DisconnectionError("the pooled connection did not answer a ping") from exc
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached right now (retry later), not a bug."""
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        # psycopg2 gives server-reported errors an SQLSTATE; a lost or refused connection has none.
        # (SQLite errors have no pgcode: "no such table" is a bug, "locked" contention.)
        return isinstance(error, (OperationalError, InterfaceError)) and getattr(error.orig, "pgcode", "") is None
    return False


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from the driver so BEGIN IMMEDIATE below is what runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # SQLite's stand-in for SELECT ... FOR UPDATE: take the write lock when the
        # transaction starts, so two commands never interleave load and save.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
