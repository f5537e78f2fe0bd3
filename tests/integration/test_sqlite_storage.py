"""Embedded SQLite under contention and storage faults: bounded waits, 503 with Retry-After, reads
that never queue behind a writer, and recovery without a restart."""

import contextlib
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine.store import database
from flowdesk.engine.access import identity
from flowdesk.engine.store.runtime import Runtime

DATA = Path(__file__).parents[1] / "data"
ADMIN_KEY = "fd_test_admin_key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
BUSY_TIMEOUT = 1.0


@pytest.fixture
def sqlite_file(tmp_path, sqlite_template) -> Path:
    path = tmp_path / "flowdesk.sqlite3"
    shutil.copy(sqlite_template, path)
    return path


@pytest.fixture
def runtime(sqlite_file, master_key):
    rt = Runtime(f"sqlite:///{sqlite_file}", master_key=master_key, sqlite_busy_timeout=BUSY_TIMEOUT)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    app = create_app(Settings(database_url=runtime.database_url, admin_key=ADMIN_KEY, auto_migrate=False,
                              rate_limit=""), runtime=runtime)
    client = app.test_client()
    with (DATA / "two_step.bpmn").open("rb") as handle:
        response = client.post("/api/v1/definitions", data={"file": (handle, "two_step.bpmn")}, headers=ADMIN,
                               content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return client


def _start(client):
    return client.post("/api/v1/processes/two_step/instances", json={}, headers=ADMIN)


@contextlib.contextmanager
def _write_lock_held(path: Path):
    """Another process's long change: it holds SQLite's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_change_behind_a_held_write_lock_answers_503_after_the_bounded_wait(client, sqlite_file):
    with _write_lock_held(sqlite_file):
        began = time.monotonic()
        response = _start(client)
        waited = time.monotonic() - began
    assert response.status_code == 503, response.get_json()
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "application/problem+json"
    assert "busy" in response.get_json()["detail"]
    assert BUSY_TIMEOUT * 0.9 <= waited < BUSY_TIMEOUT + 2
    assert _start(client).status_code == 201  # the lock is gone: the next change goes through


def test_reads_do_not_wait_for_a_held_write_lock(client, sqlite_file):
    assert _start(client).status_code == 201
    with _write_lock_held(sqlite_file):
        began = time.monotonic()
        listed = client.get("/api/v1/instances", headers=ADMIN)
        waited = time.monotonic() - began
    assert listed.status_code == 200
    assert len(listed.get_json()["items"]) == 1
    assert waited < BUSY_TIMEOUT / 2


def test_a_read_with_a_key_not_used_lately_answers_while_the_write_lock_is_held(client, runtime, sqlite_file):
    _, key = identity.create_user(runtime, "reader", "agent", [])  # its first use would be recorded
    with _write_lock_held(sqlite_file):
        listed = client.get("/api/v1/instances", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200, listed.get_json()


def test_a_read_only_unit_of_work_that_writes_takes_the_lock_when_it_writes(runtime):
    token = database.read_only.set(True)
    try:
        identity.create_user(runtime, "late_writer", "agent", [])
    finally:
        database.read_only.reset(token)
    assert "late_writer" in [user.name for user in identity.list_users(runtime, _admin()).items]


def test_a_read_that_writes_after_another_change_is_refused_as_busy(runtime, sqlite_file):
    from flowdesk.engine.models import Tenant

    token = database.read_only.set(True)
    try:
        with runtime.uow() as uow:
            uow.session.get(Tenant, "default").name  # noqa: B018 - the read that fixes the snapshot
            other = sqlite3.connect(sqlite_file, isolation_level=None)
            other.execute("UPDATE tenants SET name = 'Changed' WHERE id = 'default'")
            other.close()
            uow.session.get(Tenant, "default").name = "Mine"
            with pytest.raises(Exception) as raised:
                uow.commit()
    finally:
        database.read_only.reset(token)
    assert database.unavailability(raised.value) == database.BUSY


def _admin():
    from flowdesk.engine.access.principal import Principal

    return Principal("cli", "cli", "admin", frozenset())


def test_full_storage_answers_503_naming_storage_and_reads_go_on(client, runtime):
    def cap_pages(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(runtime.db, "connect", cap_pages)
    runtime.db.dispose()
    try:
        responses = [_start(client) for _ in range(20)]  # free pages may take a few
        full = responses[-1]
        assert full.status_code == 503, full.get_json()
        assert full.get_json()["code"] == "storage_full"
        assert "storage" in full.get_json()["detail"]
        assert int(full.headers["Retry-After"]) > 0
        assert {r.status_code for r in responses} <= {201, 503}
        assert client.get("/api/v1/instances", headers=ADMIN).status_code == 200
    finally:
        event.remove(runtime.db, "connect", cap_pages)
        runtime.db.dispose()
    assert _start(client).status_code == 201


def test_writes_recover_without_a_restart_after_the_file_was_read_only(client, runtime, sqlite_file, read_only,
                                                                       eventually):
    assert _start(client).status_code == 201
    with read_only(sqlite_file):
        runtime.db.dispose()  # the pool's connections come and go: some are opened while read-only
        answers = [_start(client) for _ in range(3)]
        assert {r.status_code for r in answers} == {503}, [r.get_json() for r in answers]
        assert "cannot be written" in answers[0].get_json()["detail"]
        assert client.get("/api/v1/instances", headers=ADMIN).status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "cannot be written" in ready.get_json()["checks"]["database"]
    assert eventually(lambda: _start(client).status_code == 201, timeout=2, interval=0.05)
    assert all(_start(client).status_code == 201 for _ in range(10))
    assert client.get("/ready").status_code == 200
