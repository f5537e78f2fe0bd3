"""Where the time of one reference instance goes, command by command (a profile, not a goal).

In one process, without HTTP or gunicorn: the Flask app (test client) on a bench PostgreSQL
schema runs the reference approval process: start (POST /processes/.../instances), complete the
ticket (POST /tickets/{id}/complete), then the service task's job as a worker runs it
(``flowdesk.workers.context.run_job``: claim, call the local action server, finish). For
each command: wall time, SQL statements and the time spent waiting for them; then a cProfile
of the same loop grouped by package, and the functions with the most own time.

    python bench/profile_commands.py               # ~30 s
    python bench/profile_commands.py --instances 500
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time

import common
from common import banner

PACKAGES = (("flowdesk/bpmn", "flowdesk.bpmn"), ("flowdesk/engine", "flowdesk.engine"), ("flowdesk/api", "flowdesk.api"),
            ("flowdesk/workers", "flowdesk.workers"), ("SpiffWorkflow", "SpiffWorkflow"),
            ("RestrictedPython", "RestrictedPython"), ("sqlalchemy", "SQLAlchemy"), ("psycopg2", "psycopg2 (driver, incl. waiting for PostgreSQL)"),
            ("flask_smorest", "flask-smorest"), ("marshmallow", "marshmallow"), ("webargs", "webargs"),
            ("werkzeug", "werkzeug"), ("flask", "flask"), ("httpx", "httpx"), ("httpcore", "httpx"),
            ("ssl.py", "ssl (C: loading CA certificates...)"), ("json", "json"), ("copy.py", "copy (deepcopy)"),
            ("jsonschema", "jsonschema"), ("lxml", "lxml"))


class SqlMeter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.seconds, self._t = 0, 0.0, {}
        self.statements: list[str] | None = None  # a list: record the statements run
        self.where = False  # also record which flowdesk functions sent each statement
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._t[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.seconds += time.perf_counter() - self._t.pop(id(cursor), time.perf_counter())
        self.count += 1
        if self.statements is not None:
            text = " ".join(statement.split())[:160]
            if self.where:
                import traceback  # noqa: PLC0415 - only for --where

                frames = [f"{f.name}:{f.lineno}" for f in traceback.extract_stack()
                          if "/flowdesk/" in f.filename and "/bench/" not in f.filename]
                text = f"{text}\n      <- {' <- '.join(reversed(frames[-4:]))}"
            self.statements.append(text)

    def snapshot(self):
        return self.count, self.seconds


class SoleProcessFeed:
    """The change feed of a process alone: no one to tell or hear, so its read cache is on."""

    def publish(self, topics) -> None:
        return None

    def listen(self, on_change, on_listening) -> None:
        on_listening(True)

    def close(self) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--statements", action="store_true", help="print the SQL statements of one instance's commands")
    parser.add_argument("--where", action="store_true", help="with --statements: the flowdesk functions that sent each")
    parser.add_argument("--dump", help="also write the cProfile data to this file (for pstats or snakeviz)")
    parser.add_argument("--kept", action="store_true",
                        help="keep keys, subscriptions and latest versions, as every process with Redis does")
    args = parser.parse_args()

    import sqlalchemy as sa

    from flowdesk.api import create_app
    from flowdesk.config import Settings
    from flowdesk.workers import context

    print(f"profile of the reference process, command by command -- {common.machine()}")
    with common.pg_schema() as schema, common.Processes() as procs:
        rt = common.runtime_for(schema)
        if args.kept:
            rt.attach_change_feed(SoleProcessFeed())
        keys = common.create_users(rt)
        action = common.start_action_server(procs)
        app = create_app(Settings(database_url=schema.url, admin_key=common.ADMIN_KEY, auto_migrate=False), runtime=rt)
        context.use(rt)
        client = app.test_client()

        def headers(user):
            return {"Authorization": f"Bearer {keys[user]}"}

        response = client.post("/api/v1/definitions", data=common.bpmn_bytes("reference_approval.bpmn", action.port),
                               content_type="application/xml", headers=headers("admin"))
        assert response.status_code in (200, 201), response.get_json()
        meter = SqlMeter(rt.db)
        stats: dict[str, list] = {"start": [], "complete": [], "job (claim, call, finish)": []}

        def measure(name, fn):
            c0, s0 = meter.snapshot()
            t = time.perf_counter()
            value = fn()
            wall = time.perf_counter() - t
            c1, s1 = meter.snapshot()
            stats[name].append((wall, c1 - c0, s1 - s0))
            return value

        def one(i):
            started = measure("start", lambda: client.post(
                "/api/v1/processes/reference_approval/instances", headers=headers("crm"),
                json={"variables": {"request_id": f"R-{i}", "amount": 100 + i}}).get_json())
            ticket = started["open_tickets"][0]["id"]
            done = measure("complete", lambda: client.post(f"/api/v1/tickets/{ticket}/complete", headers=headers("agent"),
                                                           json={"data": {"approved": True}}))
            assert done.status_code == 200, done.get_json()
            with rt.db.connect() as conn:
                job_id = conn.execute(sa.text("SELECT id FROM jobs WHERE instance_id = :i AND status = 'pending'"),
                                      {"i": started["id"]}).scalar()
            status = measure("job (claim, call, finish)", lambda: context.run_job(job_id))
            assert status == "succeeded", status

        for i in range(10):  # warm-up
            one(i)
        if args.statements:
            banner("SQL statements of one instance, in order (start, complete, job)")
            meter.statements, meter.where = [], args.where
            one(10)
            for statement in meter.statements:
                print(f"   {statement}")
            meter.statements = None
        for values in stats.values():
            values.clear()
        for i in range(args.instances):
            one(i)

        banner(f"per command, mean of {args.instances} (in-process: no HTTP server, no gunicorn)")
        for name, values in stats.items():
            wall = statistics.mean(v[0] for v in values) * 1000
            count = statistics.mean(v[1] for v in values)
            db = statistics.mean(v[2] for v in values) * 1000
            print(f"   {name:<28} {wall:7.1f} ms wall   {count:5.1f} SQL statements   {db:6.1f} ms waiting for them   "
                  f"{wall - db:6.1f} ms in Python")

        profile = cProfile.Profile()
        profile.enable()
        for i in range(args.instances):
            one(i)
        profile.disable()
        if args.dump:
            profile.dump_stats(args.dump)
        ps = pstats.Stats(profile)
        total = sum(v[2] for v in ps.stats.values())
        by_package: dict[str, float] = {}
        for (filename, _, func), (_, _, tottime, _, _) in ps.stats.items():
            label = next((lbl for key, lbl in PACKAGES if key in filename), None)
            if label is None and filename == "~":  # C functions: name them by their object
                label = ("psycopg2 (driver, incl. waiting for PostgreSQL)" if "psycopg2" in func else
                         "ssl (C: loading CA certificates...)" if "_ssl" in func else
                         "socket I/O" if "socket" in func else "Python builtins")
            label = label or "other"
            by_package[label] = by_package.get(label, 0.0) + tottime
        banner("cProfile: own time by package")
        for label, seconds in sorted(by_package.items(), key=lambda kv: -kv[1]):
            if seconds / total >= 0.005:
                print(f"   {100 * seconds / total:5.1f}%  {label}")
        banner(f"cProfile: top {args.top} functions by own time")
        ranked = sorted(ps.stats.items(), key=lambda kv: -kv[1][2])[:args.top]
        for (filename, line, func), (_, ncalls, tottime, cumtime, _) in ranked:
            where = filename.split("site-packages/")[-1].split("/src/")[-1]
            print(f"   {100 * tottime / total:5.1f}%  {tottime / args.instances * 1000:6.2f} ms/instance  "
                  f"{ncalls / args.instances:7.1f} calls/instance  {func} ({where}:{line})")
        context.use(None)
        rt.close()


if __name__ == "__main__":
    sys.exit(main())
