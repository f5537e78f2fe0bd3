"""Benchmark 7: embedded SQLite, reads beside writes.

``flowdesk serve`` in embedded mode (SQLite file, WAL, worker and scheduler threads) on a fresh
file in a temporary directory; 16 client threads list instances and tickets (GET) while 2 more
start instances (POST) as fast as they are answered, for ``--seconds``. Prints p50/p95/p99 of
each kind and the counts per status: reads must not queue behind the writers' lock.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import httpx

ADMIN_KEY = "bench-admin-key"
PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_bench_reads" targetNamespace="http://flowdesk.dev/bench">
  <bpmn:process id="bench_reads" name="Bench reads" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="Review" camunda:candidateGroups="agents"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="flowdesk-bench-reads-")
    port = _free_port()
    env = {**os.environ, "FLOWDESK_ADMIN_KEY": ADMIN_KEY, "FLOWDESK_RATE_LIMIT": "", "FLOWDESK_LOG_LEVEL": "WARNING",
           "FLOWDESK_DATABASE_URL": f"sqlite:///{workdir}/flowdesk.sqlite3", "FLOWDESK_SECRET_KEY": "bench"}
    env.pop("FLOWDESK_REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "flowdesk.cli", "serve", "--port", str(port)], env=env,
                              cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not become ready")
            time.sleep(0.2)
        httpx.post(f"{base}/api/v1/definitions", content=PROCESS, headers={**headers, "Content-Type": "application/xml"}
                   ).raise_for_status()
        with httpx.Client(base_url=base, headers=headers) as client:
            for _ in range(200):  # something to list
                client.post("/api/v1/processes/bench_reads/instances", json={}).raise_for_status()

        results: dict[str, list[tuple[int, float]]] = {"GET": [], "POST": []}
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def run(kind: str, n: int) -> None:
            paths = ["/api/v1/instances?limit=20", "/api/v1/tickets?limit=20"]
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                i = n
                while time.monotonic() < stop_at:
                    began = time.perf_counter()
                    if kind == "GET":
                        status = client.get(paths[i % 2]).status_code
                    else:
                        status = client.post("/api/v1/processes/bench_reads/instances", json={}).status_code
                    with lock:
                        results[kind].append((status, time.perf_counter() - began))
                    i += 1

        threads = [threading.Thread(target=run, args=("GET", n)) for n in range(args.readers)]
        threads += [threading.Thread(target=run, args=("POST", n)) for n in range(args.writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(30)

    print(f"{args.readers} readers, {args.writers} writers, {args.seconds:.0f} s, embedded SQLite")
    for kind, answers in results.items():
        times = [t * 1000 for _, t in answers]
        statuses = {}
        for status, _ in answers:
            statuses[status] = statuses.get(status, 0) + 1
        print(f"{kind:4} n={len(answers)} ({len(answers) / args.seconds:.0f}/s) statuses={statuses} "
              f"p50={_percentile(times, 50):.0f} ms p95={_percentile(times, 95):.0f} ms p99={_percentile(times, 99):.0f} ms")


if __name__ == "__main__":
    main()
