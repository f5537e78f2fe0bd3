"""Benchmark 2: straight-through processing, start -> service task -> end.

gunicorn (``-w 2 --threads 4``), 4 ``flowdesk worker`` subprocesses (2 per core), PostgreSQL,
Redis and a local action server, as in benchmark 1. Two phases:

1. saturation: concurrent clients start instances as fast as the API accepts them; the rate is
   completed instances per second from the first start request to the last completion.
2. paced: starts at a fixed rate (default: half the saturation rate) for a while; end-to-end
   latency = instance ``completed_at`` (server clock) minus the moment its start request was
   sent (same host, same clock). Latency under saturation only measures the queue length.

    python bench/straight_through.py                 # ~1-2 minutes
    python bench/straight_through.py --instances 10000 --paced-seconds 60 --rate 100
    python bench/straight_through.py --groups 2      # the scale check

``--groups N`` starts N process groups (a gunicorn and its RQ workers each) on the same
PostgreSQL and Redis, the clients spread over the N APIs: the scale check. On a machine with
fewer cores than groups need, the rate cannot rise; the CPU per instance, compared with one
group's, says whether a second group costs more per instance (contention on the shared
database, queue or locks) and so what a machine with more cores may expect.
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time

import common
from common import banner, latency_line

PROCESS = "straight_through"


def _times(rt, prefix: str) -> dict[str, tuple]:
    import sqlalchemy as sa

    with rt.db.connect() as conn:
        rows = conn.execute(sa.text("SELECT business_key, status, completed_at FROM instances "
                                    "WHERE business_key LIKE :p"), {"p": prefix + "%"}).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _completed(rt, prefix: str) -> int:
    import sqlalchemy as sa

    with rt.db.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM instances WHERE status = 'completed' "
                                    "AND business_key LIKE :p"), {"p": prefix + "%"}).scalar()


def _start(client, key: str, business_key: str) -> dict:
    t0 = time.time()
    started = client.post(f"/processes/{PROCESS}/instances", {"business_key": business_key, "variables": {"n": 1}}, key)
    if started.get("open_tickets"):
        raise RuntimeError("unexpected ticket")
    return {"key": business_key, "t0": t0, "start": time.time() - t0}


def _spread(bases):
    """A client maker that gives each new client the next API of ``bases`` (one base URL or several)."""
    bases = [bases] if isinstance(bases, str) else list(bases)
    turn = iter(range(1 << 62))
    lock = threading.Lock()

    def make():
        with lock:
            return common.Client(bases[next(turn) % len(bases)])
    return make


def saturate(base, keys, rt, procs, total, concurrency, timeout, prefix="s-", meter=None):
    if meter:
        meter.start()
    t_begin = time.time()
    results, errors = common.run_concurrently(total, concurrency, _spread(base),
                                              lambda c, i: _start(c, keys["crm"], f"{prefix}{i}"))
    t_sent = time.time()
    finished = common.wait_for(lambda: _completed(rt, prefix) >= len(results), timeout, 0.1, procs)
    cpu = meter.stop() if meter else {}
    times = _times(rt, prefix)
    done = [t[1].timestamp() for t in times.values() if t[0] == "completed"]
    rate = len(done) / (max(done) - t_begin) if done else 0.0
    sent = {r["key"]: r["t0"] for r in results}
    e2e = [t[1].timestamp() - sent[k] for k, t in times.items() if t[0] == "completed" and k in sent]
    return {"rate": rate, "accept_rate": len(results) / (t_sent - t_begin), "start": [r["start"] for r in results],
            "e2e": e2e, "errors": errors, "completed": len(done), "finished": finished, "cpu": cpu}


def paced(base, keys, rt, procs, rate, seconds, concurrency, timeout, prefix="p-"):
    """Open loop: request i is due at t0 + i/rate, whoever of the client threads is free sends it."""
    total = max(1, int(rate * seconds))
    due: queue.Queue = queue.Queue()
    results, errors, lock = [], [], threading.Lock()

    def client_loop():
        client = new_client()
        try:
            while (item := due.get()) is not None:
                i, scheduled = item
                try:
                    r = _start(client, keys["crm"], f"{prefix}{i}")
                    r["late"] = r["t0"] - scheduled
                    with lock:
                        results.append(r)
                except Exception as exc:  # noqa: BLE001 - reported after the run
                    with lock:
                        errors.append(exc)
        finally:
            client.close()

    new_client = _spread(base)
    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    t_begin = time.time() + 0.2
    for i in range(total):
        scheduled = t_begin + i / rate
        delay = scheduled - time.time()
        if delay > 0:
            time.sleep(delay)
        due.put((i, scheduled))
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join()
    finished = common.wait_for(lambda: _completed(rt, prefix) >= len(results), timeout, 0.1, procs)
    times = _times(rt, prefix)
    sent = {r["key"]: r["t0"] for r in results}
    e2e = [t[1].timestamp() - sent[k] for k, t in times.items() if t[0] == "completed" and k in sent]
    return {"rate": rate, "start": [r["start"] for r in results], "e2e": e2e, "errors": errors,
            "late": [r["late"] for r in results], "completed": len(e2e), "sent": total, "finished": finished}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=800, help="instances in the saturation phase")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--rate", type=float, default=None, help="paced phase starts/s (default: half the saturation rate)")
    parser.add_argument("--paced-seconds", type=float, default=20)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--api-threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4,
                        help="flowdesk worker (RQ) processes; they mostly wait (action, commits): 2 per core")
    parser.add_argument("--groups", type=int, default=1,
                        help="process groups (a gunicorn and its RQ workers each) on the same database and Redis")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    print(f"benchmark 2: straight-through (start -> service task -> end) -- {common.machine()}")
    with common.pg_schema() as schema, common.redis_db() as redis_url, common.Processes() as procs:
        rt = common.runtime_for(schema)
        keys = common.create_users(rt)
        action = common.start_action_server(procs)
        env = common.flowdesk_env(schema, redis_url)
        apis = [common.start_api(procs, env, args.api_workers, args.api_threads) for _ in range(args.groups)]
        bases, api_pids = [b for b, _ in apis], [p.pid for _, p in apis]
        workers = common.start_workers(procs, env, args.workers * args.groups)
        common.wait_workers_ready(redis_url, args.workers * args.groups)
        base = bases if args.groups > 1 else bases[0]
        common.deploy(bases[0], common.bpmn_bytes("straight_through.bpmn", action.port))
        print(f"   {args.groups} group(s), each: gunicorn -w {args.api_workers} --threads {args.api_threads} and "
              f"{args.workers} RQ workers; APIs {', '.join(bases)}; schema {schema.name}", flush=True)
        saturate(base, keys, rt, procs, max(20, args.concurrency * 2), args.concurrency, 120, "w-")  # warm-up

        banner(f"saturation: {args.instances} starts from {args.concurrency} clients")
        meter = common.CpuMeter({
            "gunicorn": lambda: [*api_pids, *(c for pid in api_pids for c in common.children(pid))],
            "RQ workers": lambda: [w.pid for w in workers],
            # The sandbox processes the API and RQ workers evaluate modeler code in (their children).
            "sandbox": lambda: [c for p in [*(c for pid in api_pids for c in common.children(pid)),
                                            *(w.pid for w in workers)]
                                for c in common.children(p)],
            "PostgreSQL": lambda: common.pg_backends(rt, schema.name),
            "action server": lambda: [action.proc.pid],
            "load generator": lambda: [os.getpid()],
        })
        s = saturate(base, keys, rt, procs, args.instances, args.concurrency, args.timeout, meter=meter)
        print(f"   completed {s['completed']}/{args.instances}{'' if s['finished'] else ' (TIMED OUT)'}, "
              f"request errors {len(s['errors'])}" + (f" (first: {s['errors'][0]})" if s["errors"] else ""))
        print(f"   throughput: {s['rate']:8.1f} instances/s completed   goal >= 200: "
              f"{'met' if s['rate'] >= 200 else 'MISSED'}   (starts accepted: {s['accept_rate']:.1f}/s)")
        print("   " + latency_line("POST /processes/.../instances", s["start"]))
        print("   " + latency_line("start sent -> completed (backlog)", s["e2e"]))
        for line in common.cpu_report(s["cpu"], s["completed"], ("gunicorn", "RQ workers", "sandbox", "PostgreSQL")):
            print(line)

        rate = args.rate or max(1.0, round(s["rate"] / 2, 1))
        banner(f"paced: {rate:g} starts/s for {args.paced_seconds:g} s")
        p = paced(base, keys, rt, procs, rate, args.paced_seconds, args.concurrency, args.timeout)
        print(f"   completed {p['completed']}/{p['sent']}{'' if p['finished'] else ' (TIMED OUT)'}, "
              f"request errors {len(p['errors'])}; starts sent later than scheduled by > 100 ms: "
              f"{sum(1 for x in p['late'] if x > 0.1)}")
        print("   " + latency_line("POST /processes/.../instances", p["start"]))
        print("   " + latency_line("start sent -> instance completed", p["e2e"]))
        print(f"   action calls in total: {action.calls()}")
        rt.close()


if __name__ == "__main__":
    sys.exit(main())
