"""The stack's floor: what the chosen pieces cost per operation when the operation does nothing.

Benchmarks 1 and 2 set goals that are budgets of CPU per instance on this machine's cores.
This measures, with no flowdesk logic in the way, what each operation of the chosen stack
costs, and adds up the operations an instance needs:

- **HTTP request**: gunicorn (``-w 2 --threads 4``, as the benchmarks) serving a Flask view
  that parses a JSON body and answers JSON; 16 keep-alive httpx clients; gunicorn's CPU.
- **RQ job**: enqueueing a job id (the enqueuing process's CPU) and running it with flowdesk's
  worker class, the job function replaced by a no-op (the worker's CPU), plus redis-server's
  CPU; the same with RQ's stock ``SimpleWorker`` for comparison.
- **durable PostgreSQL transaction**: psycopg2 without SQLAlchemy, a row with a 3.5 KB JSON
  state (the reference process's) inserted and committed, or locked (``SELECT ... FOR UPDATE``),
  rewritten and committed, from 4 threads; client and backend CPU.
- **action call**: an httpx POST to the local action server; the caller's CPU.

An instance of benchmark 1 is at least 2 requests, 1 job, 4 transactions (start, complete,
the job's claim and its result) and 1 call; of benchmark 2, 1 request, 1 job, 3 transactions
and 1 call. The sum is printed beside the bare SpiffWorkflow CPU and the goals' budgets.

    python bench/stack_floor.py                  # ~1 minute
    python bench/stack_floor.py --operations 10000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid

import common
from common import banner

STATE = json.dumps({"data": "x" * 3300, "version": 1})  # ~3.5 KB, the reference state's size
BODY = {"variables": {"request_id": "R-1", "amount": 100}, "business_key": None}


def floor_app():
    """The HTTP floor: a Flask app whose one view parses the JSON body and answers JSON."""
    from flask import Flask, jsonify, request

    app = Flask("floor")

    @app.post("/start")
    def start():
        body = request.get_json()
        return jsonify(id=uuid.uuid4().hex, status="running", variables=body["variables"]), 201

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app


def http_floor(procs: common.Processes, total: int, concurrency: int) -> float:
    """gunicorn CPU ms per request."""
    import httpx

    base, proc = common.start_api(procs, None, app="stack_floor:floor_app()", chdir=common.BENCH_DIR)

    def work(client, i):
        if client.post("/start", json=BODY).status_code != 201:
            raise RuntimeError("the floor app did not answer 201")

    common.run_concurrently(200, concurrency, lambda: httpx.Client(base_url=base), work)  # warm-up
    meter = common.CpuMeter({"gunicorn": lambda: [proc.pid, *common.children(proc.pid)]})
    meter.start()
    _, errors = common.run_concurrently(total, concurrency, lambda: httpx.Client(base_url=base), work)
    used = meter.stop()["gunicorn"]
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed: {errors[0]}")
    procs.stop(proc)
    return used / total * 1000


def _run_worker(redis_url: str, stock: bool) -> None:
    """In a subprocess: run every queued job in burst mode, print the CPU the run took."""
    from redis import Redis
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from flowdesk.workers import worker as flowdesk_worker
    from flowdesk.workers.queue import RqQueue

    queue = RqQueue(redis_url)
    if stock:
        worker = SimpleWorker([queue.queue], connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    else:
        flowdesk_worker.run_job = lambda job_id: None
        worker = flowdesk_worker.worker_for(queue)
    cpu = time.process_time()
    worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
    print(json.dumps({"cpu": time.process_time() - cpu}))


def rq_floor(redis_url: str, total: int, stock: bool) -> tuple[float, float, float]:
    """(enqueue, worker, redis-server) CPU ms per job."""
    from redis import Redis

    from flowdesk.workers.queue import RqQueue

    connection = Redis.from_url(redis_url)
    connection.flushdb()
    queue = RqQueue(redis_url)
    redis_pid = int(connection.info("server")["process_id"])
    redis_before = common.cpu_seconds(redis_pid)
    cpu = time.process_time()
    for n in range(total):
        if stock:  # a function RQ's own worker can run: a no-op of the standard library
            queue.queue.enqueue("builtins.len", "x", result_ttl=0, job_timeout=600)
        else:
            queue.enqueue(f"job-{n}")
    enqueue = time.process_time() - cpu
    out = subprocess.run([sys.executable, __file__, "rq-worker", "--redis", redis_url]
                         + (["--stock"] if stock else []), capture_output=True, text=True, check=True)
    worker = json.loads(out.stdout.strip().splitlines()[-1])["cpu"]
    redis = common.cpu_seconds(redis_pid) - redis_before
    left = queue.queue.count
    connection.flushdb()
    if left:
        raise RuntimeError(f"{left} jobs were left in the queue")
    return enqueue / total * 1000, worker / total * 1000, redis / total * 1000


def pg_floor(total: int, threads: int = 4) -> dict[str, tuple[float, float]]:
    """Per durable transaction: (client, backend) CPU ms, for a write and for a locked rewrite."""
    import psycopg2

    results = {}
    with common.pg_schema(migrate=False) as schema:
        dsn = common.PG_URL + ("&" if "?" in common.PG_URL else "?") + \
            f"application_name={schema.name}&options=-csearch_path%3D{schema.name}"
        setup = psycopg2.connect(dsn)
        with setup, setup.cursor() as cur:
            cur.execute("CREATE TABLE floor_rows (id text PRIMARY KEY, state json NOT NULL, "
                        "version integer NOT NULL, updated_at timestamptz NOT NULL)")
        connections = [psycopg2.connect(dsn) for _ in range(threads)]
        backends = [c.get_backend_pid() for c in connections]
        ids = [[f"{t}-{n}" for n in range(total // threads)] for t in range(threads)]

        def insert(conn, rows):
            for row in rows:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO floor_rows (id, state, version, updated_at) "
                                "VALUES (%s, %s::json, 1, now())", (row, STATE))
                conn.commit()

        def rewrite(conn, rows):
            for row in rows:
                with conn.cursor() as cur:
                    cur.execute("SELECT state, version FROM floor_rows WHERE id = %s FOR UPDATE", (row,))
                    _state, version = cur.fetchone()
                    cur.execute("UPDATE floor_rows SET state = %s::json, version = %s, updated_at = now() "
                                "WHERE id = %s", (STATE, version + 1, row))
                conn.commit()

        for label, operation in (("write", insert), ("locked rewrite", rewrite)):
            backend_before = sum(common.cpu_seconds(pid) for pid in backends)
            cpu = time.process_time()
            common.in_threads([lambda c=c, rows=rows: operation(c, rows) for c, rows in zip(connections, ids)])
            done = sum(len(rows) for rows in ids)
            results[label] = ((time.process_time() - cpu) / done * 1000,
                              (sum(common.cpu_seconds(pid) for pid in backends) - backend_before) / done * 1000)
        for conn in (*connections, setup):
            conn.close()
    return results


def call_floor(procs: common.Processes, total: int, threads: int = 4) -> float:
    """Caller CPU ms per action call (httpx, kept-alive connection)."""
    import httpx

    server = common.start_action_server(procs)
    per_thread = total // threads

    def call():
        with httpx.Client(base_url=server.url) as client:
            for _ in range(per_thread):
                client.post("/action", json={"request_id": "R-1", "amount": 100, "approved": True})

    cpu = time.process_time()
    common.in_threads([call] * threads)
    return (time.process_time() - cpu) / (per_thread * threads) * 1000


def bare_straight_through(total: int) -> float:
    """CPU ms per straight-through instance in bare ``Execution`` (save/restore as the server does)."""
    from flowdesk.bpmn import Execution, parse_models
    from flowdesk.bpmn.model import ProcessSpec

    [parsed] = parse_models([("straight_through.bpmn", common.bpmn_bytes("straight_through.bpmn", 9))])
    spec = ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict)

    def one(i):
        execution = Execution.start(spec, {"request_id": f"R-{i}"})
        execution = Execution.restore(spec, json.loads(json.dumps(execution.dump())))
        [call] = execution.pending_actions()
        execution.complete_action(call.task_id, {"ok": True}, call.result_variable)
        json.dumps(execution.dump())
        if not execution.is_completed:
            raise RuntimeError("the straight-through process did not complete")

    one(-1)
    cpu = time.process_time()
    for i in range(total):
        one(i)
    return (time.process_time() - cpu) / total * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("rq-worker", help="(internal) run the queued jobs in burst mode")
    worker.add_argument("--redis", required=True)
    worker.add_argument("--stock", action="store_true")
    parser.add_argument("--operations", type=int, default=3000, help="operations per measurement")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--bare-instances", type=int, default=2000)
    args = parser.parse_args()
    if args.command == "rq-worker":
        _run_worker(args.redis, args.stock)
        return

    from engine_vs_server import run_bare

    print(f"stack floor -- {common.machine()}")
    cores = os.cpu_count() or 1
    with common.Processes() as procs, common.redis_db() as redis_url:
        banner("CPU per operation, nothing of flowdesk's logic in it")
        request = http_floor(procs, args.operations, args.concurrency)
        print(f"   HTTP request (gunicorn + Flask, JSON in and out):      {request:6.2f} ms")
        enqueue, job, redis = rq_floor(redis_url, args.operations, stock=False)
        print(f"   RQ job, flowdesk's worker: enqueue {enqueue:.2f} + worker {job:.2f} ms "
              f"(redis-server {redis:.2f} ms, not counted)")
        stock_enqueue, stock_job, stock_redis = rq_floor(redis_url, args.operations, stock=True)
        print(f"   RQ job, RQ's SimpleWorker:  enqueue {stock_enqueue:.2f} + worker {stock_job:.2f} ms "
              f"(redis-server {stock_redis:.2f} ms)")
        transactions = pg_floor(args.operations)
        for label, (client, backend) in transactions.items():
            print(f"   durable transaction, {label:15s}: psycopg2 {client:.2f} + PostgreSQL {backend:.2f} ms")
        call = call_floor(procs, args.operations)
        print(f"   action call (httpx, caller side):                      {call:6.2f} ms")

    write = sum(transactions["write"])
    rewrite = sum(transactions["locked rewrite"])
    rq_job = enqueue + job
    _, bare1 = run_bare(args.bare_instances, 1)
    bare2 = bare_straight_through(args.bare_instances)
    floor1 = 2 * request + rq_job + write + 3 * rewrite + call + bare1
    floor2 = request + rq_job + write + 2 * rewrite + call + bare2
    banner("the floor per instance (the operations plus the bare engine's own work), and the goals' budgets")
    print(f"   bare SpiffWorkflow per instance (same run, 1 process): reference {bare1:.2f} ms, "
          f"straight-through {bare2:.2f} ms CPU")
    print(f"   benchmark 1: 2 requests + 1 job + 1 write + 3 locked rewrites + 1 call + the engine = {floor1:.1f} ms "
          f"CPU -> at most {cores * 1000 / floor1:.0f} instances/s on {cores} cores")
    budget1 = bare1 * 2  # half the bare rate on the same cores = twice its CPU per instance
    print(f"   benchmark 1's goal (>= 50 % of the bare rate, {cores * 1000 / bare1:.0f}/s on {cores} cores) leaves "
          f"{budget1:.1f} ms per instance: the floor alone is {floor1 / budget1:.1f}x that")
    print(f"   benchmark 2: 1 request + 1 job + 1 write + 2 locked rewrites + 1 call + the engine = {floor2:.1f} ms "
          f"CPU -> at most {cores * 1000 / floor2:.0f} instances/s on {cores} cores")
    print(f"   benchmark 2's goal (200/s) leaves {cores * 1000 / 200:.1f} ms per instance, the load generator's "
          f"share included: the floor is {floor2 / (cores * 1000 / 200) * 100:.0f} % of it")

if __name__ == "__main__":
    sys.exit(main())
