"""``flowdesk worker`` outlives Redis going away mid-job: nobody has to restart it, and every job completes.

Redis is taken away by cutting a TCP proxy the test starts (``redis_proxy``), never the shared server.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

DATA = Path(__file__).parent.parent / "data"
JOBS = 12


def _completed(runtime) -> int:
    with runtime.db.connect() as conn:
        return conn.execute(sa.text("select count(*) from instances where status = 'completed'")).scalar()


def _check(process: str, heartbeat_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowdesk.cli", "check", process], capture_output=True, text=True,
                          env={"FLOWDESK_HEARTBEAT_DIR": str(heartbeat_dir), "PATH": "/usr/bin:/bin"}, timeout=60)


@pytest.fixture
def queued_jobs(worker_runtime, client, admin, action_server):
    """JOBS instances waiting on an action that takes half a second."""
    def answer(request):
        time.sleep(0.5)
        return 200, {"done": True}, {}

    action_server.routes["/slow"] = answer
    xml = ((DATA / "single_action.bpmn").read_text().replace("{{url}}", f"{action_server.url}/slow")
           .replace("{{timeout}}", "20").replace("{{retries}}", "0"))
    assert client.post("/api/v1/definitions", data=xml.encode(), content_type="application/xml",
                       headers=admin).status_code == 201
    for _ in range(JOBS):
        assert client.post("/api/v1/processes/single_action/instances", json={}, headers=admin).status_code == 201


def test_workers_outlive_a_redis_cut_during_jobs_and_finish_every_job(worker_runtime, queued_jobs, action_server,
                                                                     spawn, redis_proxy, postgres_url, tmp_path,
                                                                     eventually):
    proxy, proxied_url = redis_proxy
    env = {"FLOWDESK_DATABASE_URL": postgres_url, "FLOWDESK_REDIS_URL": proxied_url}
    workers = [spawn(["worker"], env) for _ in range(2)]
    assert eventually(lambda: len(action_server.calls("/slow")) >= 2, timeout=60)

    proxy.cut()  # both workers are inside a job: its result is recorded, its RQ bookkeeping is not
    time.sleep(5)
    logs = "\n".join(Path(w.log_path).read_text() for w in workers)
    assert [w.poll() for w in workers] == [None, None], logs
    proxy.restore()

    assert eventually(lambda: _completed(worker_runtime) == JOBS, timeout=60, interval=0.2), logs
    assert [w.poll() for w in workers] == [None, None]
    probe = _check("worker", tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert "worker: ok" in probe.stdout


def test_a_worker_started_while_redis_is_away_waits_for_it(worker_runtime, queued_jobs, spawn, redis_proxy,
                                                           postgres_url, eventually):
    proxy, proxied_url = redis_proxy
    proxy.cut()
    worker = spawn(["worker"], {"FLOWDESK_DATABASE_URL": postgres_url, "FLOWDESK_REDIS_URL": proxied_url})
    assert eventually(lambda: "Connection refused" in Path(worker.log_path).read_text(), timeout=60)
    time.sleep(3)  # past the first retries
    assert worker.poll() is None, Path(worker.log_path).read_text()
    proxy.restore()
    assert eventually(lambda: _completed(worker_runtime) == JOBS, timeout=60, interval=0.2), \
        Path(worker.log_path).read_text()
    assert worker.poll() is None
