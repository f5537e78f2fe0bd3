"""Nothing accepted is lost: killed workers, emptied Redis, slow and oversized answers."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from flowdesk.engine.process import jobs

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


@pytest.fixture
def deploy_action(client, admin):
    """Deploy the single_action template with the given URL, timeout and retries."""
    def deploy(url, timeout=5, retries=0):
        xml = (DATA / "single_action.bpmn").read_text()
        xml = xml.replace("{{url}}", url).replace("{{timeout}}", str(timeout)).replace("{{retries}}", str(retries))
        response = client.post("/api/v1/definitions", data=xml.encode(), content_type="application/xml",
                               headers=admin)
        assert response.status_code == 201, response.get_json()
    return deploy


def _instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def test_killed_worker_job_is_retried_with_same_idempotency_key(client, admin, deploy_action, start, drain,
                                                                 action_server, worker_runtime, postgres_url,
                                                                 redis_url, master_key, eventually):
    release = threading.Event()

    def reserve(request):
        if len(action_server.calls("/reserve")) == 1:
            release.wait(15)  # the first call hangs until the worker making it is dead
        return 200, {"reserved": True}, {}

    action_server.routes["/reserve"] = reserve
    deploy_action(f"{action_server.url}/reserve", timeout=5, retries=1)
    started = start("single_action")
    job_id = started["jobs"][0]["id"]

    env = {**os.environ, "FLOWDESK_DATABASE_URL": postgres_url, "FLOWDESK_REDIS_URL": redis_url,
           "FLOWDESK_SECRET_KEY": master_key.decode(), "FLOWDESK_ACTION_ALLOW": "127.0.0.1",
           "FLOWDESK_AUTO_MIGRATE": "false"}
    worker = subprocess.Popen([sys.executable, "-m", "flowdesk.cli", "worker", "--no-dispatcher"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert eventually(lambda: action_server.calls("/reserve"), 20), "the worker never called the action"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    release.set()
    assert _instance(client, admin, started["id"])["status"] == "running"

    # Time passes beyond the dead worker's lease; the dispatcher hands the job out again.
    real_clock = worker_runtime.clock
    worker_runtime.clock = lambda: real_clock() + timedelta(minutes=5)
    drain(until=lambda: _instance(client, admin, started["id"])["status"] == "completed")

    assert _instance(client, admin, started["id"])["status"] == "completed"
    keys = {r["headers"].get("Idempotency-Key") for r in action_server.calls("/reserve")}
    assert keys == {job_id}
    assert len(action_server.calls("/reserve")) == 2
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin).get_json()
    assert [a["outcome"] for a in job["attempt_log"]] == ["lost", "succeeded"]


def test_redis_emptied_while_jobs_pending_loses_nothing(client, admin, deploy_action, start, drain,
                                                        action_server, worker_runtime):
    deploy_action(f"{action_server.url}/reserve")
    instances = [start("single_action")["id"] for _ in range(5)]
    worker_runtime.queue.connection.flushdb()  # Redis restarted empty: every queued wake-up is gone
    assert worker_runtime.queue.queue.count == 0

    worker_runtime.requeue_after = 0
    drain(until=lambda: all(_instance(client, admin, i)["status"] == "completed" for i in instances))

    assert all(_instance(client, admin, i)["status"] == "completed" for i in instances)
    assert len(action_server.calls("/reserve")) == 5


def test_slow_endpoint_times_out_into_incident(client, admin, deploy_action, start, drain, action_server,
                                               worker_runtime):
    action_server.routes["/slow"] = lambda r: (time.sleep(3), (200, {}, {}))[1]
    deploy_action(f"{action_server.url}/slow", timeout=1, retries=1)
    started = start("single_action")
    began = time.monotonic()

    drain(until=lambda: _instance(client, admin, started["id"])["incidents"])

    [incident] = _instance(client, admin, started["id"])["incidents"]
    assert "timed out" in incident["message"]
    assert incident["attempts"] == 2
    assert time.monotonic() - began < 6


def test_huge_response_is_cut(client, admin, deploy_action, start, drain, action_server, worker_runtime):
    action_server.routes["/huge"] = lambda r: (200, b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}', {})
    deploy_action(f"{action_server.url}/huge")
    started = start("single_action")

    drain(until=lambda: _instance(client, admin, started["id"])["incidents"])

    [incident] = _instance(client, admin, started["id"])["incidents"]
    assert "larger than 1048576 bytes" in incident["message"]
    assert _instance(client, admin, started["id"])["variables"].get("answer") is None


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x",
                                 "http://2130706433/x"])
def test_internal_addresses_are_refused(client, admin, deploy_action, start, drain, worker_runtime, url):
    worker_runtime.action_allow_hosts = ()
    deploy_action(url, retries=3)
    started = start("single_action")

    drain(until=lambda: _instance(client, admin, started["id"])["incidents"])

    [incident] = _instance(client, admin, started["id"])["incidents"]
    assert incident["message"].startswith("action URL refused")
    assert incident["attempts"] == 1
