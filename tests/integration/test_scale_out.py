"""Scale out: two API processes, two workers and two schedulers on one PostgreSQL and Redis.

Drives a few hundred instances through them and checks that nothing ran twice and nothing
was lost: every action was called once, every timer fired once, every instance completed.
"""

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

DATA = Path(__file__).parent.parent / "data"
INSTANCES = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flowdesk.cli", *command], env=env,
                                stdout=subprocess.DEVNULL, stderr=out)


def _serve(env: dict, logs: Path, name: str, processes: list) -> str:
    """An API process answering /health; a port taken meanwhile by another connection is retried."""
    deadline = time.monotonic() + 120  # a loaded machine takes long to import and start
    for _ in range(3):
        port, log = _free_port(), logs / f"{name}.log"
        process = _start(["serve", "--port", str(port)], env, log)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        if process.poll() is None:
            break
    pytest.fail(f"{name} did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture
def cluster(postgres_url, redis_url, master_key, runtime, tmp_path):
    env = {**os.environ, "FLOWDESK_DATABASE_URL": postgres_url, "FLOWDESK_REDIS_URL": redis_url,
           "FLOWDESK_SECRET_KEY": master_key.decode(), "FLOWDESK_ACTION_ALLOW": "127.0.0.1",
           "FLOWDESK_ADMIN_KEY": "fd_cluster_admin", "FLOWDESK_AUTO_MIGRATE": "false", "FLOWDESK_LOG_LEVEL": "WARNING"}
    processes: list[subprocess.Popen] = []
    try:
        for n, command in enumerate([["worker"]] * 2 + [["scheduler"]] * 2):
            processes.append(_start(command, env, tmp_path / f"{command[0]}-{n}.log"))
        yield [_serve(env, tmp_path, f"api-{n}", processes) for n in range(2)]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_nothing_runs_twice_and_nothing_is_lost(cluster, action_server, runtime):
    headers = {"Authorization": "Bearer fd_cluster_admin"}
    model = (DATA / "call_then_wait.bpmn").read_text().replace("{{url}}", f"{action_server.url}/work")
    deployed = httpx.post(f"{cluster[0]}/api/v1/definitions", content=model.encode(), headers={
        **headers, "Content-Type": "application/xml"})
    assert deployed.status_code == 201, deployed.text

    ids = []
    with httpx.Client(timeout=30) as client:
        for n in range(INSTANCES):
            response = client.post(f"{cluster[n % 2]}/api/v1/processes/call_then_wait/instances", json={},
                                   headers=headers)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

    deadline = time.monotonic() + 240  # generous: a loaded CI machine is slower, a lost instance never arrives
    with runtime.db.connect() as conn:
        while time.monotonic() < deadline:
            done = conn.execute(sa.text("select count(*) from instances where status = 'completed'")).scalar()
            if done == INSTANCES:
                break
            time.sleep(0.5)
        statuses = Counter(s for (s,) in conn.execute(sa.text("select status from instances")))
        fired = Counter(i for (i,) in conn.execute(sa.text(
            "select instance_id from audit_events where action = 'timer.fired'")))

    assert statuses == {"completed": INSTANCES}
    keys = Counter(r["headers"].get("Idempotency-Key") for r in action_server.calls("/work"))
    assert len(keys) == INSTANCES and set(keys.values()) == {1}
    assert sorted(fired) == sorted(ids) and set(fired.values()) == {1}
