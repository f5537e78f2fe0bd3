"""Stopping with SIGTERM, the way a container platform stops flowdesk processes.

A worker finishes the action call in flight (or, on a second signal, hands the job back) and
exits 0; the scheduler stops between rounds; the embedded server stops its threads. Every
job still completes exactly once and every timer fires exactly once.
"""

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from flowdesk.engine.process import jobs, scheduler

DATA = Path(__file__).parent.parent / "data"


def _wait_for(condition, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


def _stopped(process: subprocess.Popen, timeout: float = 60.0) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the process did not stop; its log:\n{Path(process.log_path).read_text()}")


@pytest.fixture
def cluster_env(postgres_url, redis_url):
    return {"FLOWDESK_DATABASE_URL": postgres_url, "FLOWDESK_REDIS_URL": redis_url}


@pytest.fixture
def slow_action(client, admin, action_server):
    """Deploy ``single_action`` calling ``/slow``, which answers after ``delays`` seconds in turn."""
    delays = []

    def answer(request):
        time.sleep(delays.pop(0) if delays else 0)
        return 200, {"done": True}, {}

    action_server.routes["/slow"] = answer
    xml = ((DATA / "single_action.bpmn").read_text().replace("{{url}}", f"{action_server.url}/slow")
           .replace("{{timeout}}", "20").replace("{{retries}}", "0"))
    response = client.post("/api/v1/definitions", data=xml.encode(), content_type="application/xml", headers=admin)
    assert response.status_code == 201, response.get_json()
    return delays


def _job_rows(runtime):
    with runtime.db.connect() as conn:
        return conn.execute(sa.text("select id, status, attempts from jobs order by created_at")).all()


def _instance_statuses(runtime):
    with runtime.db.connect() as conn:
        return sorted(s for (s,) in conn.execute(sa.text("select status from instances")))


def test_worker_finishes_the_call_in_flight_then_exits(worker_runtime, slow_action, start, spawn, cluster_env,
                                                       action_server, drain):
    slow_action.extend([2.0, 0])
    start("single_action")
    start("single_action")
    worker = spawn(["worker", "--no-dispatcher"], cluster_env)
    _wait_for(lambda: action_server.calls("/slow"), timeout=120, what="the worker to call the action")

    worker.send_signal(signal.SIGTERM)

    assert _stopped(worker) == 0
    assert len(action_server.calls("/slow")) == 1  # the call in flight finished; nothing new was taken
    assert sorted((status, attempts) for _, status, attempts in _job_rows(worker_runtime)) == [
        ("pending", 0), ("succeeded", 1)]
    drain(until=lambda: _instance_statuses(worker_runtime) == ["completed", "completed"])
    assert _instance_statuses(worker_runtime) == ["completed", "completed"]
    keys = [call["headers"]["Idempotency-Key"] for call in action_server.calls("/slow")]
    assert sorted(keys) == sorted(job_id for job_id, _, _ in _job_rows(worker_runtime))


def test_second_sigterm_hands_the_job_back_to_another_worker(worker_runtime, slow_action, start, spawn,
                                                             cluster_env, action_server, drain):
    slow_action.extend([60.0, 0])
    started = start("single_action")
    worker = spawn(["worker", "--no-dispatcher"], cluster_env)
    _wait_for(lambda: action_server.calls("/slow"), timeout=120, what="the worker to call the action")

    worker.send_signal(signal.SIGTERM)
    time.sleep(1.5)  # RQ ignores a second signal within a second of the first
    worker.send_signal(signal.SIGTERM)

    assert _stopped(worker, timeout=40) == 0  # well before the 60 s call would have ended
    [(job_id, status, attempts)] = _job_rows(worker_runtime)
    assert (status, attempts) == ("pending", 1)  # back at once, not after the lease runs out
    with worker_runtime.db.connect() as conn:
        outcomes = conn.execute(sa.text("select outcome from job_attempts where job_id = :j"), {"j": job_id}).all()
    assert outcomes == [("interrupted",)]

    drain(until=lambda: _instance_statuses(worker_runtime) == ["completed"])

    assert _instance_statuses(worker_runtime) == ["completed"]
    [(_, status, attempts)] = _job_rows(worker_runtime)
    assert (status, attempts) == ("succeeded", 2)  # the interruption did not use up the only try
    assert [c["headers"]["Idempotency-Key"] for c in action_server.calls("/slow")] == [job_id, job_id]
    with worker_runtime.db.connect() as conn:
        succeeded = conn.execute(sa.text("select count(*) from audit_events where action = 'job.attempted' "
                                         "and instance_id = :i"), {"i": started["id"]}).scalar()
    assert succeeded == 1


def test_scheduler_stops_between_rounds_and_no_timer_fires_twice(runtime, deploy, start, spawn, cluster_env):
    deploy("brief_timer.bpmn")
    ids = [start("brief_timer")["id"] for _ in range(60)]
    time.sleep(1.1)  # every timer is due
    scheduler_process = spawn(["scheduler", "--no-dispatcher"], cluster_env)

    def fired():
        with runtime.db.connect() as conn:
            return dict(conn.execute(sa.text("select instance_id, count(*) from audit_events "
                                             "where action = 'timer.fired' group by instance_id")).all())

    _wait_for(lambda: fired(), timeout=120, what="the scheduler to fire a timer")
    scheduler_process.send_signal(signal.SIGTERM)

    assert _stopped(scheduler_process) == 0
    assert set(fired().values()) == {1}
    while scheduler.fire_due_timers(runtime):  # another scheduler takes over the rest
        pass
    assert sorted(fired()) == sorted(ids) and set(fired().values()) == {1}
    with runtime.db.connect() as conn:
        tickets = conn.execute(sa.text("select count(*) from tickets where element_id = 'follow_up' "
                                       "and status = 'open'")).scalar()
    assert tickets == len(ids)


def test_embedded_server_lets_its_worker_threads_finish_on_sigterm(tmp_path, spawn, action_server):
    database = tmp_path / "embedded.sqlite3"
    port = _free_port()
    server = spawn(["serve", "--port", str(port)], {
        "FLOWDESK_DATABASE_URL": f"sqlite:///{database}", "FLOWDESK_AUTO_MIGRATE": "true",
        "FLOWDESK_ADMIN_KEY": "fd_embedded_admin"})
    api, headers = f"http://127.0.0.1:{port}", {"Authorization": "Bearer fd_embedded_admin"}

    def up():
        try:
            return httpx.get(f"{api}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    _wait_for(up, timeout=120, what="the server to start")
    action_server.routes["/slow"] = lambda r: (time.sleep(2), (200, {"done": True}, {}))[1]
    xml = ((DATA / "single_action.bpmn").read_text().replace("{{url}}", f"{action_server.url}/slow")
           .replace("{{timeout}}", "20").replace("{{retries}}", "0"))
    assert httpx.post(f"{api}/api/v1/definitions", content=xml.encode(),
                      headers={**headers, "Content-Type": "application/xml"}).status_code == 201
    assert httpx.post(f"{api}/api/v1/processes/single_action/instances", json={},
                      headers=headers).status_code == 201
    _wait_for(lambda: action_server.calls("/slow"), timeout=120, what="the embedded worker to call the action")

    server.send_signal(signal.SIGTERM)

    assert _stopped(server) == 0
    assert "stopped" in Path(server.log_path).read_text()
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select status, attempts from jobs")).all() == [("succeeded", 1)]
        assert conn.execute(sa.text("select status from instances")).all() == [("completed",)]
    engine.dispose()
