"""Helpers the benchmarks share: a private PostgreSQL schema, a private Redis db, subprocesses
(gunicorn API, `flowdesk worker`, `flowdesk scheduler`, the local action server), load
generation, percentiles and memory readings.

Nothing here is a test: the benchmarks print figures and never assert on timings.

Run as a script, this module is the local action server the benchmarks start:
``python bench/common.py action-server --port N``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PG_URL = os.environ.get("FLOWDESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FLOWDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET_KEY = "flowdesk-bench-secret-key-not-for-production"
ADMIN_KEY = "fd_bench_admin_key"


# --------------------------------------------------------------------------- output


def banner(title: str) -> None:
    print(f"\n== {title}", flush=True)


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}, load average before the run {load}")


def pct(values, p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation; NaN for no values."""
    data = sorted(values)
    if not data:
        return float("nan")
    if len(data) == 1:
        return data[0]
    k = (len(data) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def latency_line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name:<34} n={len(ms):<6} p50={pct(ms, 50):8.1f} ms  p95={pct(ms, 95):8.1f} ms  "
            f"p99={pct(ms, 99):8.1f} ms  max={max(ms) if ms else float('nan'):8.1f} ms")


# --------------------------------------------------------------------------- PostgreSQL, Redis


@dataclass
class Schema:
    name: str
    url: str  # the flowdesk database URL, search_path set to the schema


def _sa_url(url: str) -> str:
    from flowdesk.engine.store.database import normalize_url

    return normalize_url(url)


@contextlib.contextmanager
def pg_schema(migrate: bool = True):
    """A fresh ``bench_<random>`` schema (migrated), dropped at the end whatever happens."""
    import sqlalchemy as sa

    from flowdesk.engine.store.runtime import Runtime

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_sa_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{name}"
    try:
        if migrate:
            rt = Runtime(url, master_key=SECRET_KEY.encode())
            rt.upgrade_schema()
            rt.close()
        yield Schema(name, url)
    finally:
        with admin.connect() as conn:
            # Connections a killed subprocess left behind must not block the drop.
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                "AND application_name = :app"), {"app": name})
            conn.execute(sa.text("SET lock_timeout = '20s'"))
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def redis_db(url: str = REDIS_URL):
    """The benchmark's own Redis database, emptied at the start and at the end."""
    from redis import Redis

    connection = Redis.from_url(url)
    connection.flushdb()
    try:
        yield url
    finally:
        connection.flushdb()
        connection.close()


def runtime_for(schema: Schema, redis_url: str | None = None):
    """An in-process flowdesk runtime on the bench schema (for setup, direct engine calls, counting)."""
    from flowdesk.engine.store.runtime import Runtime

    rt = Runtime(schema.url, master_key=SECRET_KEY.encode(), action_allow_hosts=("127.0.0.1",))
    if redis_url:
        from flowdesk.workers.queue import RqQueue

        rt.queue = RqQueue(redis_url)
    return rt


def create_users(rt) -> dict[str, str]:
    """admin (FLOWDESK_ADMIN_KEY), a system user that starts processes, an agent in every bench group."""
    from flowdesk.engine.access import identity

    keys = {}
    for name, role, groups, key in (("admin", "admin", (), ADMIN_KEY), ("crm", "system", (), None),
                                    ("agent", "agent", ("approvers", "loopers"), None)):
        _, keys[name] = identity.create_user(rt, name, role, list(groups), key)
    return keys


def bpmn_bytes(name: str, port: int | None = None) -> bytes:
    xml = (BENCH_DIR / name).read_bytes()
    if port is not None:
        xml = xml.replace(b"{{port}}", str(port).encode())
    return xml


# --------------------------------------------------------------------------- subprocesses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flowdesk_env(schema: Schema, redis_url: str | None = REDIS_URL, **extra: str) -> dict[str, str]:
    """The environment every flowdesk subprocess of a benchmark gets."""
    env = dict(os.environ)
    # application_name lets pg_schema() end connections a killed process left behind.
    db_url = schema.url + f"&application_name={schema.name}"
    env.update(FLOWDESK_DATABASE_URL=db_url, FLOWDESK_SECRET_KEY=SECRET_KEY,
               FLOWDESK_ACTION_ALLOW="127.0.0.1", FLOWDESK_ADMIN_KEY=ADMIN_KEY, FLOWDESK_AUTO_MIGRATE="false",
               FLOWDESK_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
               # The per-key limit on starts (default 1200/minute) guards against floods; a load test
               # raises it above its own load. The limiter still runs (a Redis counter per start).
               FLOWDESK_RATE_LIMIT="1000000/minute")
    if redis_url:
        env["FLOWDESK_REDIS_URL"] = redis_url
    env.update(extra)
    return env


class Processes:
    """Subprocesses of one benchmark; each in its own session, stopped (by pid) at the end."""

    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.transient: set[int] = set()  # pids that end on their own (profilers)
        self.dir = Path(tempfile.mkdtemp(prefix="flowdesk-bench-"))
        atexit.register(self.stop_all)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.stop_all()
        if exc_type is None and not os.environ.get("FLOWDESK_BENCH_KEEP_LOGS"):  # keep the logs of a failed run for a look
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, name: str, argv: list[str], env: dict | None = None, transient: bool = False) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "wb")
        # cwd: the temporary directory, so nothing (flowdesk.key, logs) lands in the repository.
        proc = subprocess.Popen(argv, env=env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((name, proc))
        if transient:
            self.transient.add(proc.pid)
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        try:
            return "\n".join((self.dir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.pid not in self.transient and proc.poll() is not None:
                raise RuntimeError(f"{name} (pid {proc.pid}) exited with {proc.returncode}:\n{self.log_tail(name)}")

    def stop(self, proc: subprocess.Popen, timeout: float = 10.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # its own session: the group is this process's
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def stop_all(self) -> None:
        for _, proc in reversed(list(self.procs)):
            self.stop(proc)


def _handle_signals() -> None:
    # SIGTERM/SIGHUP become SystemExit so that every ``finally`` (subprocesses, schema) runs.
    def raise_exit(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, raise_exit)


_handle_signals()


def wait_http(url: str, proc: subprocess.Popen, procs: Processes, name: str, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{procs.log_tail(name)}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer {url} within {timeout:g}s:\n{procs.log_tail(name)}")


@dataclass
class ActionServerProcess:
    port: int
    proc: subprocess.Popen
    url: str = field(init=False)

    def __post_init__(self):
        self.url = f"http://127.0.0.1:{self.port}"

    def calls(self) -> int:
        import httpx

        return httpx.get(f"{self.url}/_calls", timeout=5).json()["calls"]


def start_action_server(procs: Processes, delay_ms: float = 0.0) -> ActionServerProcess:
    """The service tasks' action URL: a ThreadingHTTPServer in its own process (no GIL shared with the load)."""
    port = free_port()
    proc = procs.start("action-server", [sys.executable, str(Path(__file__).resolve()), "action-server",
                                         "--port", str(port), "--delay-ms", str(delay_ms)])
    wait_http(f"http://127.0.0.1:{port}/_calls", proc, procs, "action-server", timeout=20)
    return ActionServerProcess(port, proc)


def start_api(procs: Processes, env: dict | None, workers: int = 2, threads: int = 4,
              app: str = "flowdesk.wsgi:app", chdir: Path | None = None) -> tuple[str, subprocess.Popen]:
    """``gunicorn -w W --threads T <app>`` on a free loopback port; returns the base URL.

    ``app`` is flowdesk's unless another is named (its module found under ``chdir``); it must
    answer ``GET /health``."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
            "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    if chdir is not None:
        argv += ["--chdir", str(chdir)]
    # gunicorn >= 23 opens a control socket under ~/.gunicorn; a benchmark needs none.
    if _gunicorn_has_control_socket():
        argv.append("--no-control-socket")
    proc = procs.start("gunicorn", argv + [app], env)
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/health", proc, procs, "gunicorn")
    # Every worker must be up (each builds its runtime on import), not just the first to answer.
    deadline = time.monotonic() + 60
    while len(children(proc.pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return base, proc


def _gunicorn_has_control_socket() -> bool:
    try:
        import gunicorn

        return tuple(int(x) for x in gunicorn.__version__.split(".")[:2]) >= (23, 0) and \
            "--no-control-socket" in subprocess.run([sys.executable, "-m", "gunicorn", "--help"],
                                                    capture_output=True, text=True).stdout
    except (ImportError, ValueError, OSError):
        return False


def start_workers(procs: Processes, env: dict, count: int = 2) -> list[subprocess.Popen]:
    """``flowdesk worker`` processes (RQ, a SimpleWorker without per-job registries, each with its dispatcher thread)."""
    return [procs.start(f"worker-{n}", [sys.executable, "-m", "flowdesk.cli", "worker"], env) for n in range(count)]


def start_schedulers(procs: Processes, env: dict, count: int = 1) -> list[subprocess.Popen]:
    return [procs.start(f"scheduler-{n}", [sys.executable, "-m", "flowdesk.cli", "scheduler"], env)
            for n in range(count)]


def wait_workers_ready(redis_url: str, count: int, timeout: float = 60.0) -> None:
    """Until ``count`` RQ workers have registered in Redis."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(Worker.all(connection=connection)) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{count} RQ workers did not register within {timeout:g}s")


# --------------------------------------------------------------------------- memory


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces: the fields after the closing parenthesis are fixed.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return sorted(out)


def memory_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of ``pid`` in kB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    except OSError:
        pass
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pg_backends(rt, application_name: str) -> list[int]:
    """PostgreSQL backend pids of the connections flowdesk subprocesses opened (see flowdesk_env)."""
    import sqlalchemy as sa

    with rt.db.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                                           {"a": application_name}).all()]


class CpuMeter:
    """CPU time used by groups of processes between ``start()`` and ``stop()``.

    On a machine shared with other work, wall-clock rates depend on the neighbours; CPU time
    per instance does much less, and ``cores * 1000 / ms_per_instance`` is the rate the
    measured processes could reach on idle cores (if nothing but CPU limited them).
    """

    def __init__(self, groups: dict):
        self.groups = groups  # label -> callable returning the pids of that group now
        self.before: dict[str, dict[int, float]] = {}

    def _read(self) -> dict[str, dict[int, float]]:
        out = {}
        for label, pids in self.groups.items():
            out[label] = {pid: (time.process_time() if pid == os.getpid() else cpu_seconds(pid)) for pid in pids()}
        return out

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        return {label: sum(t - self.before[label].get(pid, 0.0) for pid, t in pids.items())
                for label, pids in after.items()}


def cpu_report(used: dict[str, float], count: int, flowdesk: tuple[str, ...], unit: str = "instance",
               done: str = "completed instance") -> list[str]:
    if not count:
        return []
    lines = [f"   CPU per {done}: " + ", ".join(f"{label} {seconds / count * 1000:.1f} ms"
                                              for label, seconds in used.items())]
    total = sum(used[label] for label in flowdesk if label in used) / count * 1000
    cores = os.cpu_count() or 1
    lines.append(f"   flowdesk side ({' + '.join(flowdesk)}): {total:.1f} ms CPU per {unit} -> at most "
                 f"{cores * 1000 / total:.0f} {unit}s/s on {cores} otherwise idle cores")
    return lines


# --------------------------------------------------------------------------- HTTP load


class Client:
    """One keep-alive httpx connection; ``post(path, body, key)`` sends that user's bearer key."""

    def __init__(self, base: str, key: str | None = None, timeout: float = 60.0):
        import httpx

        self.key = key
        self.http = httpx.Client(base_url=base + "/api/v1", timeout=timeout)

    def post(self, path: str, body: dict, key: str | None = None) -> dict:
        response = self.http.post(path, json=body, headers={"Authorization": f"Bearer {key or self.key}"})
        if response.status_code not in (200, 201):
            raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:500]}")
        return response.json()

    def close(self) -> None:
        self.http.close()


def deploy(base: str, xml: bytes) -> list[dict]:
    import httpx

    response = httpx.post(f"{base}/api/v1/definitions", content=xml, timeout=60,
                          headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/xml"})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"deploy -> {response.status_code}: {response.text[:1000]}")
    return response.json()


def run_concurrently(total: int, concurrency: int, make_state, work) -> tuple[list, list[BaseException]]:
    """Call ``work(state, i)`` for i in range(total) from ``concurrency`` threads; each thread has
    its own ``state = make_state()`` (an HTTP client). Returns the results and the errors."""
    counter = iter(range(total))
    lock = threading.Lock()
    results, errors = [], []

    def loop():
        state = make_state()
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                try:
                    value = work(state, i)
                except Exception as exc:  # noqa: BLE001 - reported after the run
                    with lock:
                        errors.append(exc)
                    continue
                with lock:
                    results.append(value)
        finally:
            close = getattr(state, "close", None)
            if close:
                close()

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def in_threads(targets) -> None:
    """Run each callable of ``targets`` in a thread of its own; return when all have ended."""
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_for(predicate, timeout: float, interval: float = 0.05, procs: Processes | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if procs is not None:
            procs.check_alive()
        time.sleep(interval)
    return predicate()


# --------------------------------------------------------------------------- profiling


def py_spy(procs: Processes, pid: int, seconds: float, out: Path, name: str) -> subprocess.Popen | None:
    """Sample ``pid`` with py-spy for ``seconds``; writes a speedscope profile."""
    exe = Path(sys.executable).with_name("py-spy")
    if not exe.exists():
        print(f"   (py-spy not installed in {exe.parent}; no profile for {name})")
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return procs.start(f"py-spy-{name}", [str(exe), "record", "--nonblocking", "-r", "50",
                                          "-d", str(int(seconds)), "-f", "raw", "-o", str(out), "-p", str(pid)],
                       transient=True)


def _frame_label(frame: str) -> str:
    """``func (path/to/file.py:123)`` -> ``func (file.py)``."""
    if " (" not in frame:
        return frame
    func, where = frame.split(" (", 1)
    return f"{func} ({where.split(':')[0].rsplit('/', 1)[-1]})"


def top_frames(raw_profile: Path, limit: int = 15) -> tuple[list, list]:
    """From a py-spy ``raw`` file (collapsed stacks): (share, frame) of the leaf frames with the most
    samples (own time), and of the flowdesk functions with the most samples inside them (inclusive)."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    try:
        lines = raw_profile.read_text().splitlines()
    except OSError:
        return [], []
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = _frame_label(frames[-1])
        own[leaf] = own.get(leaf, 0) + n
        for label in {_frame_label(f) for f in frames if "flowdesk/" in f}:
            inclusive[label] = inclusive.get(label, 0) + n
    if not total:
        return [], []

    def ranked(counts):
        return [(100.0 * n / total, label) for label, n in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]]

    return ranked(own), ranked(inclusive)


# --------------------------------------------------------------------------- the action server


def _action_server(port: int, delay_ms: float) -> None:
    calls = 0
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, a kept-alive connection waits for
        # the client's delayed ACK (40 ms) before the body: a stall no real web server has.
        disable_nagle_algorithm = True

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._answer(200, {"calls": calls})

        def do_POST(self):
            nonlocal calls
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if delay_ms:
                time.sleep(delay_ms / 1000)
            with lock:
                calls += 1
            self._answer(200, {"ok": True, "reference": f"F-{calls}"})

        do_PUT = do_PATCH = do_POST

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("action-server")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    if args.command == "action-server":
        _action_server(args.port, args.delay_ms)
