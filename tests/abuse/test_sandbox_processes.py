"""Modeler code runs in sandbox processes: a bomb ends as a script error and the server keeps answering."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import asdict
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from flowdesk.bpmn.sandbox import limits, pool

TEMPLATE = (Path(__file__).parent / "script_task.bpmn").read_text()
MIB = 1024 ** 2


@pytest.fixture
def sandbox(request):
    """``sandbox(wall_seconds=1, timeout=10)``: a fresh small pool and evaluator limits for this test only."""
    previous = limits.LIMITS

    def set_up(wall_seconds: float = 2.0, memory_bytes: int = 512 * MIB, **evaluator_limits):
        pool.configure(pool.PoolSettings(processes=2, memory_bytes=memory_bytes, wall_seconds=wall_seconds))
        limits.configure(**evaluator_limits)
    yield set_up
    pool.configure(None)
    limits.configure(**asdict(previous))


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


# Another client's request must answer within this while a bomb runs, on both backends: on
# SQLite its reads take no write lock, so the completion holding that lock does not stall it.
ANSWER_LIMIT = 1.0


def _run_bomb_while_measuring(client, admin, start, script: str) -> tuple[object, float, float]:
    """Complete the step before ``script``; meanwhile another client lists definitions. -> (answer, secs, slowest)."""
    xml = TEMPLATE.replace("SCRIPT", escape(script))
    client.post("/api/v1/definitions", data={"file": (io.BytesIO(xml.encode()), "bomb.bpmn")},
                headers=admin, content_type="multipart/form-data")
    instance = start("hostile")
    [ticket] = client.get(f"/api/v1/tickets?instance_id={instance['id']}", headers=admin).get_json()["items"]
    latencies, done = [], threading.Event()

    def other_client():
        while not done.is_set():
            began = time.monotonic()
            assert client.get("/api/v1/definitions", headers=admin).status_code == 200
            latencies.append(time.monotonic() - began)
            time.sleep(0.05)

    watcher = threading.Thread(target=other_client)
    watcher.start()
    began = time.monotonic()
    try:
        answer = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {}}, headers=admin)
    finally:
        elapsed = time.monotonic() - began
        done.set()
        watcher.join()
    return answer, elapsed, max(latencies)


def test_cpu_bomb_is_stopped_by_the_wall_clock_and_others_keep_answering(client, admin, start, sandbox):
    sandbox(wall_seconds=1.5, timeout=30)  # the evaluator's own clock would wait 30 s: the process limit acts

    answer, elapsed, slowest = _run_bomb_while_measuring(client, admin, start, "while True:\n    pass")

    assert answer.status_code == 422
    assert "hostile_script" in answer.get_json()["detail"]
    assert "ScriptTimeout" in answer.get_json()["detail"]
    assert elapsed < 5
    assert slowest < ANSWER_LIMIT


def test_memory_bomb_ends_as_a_script_error_outside_the_server(client, admin, start, sandbox):
    # The evaluator's memory guard allows 4 GiB here: the process's address space limit acts first.
    sandbox(wall_seconds=10, memory_bytes=256 * MIB, timeout=30, max_memory_bytes=4096 * MIB)
    before = _resident_bytes()

    answer, _, slowest = _run_bomb_while_measuring(
        client, admin, start, "chunks = []\nwhile True:\n    chunks.append('x' * 500000 + str(len(chunks)))")

    assert answer.status_code == 422
    assert "ScriptMemoryExceeded" in answer.get_json()["detail"]
    assert _resident_bytes() - before < 64 * MIB
    assert slowest < ANSWER_LIMIT


def test_the_process_is_replaced_and_the_next_script_runs(client, admin, start, deploy, sandbox):
    sandbox(wall_seconds=1, timeout=30)
    _run_bomb_while_measuring(client, admin, start, "while True:\n    pass")

    deploy("spiff_dialect.bpmn")
    instance = start("spiff_dialect", variables={"price": 3, "quantity": 4})

    assert client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["variables"]["total"] == 12


def test_ready_says_how_modeler_code_is_contained(client, sandbox):
    sandbox()

    details = client.get("/ready").get_json()["details"]

    assert details["sandbox"].startswith("2 sandbox processes")


def test_a_sandbox_process_has_no_network(sandbox):
    sandbox()

    status = pool.status()

    if "no network isolation" in status:
        pytest.skip(f"this machine allows neither user namespaces nor seccomp: {status}")
    assert ", no network (" in status


_SYSCALL_PROBE = """
import os, socket, sys
from flowdesk.bpmn.sandbox import child
problem = child._refuse_syscalls()
if problem:
    print("skip", problem)
    sys.exit(0)
outcomes = []
for attempt in (lambda: socket.socket(), lambda: socket.create_connection(("127.0.0.1", 5432)),
                lambda: os.execv("/bin/true", ["true"]), lambda: os.fork()):
    try:
        attempt()
        outcomes.append("allowed")
    except OSError as exc:
        outcomes.append(exc.errno)
print(outcomes)
"""


def test_the_seccomp_filter_refuses_sockets_exec_and_fork():
    import subprocess
    import sys

    output = subprocess.run([sys.executable, "-c", _SYSCALL_PROBE], capture_output=True, text=True,
                            timeout=30, check=True).stdout.strip()

    if output.startswith("skip"):
        pytest.skip(output)
    assert output == "[1, 1, 1, 1]"


def test_a_sandbox_process_forgets_one_tenant_before_serving_another():
    from flowdesk.bpmn.sandbox.child import _Child
    from flowdesk.bpmn.sandbox.policy import _compile

    child = _Child()
    child.answer({"op": "exec", "source": "secret_formula = 42", "data": {}, "tenant": "acme"})
    child.answer({"op": "exec", "source": "n = 1", "data": {}, "tenant": "acme"})
    kept_for_acme = _compile.cache_info().currsize

    reply = child.answer({"op": "exec", "source": "n = 2", "data": {}, "tenant": "globex"})

    assert kept_for_acme >= 2
    assert _compile.cache_info().currsize == 1
    assert reply["data"] == {"n": 2}


def test_an_idle_process_of_the_same_tenant_is_preferred(sandbox):
    sandbox()
    previous = pool._tenant_of
    pool.set_tenant_source(lambda: "acme")
    try:
        pool.current().warm()
        pool.execute("n = 1", {})
        [acme_child] = pool.current().idle

        pool.execute("n = 2", {})

        assert pool.current().idle == [acme_child]
    finally:
        pool.set_tenant_source(previous)


def test_bombs_filling_every_process_do_not_make_others_wait(sandbox):
    sandbox(wall_seconds=1.5, timeout=30)
    outcomes = []

    def bomb():
        try:
            pool.execute("while True: pass", {})
        except limits.ScriptTimeout:
            outcomes.append("stopped")

    bombs = [threading.Thread(target=bomb) for _ in range(2)]
    for thread in bombs:
        thread.start()
    time.sleep(0.3)
    began, data = time.monotonic(), {"n": 1}

    pool.execute("n += 1", data)

    assert (data["n"], time.monotonic() - began < 1.0) == (2, True)
    for thread in bombs:
        thread.join()
    assert outcomes == ["stopped", "stopped"]
    assert len(pool.current().idle) <= 2


def test_without_processes_the_evaluator_runs_in_process(sandbox):
    pool.configure(pool.PoolSettings(processes=0))
    data = {"n": 1}

    from flowdesk.bpmn.script_engine import RestrictedEnvironment
    RestrictedEnvironment().execute("n += 1", data)

    assert (data["n"], pool.current(), pool.status().startswith("in-process")) == (2, None, True)


def test_a_process_that_cannot_start_is_a_script_error(sandbox, monkeypatch):
    sandbox()
    monkeypatch.setattr(pool, "_BOOTSTRAP", "raise SystemExit(3)")  # every child ends before its greeting

    with pytest.raises(limits.SandboxLimitExceeded):
        pool.execute("n = 1", {})

    assert pool.current().count == 0
