"""Pooled PostgreSQL connections: pinged only after sitting idle, replaced when dead."""

import time

import sqlalchemy as sa

from flowdesk.engine.store import database


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("select pg_backend_pid()")).scalar()


def _terminate(postgres_url: str, pid: int) -> None:
    killer = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        conn.execute(sa.text("select pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def test_a_connection_in_steady_use_is_not_pinged(postgres_url):
    engine = database.make_engine(postgres_url)
    pings = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: pings.append(args[2]))
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda conn: pings.append("ping") or original(conn)
    _backend_pid(engine)
    _backend_pid(engine)
    assert "ping" not in pings
    engine.dispose()


def test_an_idle_connection_killed_by_the_server_is_replaced_unnoticed(postgres_url, monkeypatch):
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.2)
    engine = database.make_engine(postgres_url)
    first = _backend_pid(engine)
    _terminate(postgres_url, first)
    time.sleep(0.3)
    second = _backend_pid(engine)  # no error: the ping found the dead connection first
    assert second != first
    engine.dispose()


def test_a_connection_dropped_in_use_fails_once_then_the_pool_recovers(postgres_url):
    engine = database.make_engine(postgres_url)
    first = _backend_pid(engine)
    _terminate(postgres_url, first)
    try:
        _backend_pid(engine)
    except sa.exc.DBAPIError as exc:
        assert database.is_unavailable(exc)
    assert _backend_pid(engine) != first
    engine.dispose()
