"""The scheduler loop outlives database outages and an unmigrated schema, and /ready tells when it is down.

PostgreSQL is taken away by cutting a TCP proxy the test starts (``db_proxy``), never the shared server.
"""

import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine.process import scheduler as engine_scheduler
from flowdesk.engine.store.runtime import Runtime
from flowdesk.server import build
from flowdesk.workers import context, scheduler

DATA = Path(__file__).parents[1] / "data"
ADMIN_KEY = "fd_test_admin_key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


class MovableClock:
    """Real time plus an offset the test moves forward (timers become due without waiting)."""

    def __init__(self):
        self.offset = timedelta()

    def __call__(self):
        return datetime.now(timezone.utc) + self.offset

    def advance(self, **delta):
        self.offset += timedelta(**delta)


def _client(runtime):
    app = create_app(Settings(database_url=runtime.database_url, admin_key=ADMIN_KEY, auto_migrate=False,
                              rate_limit=""), runtime=runtime)
    client = app.test_client()
    with (DATA / "waiting_events.bpmn").open("rb") as handle:
        response = client.post("/api/v1/definitions", data={"file": (handle, "waiting_events.bpmn")},
                               headers=ADMIN, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return client


def _start_reminder(client) -> str:
    response = client.post("/api/v1/processes/reminder/instances", json={}, headers=ADMIN)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _open_tickets(client, instance_id: str) -> list[str]:
    detail = client.get(f"/api/v1/instances/{instance_id}", headers=ADMIN).get_json()
    return [ticket["element_id"] for ticket in detail.get("open_tickets", [])]


@pytest.fixture
def proxied_runtime(pg_runtime, db_proxy, master_key):
    """A PostgreSQL runtime whose every connection goes through the proxy, on a movable clock."""
    proxy, url = db_proxy
    runtime = Runtime(url, master_key=master_key, clock=MovableClock())
    yield runtime, proxy
    runtime.close()


def test_the_scheduler_survives_a_database_cut_and_fires_timers_after_it(proxied_runtime, eventually):
    runtime, proxy = proxied_runtime
    client = _client(runtime)
    loop = scheduler.start_thread(runtime)
    try:
        proxy.cut()
        time.sleep(3)
        assert loop.thread.is_alive()
        proxy.restore()
        instance_id = _start_reminder(client)
        runtime.clock.advance(minutes=11)
        assert eventually(lambda: _open_tickets(client, instance_id) == ["follow_up"], timeout=30, interval=0.2)
        assert loop.thread.is_alive()
    finally:
        loop.stop()


def test_the_scheduler_waits_for_the_schema_and_runs_once_it_is_migrated(tmp_path, master_key, eventually):
    runtime = Runtime(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", master_key=master_key, clock=MovableClock())
    loop = scheduler.start_thread(runtime)
    try:
        time.sleep(1.5)  # several rounds against tables that do not exist yet
        assert loop.thread.is_alive()
        runtime.upgrade_schema()
        client = _client(runtime)
        instance_id = _start_reminder(client)
        runtime.clock.advance(minutes=11)
        assert eventually(lambda: _open_tickets(client, instance_id) == ["follow_up"], timeout=30, interval=0.2)
    finally:
        loop.stop()
        runtime.close()


def test_the_scheduler_survives_its_sqlite_file_turning_read_only(tmp_path, sqlite_template, master_key, read_only,
                                                                  eventually):
    path = tmp_path / "flowdesk.sqlite3"
    shutil.copy(sqlite_template, path)
    runtime = Runtime(f"sqlite:///{path}", master_key=master_key, clock=MovableClock())
    client = _client(runtime)
    waiting = _start_reminder(client)
    loop = scheduler.start_thread(runtime)
    try:
        with read_only(path):
            runtime.db.dispose()  # connections opened from now on are read-only ones
            runtime.clock.advance(minutes=11)  # the timer falls due while nothing can be written
            time.sleep(3)
            assert loop.thread.is_alive()
            assert _open_tickets(client, waiting) == []
        assert eventually(lambda: _open_tickets(client, waiting) == ["follow_up"], timeout=30, interval=0.2)
        assert loop.thread.is_alive()
    finally:
        loop.stop()
        runtime.close()


@pytest.fixture
def embedded(tmp_path, sqlite_template, monkeypatch):
    """``flowdesk serve`` in embedded mode (SQLite, scheduler and workers as threads): its test client."""
    path = tmp_path / "flowdesk.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setattr(scheduler, "STALLED_AFTER", 1.0)
    app, runtime = build(Settings(database_url=f"sqlite:///{path}", admin_key=ADMIN_KEY, auto_migrate=False,
                                  rate_limit="", secret_key="embedded-test-secret"))
    client = app.test_client()
    client.runtime = runtime
    yield client
    runtime.close()
    context.use(None)


def test_ready_reports_every_loop_of_the_embedded_server(embedded):
    ready = embedded.get("/ready")
    assert ready.status_code == 200
    checks = ready.get_json()["checks"]
    assert {name: checks[name] for name in ("scheduler", "worker-0", "worker-1")} == {
        "scheduler": "ok", "worker-0": "ok", "worker-1": "ok"}


def test_ready_names_an_embedded_worker_stuck_in_a_job_past_its_limit(embedded, monkeypatch, eventually):
    from flowdesk.workers import actions, queue

    release = threading.Event()
    monkeypatch.setattr(actions, "perform", lambda rt, job_id: release.wait(30))
    monkeypatch.setattr(queue.InProcessQueue, "JOB_LIMIT", 0.5)
    monkeypatch.setattr(queue.InProcessQueue, "STALLED_AFTER", 0.5)
    try:
        embedded.runtime.queue.enqueue("a-job-that-hangs")
        assert eventually(lambda: embedded.get("/ready").status_code == 503, timeout=10, interval=0.1)
        checks = embedded.get("/ready").get_json()["checks"]
        assert sorted(checks[name][:7] for name in ("worker-0", "worker-1")) == ["ok", "stalled"]
    finally:
        release.set()
    assert eventually(lambda: embedded.get("/ready").status_code == 200, timeout=10, interval=0.1)


def test_ready_names_the_scheduler_when_its_rounds_keep_failing(embedded, monkeypatch, eventually):
    assert embedded.get("/ready").status_code == 200

    def fail(rt):
        raise RuntimeError("the round broke")

    monkeypatch.setattr(engine_scheduler, "run_round", fail)
    assert eventually(lambda: embedded.get("/ready").status_code == 503, timeout=10, interval=0.1)
    checks = embedded.get("/ready").get_json()["checks"]
    assert "stalled" in checks["scheduler"] and "RuntimeError: the round broke" in checks["scheduler"]
    assert checks["database"] == "ok"

    monkeypatch.undo()
    assert eventually(lambda: embedded.get("/ready").status_code == 200, timeout=20, interval=0.1)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the death is the point
def test_ready_names_the_scheduler_when_its_thread_has_died(embedded, monkeypatch, eventually):
    def die(rt):
        raise SystemExit("the thread ends")

    monkeypatch.setattr(engine_scheduler, "run_round", die)
    assert eventually(lambda: embedded.get("/ready").status_code == 503, timeout=10, interval=0.1)
    assert "thread has ended" in embedded.get("/ready").get_json()["checks"]["scheduler"]


def test_flowdesk_scheduler_keeps_running_through_a_database_cut(pg_runtime, db_proxy, spawn, tmp_path, eventually):
    proxy, url = db_proxy
    process = spawn(["scheduler"], {"FLOWDESK_DATABASE_URL": url})
    assert eventually(lambda: _check_scheduler(tmp_path).returncode == 0, timeout=30, interval=0.2)

    proxy.cut()
    time.sleep(4)
    assert process.poll() is None, Path(process.log_path).read_text()
    assert _check_scheduler(tmp_path).returncode == 0  # alive and retrying: a restart would not help
    proxy.restore()

    assert eventually(lambda: "recovered" in Path(process.log_path).read_text(), timeout=30, interval=0.2)
    assert process.poll() is None


def _check_scheduler(heartbeat_dir: Path):
    return subprocess.run([sys.executable, "-m", "flowdesk.cli", "check", "scheduler"], capture_output=True,
                          text=True, env={"FLOWDESK_HEARTBEAT_DIR": str(heartbeat_dir), "PATH": "/usr/bin:/bin"},
                          timeout=60)
