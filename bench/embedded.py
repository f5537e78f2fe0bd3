"""Benchmark 7: the embedded default, ``flowdesk serve`` on SQLite, against bare SpiffWorkflow.

``flowdesk serve`` started as the README starts it (no database or Redis configured: a SQLite
file ``flowdesk.sqlite3`` and a key file in its working directory, a fresh temporary one; worker
and scheduler threads inside the server). Only what a load test needs is set: the admin key,
the action server's loopback address (``FLOWDESK_ACTION_ALLOW``) and a start limit above the
load. The reference approval process (``reference_approval.bpmn``) is driven by 4 and then 16
concurrent clients; each instance is

    POST /processes/reference_approval/instances          (the crm user)
    GET  /tickets?instance_id=...&status=open              (the agent: its inbox)
    POST /tickets/{id}/claim
    POST /tickets/{id}/complete   {"approved": true}

after which the server's worker threads call the action and finish the instance. Printed per
phase: p50/p95/p99 of each request kind and of all requests, completed instances/s (from the
first request to the last instance completed, read from the SQLite file), the server's CPU per
instance (its process and its sandbox children), and bare SpiffWorkflow doing the same steps
with a JSON save/restore between them (``engine_vs_server.bare_instance``) in the same run, in
one process (the embedded server is one process too), with the ratio.

``--readers N`` adds N threads listing instances and tickets (GET, page of 20) beside the
clients, the reads-beside-writes check this benchmark used to be.

    python bench/embedded.py                       # ~1-2 minutes
    python bench/embedded.py --instances 600 --clients 4,16 --readers 4
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import common
from common import banner, pct
from engine_vs_server import run_bare

P95_GOAL_MS = 50.0
RATIO_GOAL = 0.35
KINDS = ("start", "list", "claim", "complete")


class Client:
    """One keep-alive connection (one per client thread, see README bug 3); each user's key per request."""

    def __init__(self, base: str, keys: dict[str, str]):
        import httpx

        self.keys = keys
        self.http = httpx.Client(base_url=base + "/api/v1", timeout=120)
        self.times: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.busy = 0  # answers 503 (busy), each retried

    def call(self, kind: str, method: str, path: str, user: str, **kwargs):
        for _ in range(10):
            began = time.perf_counter()
            response = self.http.request(method, path, headers={"Authorization": f"Bearer {self.keys[user]}"},
                                         **kwargs)
            self.times[kind].append(time.perf_counter() - began)
            if response.status_code != 503:
                break
            # SQLite's write lock was busy past the server's wait: nothing changed; retry as told.
            self.busy += 1
            time.sleep(float(response.headers.get("Retry-After", "1")))
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
        return response.json()

    def close(self) -> None:
        self.http.close()


def one_instance(client: Client, i: int, prefix: str) -> None:
    started = client.call("start", "POST", "/processes/reference_approval/instances", "crm",
                          json={"business_key": f"{prefix}{i}",
                                "variables": {"request_id": f"R-{i}", "amount": 100 + i}})
    page = client.call("list", "GET", "/tickets", "agent",
                       params={"instance_id": started["id"], "status": "open", "limit": 20})
    [ticket] = page["items"]
    client.call("claim", "POST", f"/tickets/{ticket['id']}/claim", "agent")
    client.call("complete", "POST", f"/tickets/{ticket['id']}/complete", "agent", json={"data": {"approved": True}})


def completed(db: Path, prefix: str) -> int:
    # A read-only connection of its own: it never takes the server's write lock.
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute("SELECT count(*) FROM instances WHERE status = 'completed' AND business_key LIKE ?",
                            (prefix + "%",)).fetchone()[0]


def reader_loop(base: str, key: str, stop: threading.Event, out: list[float]) -> None:
    import httpx

    paths = ["/api/v1/instances?limit=20", "/api/v1/tickets?limit=20"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
        i = 0
        while not stop.is_set():
            began = time.perf_counter()
            http.get(paths[i % 2]).raise_for_status()
            out.append(time.perf_counter() - began)
            i += 1


def run_phase(base: str, keys: dict, db: Path, server_pids, total: int, clients: int, readers: int,
              prefix: str) -> dict:
    meter = common.CpuMeter({"server": server_pids})
    stop, reads = threading.Event(), []
    reader_threads = [threading.Thread(target=reader_loop, args=(base, keys["agent"], stop, reads), daemon=True)
                      for _ in range(readers)]
    made: list[Client] = []
    lock = threading.Lock()

    def make_client() -> Client:
        client = Client(base, keys)
        with lock:
            made.append(client)
        return client

    meter.start()
    began = time.monotonic()
    for thread in reader_threads:
        thread.start()
    _, errors = common.run_concurrently(total, clients, make_client,
                                        lambda client, i: one_instance(client, i, prefix))
    if errors:
        raise RuntimeError(f"{len(errors)} instances failed, first: {errors[0]!r}")
    if not common.wait_for(lambda: completed(db, prefix) >= total, timeout=300, interval=0.05):
        raise RuntimeError(f"only {completed(db, prefix)} of {total} instances completed")
    elapsed = time.monotonic() - began
    stop.set()
    for thread in reader_threads:
        thread.join()
    cpu = meter.stop()["server"]
    times = {kind: [t for c in made for t in c.times[kind]] for kind in KINDS}
    return {"clients": clients, "rate": total / elapsed, "cpu_ms": cpu / total * 1000, "times": times,
            "all": [t for kind in KINDS for t in times[kind]], "reads": reads, "busy": sum(c.busy for c in made), "load": os.getloadavg()[0]}


def ms(values: list[float]) -> str:
    return " / ".join(f"{pct(values, p) * 1000:.0f}" for p in (50, 95, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300, help="instances per phase")
    parser.add_argument("--clients", default="4,16", help="concurrent clients of each phase")
    parser.add_argument("--readers", type=int, default=0, help="threads listing instances and tickets meanwhile")
    parser.add_argument("--bare-instances", type=int, default=2000)
    parser.add_argument("--profile", type=float, default=0, metavar="SECONDS",
                        help="after the measured phases, py-spy the server under 16 clients this long")
    args = parser.parse_args()
    phases = [int(c) for c in args.clients.split(",")]

    banner("benchmark 7: embedded flowdesk serve (SQLite) vs bare SpiffWorkflow")
    print(common.machine())
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLOWDESK_") or k == "FLOWDESK_BENCH_KEEP_LOGS"}
    env.update(FLOWDESK_ADMIN_KEY=common.ADMIN_KEY, FLOWDESK_ACTION_ALLOW="127.0.0.1",
               FLOWDESK_RATE_LIMIT="1000000/minute", FLOWDESK_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    flowdesk = str(Path(sys.executable).with_name("flowdesk"))
    results = []
    with common.Processes() as procs:  # the server's working directory is procs.dir: its SQLite file and key
        action = common.start_action_server(procs)
        port = common.free_port()
        server = procs.start("flowdesk-serve", [flowdesk, "serve", "--port", str(port)], env)
        base = f"http://127.0.0.1:{port}"
        common.wait_http(f"{base}/ready", server, procs, "flowdesk-serve", timeout=120)
        common.deploy(base, common.bpmn_bytes("reference_approval.bpmn", action.port))
        keys = {"admin": common.ADMIN_KEY}
        admin = Client(base, keys)
        for name, role, groups in (("crm", "system", []), ("agent", "agent", ["approvers"])):
            keys[name] = admin.call("start", "POST", "/users", "admin",
                                    json={"name": name, "role": role, "groups": groups})["api_key"]
        admin.close()
        db = procs.dir / "flowdesk.sqlite3"
        server_pids = lambda: [server.pid, *common.children(server.pid)]  # noqa: E731 - the sandbox too
        run_phase(base, keys, db, server_pids, 20, 4, 0, "warm-")  # specs, caches, connections
        for clients in phases:
            results.append(run_phase(base, keys, db, server_pids, args.instances, clients, args.readers,
                                     f"c{clients}-"))
            procs.check_alive()
        profile = procs.dir / "server.txt"
        spy = common.py_spy(procs, server.pid, args.profile, profile, "server") if args.profile else None
        n = 0
        while spy is not None and spy.poll() is None:
            run_phase(base, keys, db, server_pids, 32, 16, 0, f"p{n}-")
            n += 1
        if spy is not None:
            own, inclusive = common.top_frames(profile, 25)
            banner(f"py-spy: the server under 16 clients ({n * 32} instances) -- share of the samples")
            for title, ranked in (("own time (leaf frames)", own), ("flowdesk functions, inclusive", inclusive)):
                print(f"   {title}:")
                for share, frame in ranked:
                    print(f"   {share:5.1f}%  {frame}")
    bare_rate, bare_cpu = run_bare(args.bare_instances, 1)

    print(f"\nbare SpiffWorkflow, 1 process: {bare_rate:.1f} instances/s, {bare_cpu:.2f} ms CPU per instance "
          f"(load {os.getloadavg()[0]:.1f})")
    for r in results:
        print(f"\n{r['clients']} clients, {args.instances} instances (load average {r['load']:.1f} at the end), "
              f"{r['busy']} answers 503 busy (retried, counted in the latencies):")
        for kind in KINDS:
            print(f"   {kind:9} p50 / p95 / p99 {ms(r['times'][kind])} ms")
        p95 = pct(r["all"], 95) * 1000
        print(f"   every request p50 / p95 / p99 {ms(r['all'])} ms"
              + (f"  (goal p95 <= {P95_GOAL_MS:.0f} ms: {'met' if p95 <= P95_GOAL_MS else 'MISSED'})"
                 if r["clients"] == 16 else ""))
        if r["reads"]:
            print(f"   readers   p50 / p95 / p99 {ms(r['reads'])} ms ({len(r['reads'])} reads)")
        ratio = r["rate"] / bare_rate
        print(f"   completed {r['rate']:.1f} instances/s = {ratio:.2f} of bare (goal >= {RATIO_GOAL:.2f}: "
              f"{'met' if ratio >= RATIO_GOAL else 'MISSED'})")
        print(f"   server CPU per instance {r['cpu_ms']:.1f} ms (bare {bare_cpu:.2f} ms) -> at most "
              f"{1000 / r['cpu_ms']:.0f} instances/s on one idle core; CPU ratio {bare_cpu / r['cpu_ms']:.2f}")


if __name__ == "__main__":
    main()
