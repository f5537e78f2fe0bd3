"""Benchmark 1 (and 6): the reference approval process run by bare SpiffWorkflow and by flowdesk.

(a) bare: flowdesk.bpmn ``Execution`` in memory. Every step saves the state and restores it
    through a JSON round trip, as the server does between commands; the service task's action
    is completed in-process (no HTTP). Run in 1 process and in one process per core.
(b) server: gunicorn (``-w 2 --threads 4 flowdesk.wsgi:app``), 4 ``flowdesk worker``
    subprocesses (RQ, 2 per core), PostgreSQL, Redis and a local action server. Concurrent
    httpx clients start an instance (REST), complete its ticket (REST); a worker calls the
    action URL and finishes the instance. Throughput counts instances that reached ``completed``.

Also printed (benchmark 6): peak RSS (VmHWM) of the gunicorn master and workers and of the RQ
workers under this load.

    python bench/engine_vs_server.py                      # ~1-2 minutes
    python bench/engine_vs_server.py --instances 5000 --bare-instances 20000
    python bench/engine_vs_server.py --profile            # py-spy the API and a worker meanwhile
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import common
from common import banner, latency_line

PROCESS = "reference_approval"


# --------------------------------------------------------------------------- (a) bare


def _spec():
    from flowdesk.bpmn import parse_models
    from flowdesk.bpmn.model import ProcessSpec

    [parsed] = parse_models([("reference_approval.bpmn", common.bpmn_bytes("reference_approval.bpmn", 9))])
    return ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict)


def _round_trip(execution, spec, sizes: list | None = None):
    """Save and restore as the server does: dump, JSON text, parse, restore against the spec."""
    from flowdesk.bpmn import Execution

    text = json.dumps(execution.dump())
    if sizes is not None:
        sizes.append(len(text.encode()))
    return Execution.restore(spec, json.loads(text))


def bare_instance(spec, i: int, sizes: list | None = None) -> None:
    from flowdesk.bpmn import Execution

    execution = Execution.start(spec, {"request_id": f"R-{i}", "amount": 100 + i})
    execution = _round_trip(execution, spec, sizes)                    # waits in the user task
    [task] = execution.user_tasks()
    execution.complete_user_task(task.task_id, {"approved": True})
    execution = _round_trip(execution, spec, sizes)                    # waits in the service task
    [call] = execution.pending_actions()
    execution.complete_action(call.task_id, {"ok": True, "reference": f"F-{i}"}, call.result_variable)
    execution = _round_trip(execution, spec, sizes)                    # completed
    if not (execution.is_completed and execution.reached_end_event):
        raise RuntimeError("the reference process did not complete")


def _bare_chunk(count: int, offset: int) -> tuple[float, float, float]:
    spec = _spec()
    bare_instance(spec, -1)  # warm-up
    start, cpu = time.time(), time.process_time()
    for i in range(count):
        bare_instance(spec, offset + i)
    return start, time.time(), time.process_time() - cpu


def run_bare(total: int, procs: int) -> tuple[float, float]:
    """(instances/s, CPU ms per instance)."""
    if procs == 1:
        start, end, cpu = _bare_chunk(total, 0)
        return total / (end - start), cpu / total * 1000
    share = [total // procs + (1 if n < total % procs else 0) for n in range(procs)]
    with ProcessPoolExecutor(procs, mp_context=get_context("fork")) as pool:
        spans = list(pool.map(_bare_chunk, share, [sum(share[:n]) for n in range(procs)]))
    return total / (max(e for _, e, _ in spans) - min(s for s, _, _ in spans)), sum(c for *_, c in spans) / total * 1000


# --------------------------------------------------------------------------- (b) server


def _completed_count(rt, prefix: str) -> int:
    import sqlalchemy as sa

    with rt.db.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM instances WHERE status = 'completed' "
                                    "AND business_key LIKE :p"), {"p": prefix + "%"}).scalar()


def _instance_times(rt, prefix: str) -> dict[str, tuple]:
    import sqlalchemy as sa

    with rt.db.connect() as conn:
        rows = conn.execute(sa.text("SELECT business_key, status, created_at, completed_at FROM instances "
                                    "WHERE business_key LIKE :p"), {"p": prefix + "%"}).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _one_instance(client, keys: dict, i: int, prefix: str) -> dict:
    t0 = time.time()
    started = client.post(f"/processes/{PROCESS}/instances",
                          {"business_key": f"{prefix}{i}", "variables": {"request_id": f"R-{i}", "amount": 100 + i}},
                          keys["crm"])
    t1 = time.time()
    [ticket] = started["open_tickets"]
    client.post(f"/tickets/{ticket['id']}/complete", {"data": {"approved": True}}, keys["agent"])
    t2 = time.time()
    return {"key": f"{prefix}{i}", "t0": t0, "start": t1 - t0, "complete": t2 - t1}


def _drive(base: str, keys: dict, total: int, concurrency: int, prefix: str):
    return common.run_concurrently(total, concurrency, lambda: common.Client(base),
                                   lambda client, i: _one_instance(client, keys, i, prefix))


def _memory_report(procs: common.Processes, api_proc, workers) -> list[str]:
    lines = []
    api_children = common.children(api_proc.pid)
    for label, pid in [("gunicorn master", api_proc.pid)] + [(f"gunicorn worker {n}", p)
                                                               for n, p in enumerate(api_children)] + \
                      [(f"flowdesk worker {n}", w.pid) for n, w in enumerate(workers)]:
        mem = common.memory_kb(pid)
        lines.append(f"   {label:<20} pid {pid:<7} peak RSS (VmHWM) {mem.get('VmHWM', 0) / 1024:7.1f} MiB   "
                     f"RSS now {mem.get('VmRSS', 0) / 1024:7.1f} MiB")
    return lines


def run_server(args) -> dict:
    out: dict = {}
    with common.pg_schema() as schema, common.redis_db() as redis_url, common.Processes() as procs:
        rt = common.runtime_for(schema)
        keys = common.create_users(rt)
        action = common.start_action_server(procs)
        env = common.flowdesk_env(schema, redis_url)
        base, api_proc = common.start_api(procs, env, args.api_workers, args.api_threads)
        workers = common.start_workers(procs, env, args.workers)
        common.wait_workers_ready(redis_url, args.workers)
        common.deploy(base, common.bpmn_bytes("reference_approval.bpmn", action.port))
        print(f"   API {base} (gunicorn -w {args.api_workers} --threads {args.api_threads}), "
              f"{args.workers} RQ workers, schema {schema.name}, redis {redis_url}", flush=True)

        # Warm-up: every gunicorn worker caches the spec, opens its pool; not measured.
        warm = max(20, args.concurrency * 2)
        _, errors = _drive(base, keys, warm, args.concurrency, "w-")
        if errors:
            raise RuntimeError(f"warm-up failed: {errors[0]}")
        common.wait_for(lambda: _completed_count(rt, "w-") >= warm, 120, procs=procs)
        mem_before = {p: common.memory_kb(p).get("VmRSS", 0) for p in [api_proc.pid, *common.children(api_proc.pid)]}

        meter = common.CpuMeter({
            "gunicorn": lambda: [api_proc.pid, *common.children(api_proc.pid)],
            "RQ workers": lambda: [w.pid for w in workers],
            # The sandbox processes the API and RQ workers evaluate modeler code in (their children).
            "sandbox": lambda: [c for p in [*common.children(api_proc.pid), *(w.pid for w in workers)]
                                for c in common.children(p)],
            "PostgreSQL": lambda: common.pg_backends(rt, schema.name),
            "action server": lambda: [action.proc.pid],
            "load generator": lambda: [os.getpid()],
        })
        profilers = []
        if args.profile:
            profile_dir = Path(args.profile_dir)
            profilers = [
                (common.py_spy(procs, common.children(api_proc.pid)[0], args.profile_seconds,
                               profile_dir / "api.txt", "api"), profile_dir / "api.txt", "gunicorn worker 0"),
                (common.py_spy(procs, workers[0].pid, args.profile_seconds, profile_dir / "worker.txt", "worker"),
                 profile_dir / "worker.txt", "flowdesk worker 0"),
            ]
            time.sleep(1.0)

        meter.start()
        t_begin = time.time()
        results, errors = _drive(base, keys, args.instances, args.concurrency, "m-")
        t_requests_done = time.time()
        finished = common.wait_for(lambda: _completed_count(rt, "m-") >= len(results), args.timeout, 0.1, procs)
        out["cpu"] = meter.stop()
        times = _instance_times(rt, "m-")
        completed = [t for t in times.values() if t[0] == "completed"]
        t_end = max(t[2].timestamp() for t in completed) if completed else time.time()

        out["requests_s"] = len(results) / (t_requests_done - t_begin)
        out["rate"] = len(completed) / (t_end - t_begin)
        out["start"] = [r["start"] for r in results]
        out["complete"] = [r["complete"] for r in results]
        sent = {r["key"]: r["t0"] for r in results}
        out["e2e"] = [t[2].timestamp() - sent[k] for k, t in times.items() if t[0] == "completed" and k in sent]
        out["errors"] = errors
        out["completed"], out["finished"] = len(completed), finished
        out["action_calls"] = action.calls()
        out["memory"] = _memory_report(procs, api_proc, workers)
        mem_after = {p: common.memory_kb(p).get("VmRSS", 0) for p in mem_before}
        out["rss_growth"] = {p: (mem_after[p] - mem_before[p]) / 1024 for p in mem_before}
        import sqlalchemy as sa

        with rt.db.connect() as conn:
            out["incidents"] = conn.execute(sa.text("SELECT count(*) FROM incidents")).scalar()
            out["failed"] = conn.execute(sa.text("SELECT count(*) FROM instances WHERE status <> 'completed'")).scalar()
        for proc, path, label in profilers:
            if proc is not None:
                proc.wait(args.profile_seconds + 30)
                out.setdefault("profiles", []).append((label, path))
        rt.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=600, help="instances through the server (measured)")
    parser.add_argument("--bare-instances", type=int, default=2000, help="instances run bare (per measurement)")
    parser.add_argument("--bare-procs", type=int, default=os.cpu_count() or 1,
                        help="processes for the all-cores bare run (default: cores)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--api-threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4,
                        help="flowdesk worker (RQ) processes; they mostly wait (action, commits): 2 per core")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the last instance")
    parser.add_argument("--profile", action="store_true", help="py-spy the API and one worker during the run")
    parser.add_argument("--profile-seconds", type=float, default=15)
    parser.add_argument("--profile-dir", default="/tmp/flowdesk-bench-profiles")
    parser.add_argument("--skip-bare", action="store_true")
    args = parser.parse_args()

    print(f"benchmark 1: engine limit vs server -- {common.machine()}")
    bare1 = bare_n = None
    if not args.skip_bare:
        banner("(a) bare SpiffWorkflow via flowdesk.bpmn.Execution, save/restore (JSON) between steps")
        sizes: list[int] = []
        bare_instance(_spec(), 0, sizes)
        print(f"   state size (JSON bytes) at user task / service task / completed: {sizes}")
        bare1, bare_cpu = run_bare(args.bare_instances, 1)
        print(f"   1 process:          {bare1:8.1f} instances/s  ({1000 / bare1:.2f} ms wall, {bare_cpu:.2f} ms CPU "
              f"per instance)", flush=True)
        if args.bare_procs > 1:
            bare_n, _ = run_bare(args.bare_instances, args.bare_procs)
            print(f"   {args.bare_procs} processes:        {bare_n:8.1f} instances/s", flush=True)

    banner("(b) flowdesk end to end: REST start + REST complete, action via RQ worker, PostgreSQL, Redis")
    server = run_server(args)
    print(f"   instances completed: {server['completed']}/{args.instances}"
          f"{'' if server['finished'] else '  (TIMED OUT waiting for the rest)'}; action calls {server['action_calls']}; "
          f"request errors {len(server['errors'])}; incidents {server['incidents']}; "
          f"not completed {server['failed']}")
    if server["errors"]:
        print(f"   first error: {server['errors'][0]}")
    print(f"   throughput:        {server['rate']:8.1f} instances/s completed  "
          f"(the HTTP half alone: {server['requests_s']:.1f} instances/s)")
    print("   " + latency_line("POST /processes/.../instances", server["start"]))
    print("   " + latency_line("POST /tickets/{id}/complete", server["complete"]))
    print("   " + latency_line("start sent -> instance completed", server["e2e"]))
    flowdesk_side = ("gunicorn", "RQ workers", "sandbox", "PostgreSQL")
    for line in common.cpu_report(server["cpu"], server["completed"], flowdesk_side):
        print(line)

    banner("comparison")
    if bare1:
        print(f"   flowdesk / bare (1 process):          {server['rate'] / bare1 * 100:6.1f} %")
        fd_cpu = sum(server["cpu"][k] for k in flowdesk_side) / max(server["completed"], 1) * 1000
        print(f"   CPU per instance, bare / flowdesk:    {bare_cpu:.2f} ms / {fd_cpu:.1f} ms = {bare_cpu / fd_cpu * 100:.1f} % "
              f"(independent of the machine's other load)")
    if bare_n:
        print(f"   flowdesk / bare ({args.bare_procs} processes, all cores): {server['rate'] / bare_n * 100:6.1f} %"
              f"   goal >= 50 %: {'met' if server['rate'] >= 0.5 * bare_n else 'MISSED'}")

    banner("benchmark 6: memory under this load")
    for line in server["memory"]:
        print(line)
    growth = ", ".join(f"{v:+.1f}" for v in server["rss_growth"].values())
    print(f"   RSS change of the gunicorn processes during the measured run (MiB): {growth}")

    for label, path in server.get("profiles", []):
        own, inclusive = common.top_frames(path, 15)
        banner(f"py-spy: {label} -- share of the samples, raw stacks in {path}")
        print("   own time (leaf frames):")
        for share, frame in own:
            print(f"   {share:5.1f}%  {frame}")
        print("   flowdesk functions, inclusive:")
        for share, frame in inclusive:
            print(f"   {share:5.1f}%  {frame}")


if __name__ == "__main__":
    sys.exit(main())
