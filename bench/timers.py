"""Benchmark 5: many timers due in the same second, fired by `flowdesk scheduler` subprocesses.

N instances (default 1,000) of bench/timer_wait.bpmn (start -> intermediate timer with
``timeDate ${due}`` -> end) all get the same ``due`` a few seconds ahead, while the scheduler
subprocesses already run (they sleep: nothing is due yet). One instance is started through
the engine (``instances.start_instance``) and its row is copied N-1 times with SQL (new ids,
same waiting state), so creation takes well under a second; ``--through-engine`` starts every
instance through the engine instead (slow: the due time is then set far enough ahead).
Lateness of each timer is the
``created_at`` of its ``timer.fired`` audit event (written in the scheduler's transaction)
minus ``due``. Run once per scheduler count (default: 1, then 2), each on a fresh schema.

    python bench/timers.py                          # ~1-2 minutes
    python bench/timers.py --instances 10000 --schedulers 1,2,4
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import common
from common import banner, pct

PROCESS = "timer_wait"


def create_instances(rt, count: int, due: datetime, threads: int) -> float:
    from flowdesk.engine.process import instances
    from flowdesk.engine.access.principal import Principal

    system = Principal("bench", "bench", "system", frozenset())
    counter = iter(range(count))
    lock = threading.Lock()
    errors = []

    def loop():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                instances.start_instance(rt, system, PROCESS, {"due": due.isoformat()}, business_key=f"t-{i}")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    t = time.perf_counter()
    common.in_threads([loop] * threads)
    if errors:
        raise RuntimeError(f"{len(errors)} starts failed, first: {errors[0]}")
    return time.perf_counter() - t


def clone_instances(rt, count: int) -> float:
    """Copy the one instance row ``count - 1`` times (new id and business key, all else equal)."""
    import sqlalchemy as sa

    t = time.perf_counter()
    with rt.db.begin() as conn:
        columns = [r[0] for r in conn.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'instances' ORDER BY ordinal_position")).all()]
        values = {"id": "md5('clone' || g)::uuid::text", "business_key": "'t-' || g"}
        select = ", ".join(values.get(c, f'i."{c}"') for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        conn.execute(sa.text(f"INSERT INTO instances ({names}) SELECT {select} FROM instances i, "
                             f"generate_series(1, :n) AS g"), {"n": count - 1})
    with rt.db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE instances"))
    return time.perf_counter() - t


def fired(rt) -> list[datetime]:
    import sqlalchemy as sa

    with rt.db.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "SELECT created_at FROM audit_events WHERE action = 'timer.fired' ORDER BY created_at")).all()]


def one_run(args, schedulers: int) -> dict:
    from flowdesk.engine.process import definitions
    from flowdesk.engine.access.principal import Principal

    with common.pg_schema() as schema, common.redis_db() as redis_url, common.Processes() as procs:
        rt = common.runtime_for(schema)
        definitions.deploy(rt, Principal("bench", "bench", "admin", frozenset()),
                           [("timer_wait.bpmn", common.bpmn_bytes("timer_wait.bpmn"))])
        # The schedulers start first and idle until the timers are due.
        started = common.start_schedulers(procs, common.flowdesk_env(schema, redis_url), schedulers)
        meter = common.CpuMeter({"schedulers": lambda: [p.pid for p in started],
                                 "PostgreSQL": lambda: common.pg_backends(rt, schema.name)})

        import sqlalchemy as sa

        if args.through_engine:
            # Probe the creation rate with a few instances due far away, then pick the common due time.
            probe = max(10, args.instances // 50)
            far = datetime.now(timezone.utc) + timedelta(days=1)
            rate = probe / create_instances(rt, probe, far, args.threads)
            with rt.db.begin() as conn:  # the probes are not part of the measurement
                conn.execute(sa.text("DELETE FROM instances"))
            due = (datetime.now(timezone.utc) + timedelta(seconds=args.instances / rate * 1.5 + args.margin)) \
                .replace(microsecond=0)
            seconds = create_instances(rt, args.instances, due, args.threads)
        else:
            due = (datetime.now(timezone.utc) + timedelta(seconds=args.margin + 1)).replace(microsecond=0)
            seconds = create_instances(rt, 1, due, 1) + clone_instances(rt, args.instances)
        ready = datetime.now(timezone.utc)
        if ready >= due:
            print(f"   WARNING: the instances were ready {(ready - due).total_seconds():.1f} s after their due time")
        procs.check_alive()
        meter.start()
        finished = common.wait_for(lambda: len(fired(rt)) >= args.instances,
                                   max(0, (due - ready).total_seconds()) + args.timeout, 0.2, procs)
        cpu = meter.stop()
        times = fired(rt)
        with rt.db.connect() as conn:
            statuses = dict(conn.execute(sa.text("SELECT status, count(*) FROM instances GROUP BY status")).all())
        rt.close()
    late = [(t - due).total_seconds() for t in times]
    return {"schedulers": schedulers, "create_s": seconds, "slack": (due - ready).total_seconds(), "late": late,
            "finished": finished, "statuses": statuses, "cpu": cpu, "span": (times[-1] - times[0]).total_seconds() if times else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--schedulers", default="1,2", help="comma-separated scheduler counts, one run each")
    parser.add_argument("--margin", type=float, default=4.0, help="seconds from creation to the due time")
    parser.add_argument("--through-engine", action="store_true", help="start every instance through the engine")
    parser.add_argument("--threads", type=int, default=4, help="threads creating instances (--through-engine)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds after due to wait for the last timer")
    args = parser.parse_args()

    print(f"benchmark 5: {args.instances} timers due in the same second -- {common.machine()}")
    for count in [int(c) for c in args.schedulers.split(",")]:
        banner(f"{count} scheduler process(es)")
        r = one_run(args, count)
        late = r["late"]
        print(f"   created {args.instances} instances in {r['create_s']:.1f} s; {r['slack']:.1f} s left before due")
        print(f"   fired {len(late)}/{args.instances}{'' if r['finished'] else ' (TIMED OUT)'}; instances {r['statuses']}")
        if late:
            print(f"   lateness (fired - due): p50={pct(late, 50):7.3f} s  p99={pct(late, 99):7.3f} s  "
                  f"max={max(late):7.3f} s   goal p99 <= 1 s: {'met' if pct(late, 99) <= 1 else 'MISSED'}")
            print(f"   first fired {min(late):+.3f} s after due; all fired within {r['span']:.2f} s "
                  f"({len(late) / max(r['span'], 1e-9):.0f} timers/s)")
            for line in common.cpu_report(r["cpu"], len(late), ("schedulers", "PostgreSQL"), "timer", "fired timer"):
                print(line)


if __name__ == "__main__":
    sys.exit(main())
