"""Database engines and sessions for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

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


# Set by a caller whose transactions only read (the API for GET and HEAD): on SQLite they
# start with a plain BEGIN and share the database with a writer instead of queueing for its lock.
read_only: ContextVar[bool] = ContextVar("flowdesk_read_only", default=False)


@contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside mostly read: on SQLite they begin without the write lock (see
    :data:`read_only`); a write in them must tolerate failing as busy."""
    token = read_only.set(True)
    try:
        yield
    finally:
        read_only.reset(token)

# Seconds a SQLite transaction waits for another's write lock before giving up (then: 503).
DEFAULT_SQLITE_BUSY_TIMEOUT = 5.0


def make_engine(url: str, sqlite_busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT) -> Engine:
    """An engine with the settings flowdesk relies on for ``url``'s backend."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout})
        _configure_sqlite(engine, sqlite_busy_timeout)
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


class Unavailability(NamedTuple):
    """Why the database cannot serve a command right now: ``code`` for clients, ``detail`` for people."""

    code: str
    detail: str


UNREACHABLE = Unavailability("unavailable", "the database cannot be reached")
STORAGE_FULL = Unavailability("storage_full", "the database's storage is full")
STORAGE_READ_ONLY = Unavailability("unavailable", "the database's storage cannot be written")
BUSY = Unavailability("unavailable", "the database is busy with other changes")

# SQLite primary result codes (extended codes carry them in the low byte).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 5, 6, 8, 10, 13, 14
_SQLITE_UNAVAILABLE = {_SQLITE_BUSY: BUSY, _SQLITE_LOCKED: BUSY, _SQLITE_READONLY: STORAGE_READ_ONLY,
                       _SQLITE_IOERR: STORAGE_READ_ONLY, _SQLITE_CANTOPEN: STORAGE_READ_ONLY,
                       _SQLITE_FULL: STORAGE_FULL}
# A SQLite connection that met these stays unable to write after the storage is back (it was
# opened read-only, or its file handle failed): the pool must open fresh ones.
_SQLITE_STALE = frozenset({_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN})


def _sqlite_code(dbapi_error: BaseException | None) -> int | None:
    code = getattr(dbapi_error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def unavailability(error: BaseException) -> Unavailability | None:
    """Why the database cannot serve right now (retry later), or None when ``error`` is a bug."""
    if isinstance(error, PoolTimeout):
        return UNREACHABLE
    if not isinstance(error, DBAPIError):
        return None
    sqlite_code = _sqlite_code(error.orig)
    if sqlite_code is not None:
        # "no such table" or a constraint is a bug; busy, read-only or full storage is not.
        return _SQLITE_UNAVAILABLE.get(sqlite_code)
    if error.connection_invalidated:
        return UNREACHABLE
    pgcode = getattr(error.orig, "pgcode", "")
    if pgcode == "53100":  # disk_full
        return STORAGE_FULL
    if pgcode in ("57P01", "57P02", "57P03"):  # the server shuts down or is starting
        return UNREACHABLE
    # psycopg2 gives server-reported errors an SQLSTATE; a lost or refused connection has none.
    if isinstance(error, (OperationalError, InterfaceError)) and pgcode is None:
        return UNREACHABLE
    return None


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot serve right now (retry later), not a bug."""
    return unavailability(error) is not None


def storage_problem(engine: Engine) -> str | None:
    """For a SQLite file: what keeps it from being written (read-only file or directory), else None."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or path in (None, "", ":memory:"):
        return None
    for candidate in (path, f"{path}-wal", os.path.dirname(os.path.abspath(path))):
        if os.path.exists(candidate) and not os.access(candidate, os.W_OK):
            return f"{candidate} cannot be written"
    return None


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from the driver so the BEGIN below is what runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            # WAL: readers never wait for the writer, nor it for them.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if read_only.get():
            # A snapshot read: it takes no lock. Should it write after all, it takes the lock
            # then, or fails as busy (503) when another write came first.
            connection.exec_driver_sql("BEGIN")
        else:
            # SQLite's stand-in for SELECT ... FOR UPDATE: take the write lock when the
            # transaction starts, so two commands never interleave load and save.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        if _sqlite_code(context.original_exception) in _SQLITE_STALE:
            context.is_disconnect = True  # drop every pooled connection: fresh ones can write again


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
