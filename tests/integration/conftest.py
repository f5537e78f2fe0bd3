"""Integration tests run on real PostgreSQL and Redis and call a real local HTTP server.

Locking, SKIP LOCKED and RQ behave differently on fakes, so nothing here is faked.
"""

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import make_url

from flowdesk.engine.process import job_dispatch
from flowdesk.workers import context
from flowdesk.workers.queue import RqQueue
from flowdesk.workers.worker import worker_for

DATA = Path(__file__).parent.parent / "data"
REDIS_URL = os.environ.get("FLOWDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# A burst worker narrates every start and stop; the tests' own failures are what matter.
logging.getLogger("rq.worker").setLevel(logging.WARNING)


@pytest.fixture
def eventually():
    """``eventually(check, timeout)``: poll ``check`` until it is true (True) or the time is up (False)."""
    def poll(check, timeout: float = 5.0, interval: float = 0.01) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(interval)
        return False
    return poll


@pytest.fixture
def runtime(pg_runtime):
    return pg_runtime


@pytest.fixture
def redis_url():
    """A Redis database emptied for each test."""
    try:
        Redis.from_url(REDIS_URL).flushdb()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({exc})")
    yield REDIS_URL
    Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def worker_runtime(pg_runtime, redis_url):
    """The PostgreSQL runtime wired to RQ, allowed to call the local server, set as the worker's."""
    pg_runtime.queue = RqQueue(redis_url)
    pg_runtime.action_allow_hosts = ("127.0.0.1",)
    context.use(pg_runtime)
    yield pg_runtime
    context.use(None)


@pytest.fixture
def deploy_for(client, admin, action_server):
    """Deploy a tests/data model with its action URLs pointing at the local action server."""
    def deploy(name):
        xml = (DATA / name).read_bytes().replace(b"{{port}}", str(action_server.port).encode())
        response = client.post("/api/v1/definitions", data=xml, content_type="application/xml", headers=admin)
        assert response.status_code == 201, response.get_json()
    return deploy


@pytest.fixture
def drain(worker_runtime):
    """``drain()`` dispatches due jobs and runs a burst RQ worker until nothing is left (bounded)."""
    def run(rounds: int = 20, until=None):
        queue = worker_runtime.queue
        for _ in range(rounds):
            job_dispatch.dispatch_due(worker_runtime)
            worker_for(queue).work(burst=True, with_scheduler=False)
            if until is not None and until():
                return
            if until is None and queue.queue.count == 0 and not job_dispatch.dispatch_due(worker_runtime):
                return
            time.sleep(0.05)
    return run


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL or Redis that a test can cut and restore, so the shared server
    never has to be stopped: ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)  # shutdown wakes the thread blocked in accept()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def db_proxy(postgres_url):
    """A :class:`TcpProxy` in front of the test PostgreSQL, and the database URL through it."""
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.cut()


@pytest.fixture
def redis_proxy(redis_url):
    """A :class:`TcpProxy` in front of the test Redis, and the Redis URL (same database) through it."""
    url = make_url(redis_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 6379)
    yield proxy, f"redis://127.0.0.1:{proxy.port}/{url.database or 0}"
    proxy.cut()


@pytest.fixture
def spawn(tmp_path, master_key):
    """``spawn(args, env)`` starts ``flowdesk ARGS`` as a separate process; all are killed at the end."""
    processes = []

    def run(args: list[str], env: dict) -> subprocess.Popen:
        log = (tmp_path / f"{args[0]}-{len(processes)}.log").open("wb")
        full_env = {**os.environ, "FLOWDESK_SECRET_KEY": master_key.decode(), "FLOWDESK_ACTION_ALLOW": "127.0.0.1",
                    "FLOWDESK_AUTO_MIGRATE": "false", "FLOWDESK_LOG_JSON": "false",
                    "FLOWDESK_HEARTBEAT_DIR": str(tmp_path), **env}
        process = subprocess.Popen([sys.executable, "-m", "flowdesk.cli", *args], env=full_env,
                                   stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log.name
        processes.append(process)
        return process

    yield run
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.fixture
def read_only():
    """``with read_only(path):`` the SQLite file (and its WAL) cannot be written, as on a full or
    remounted disk. chmod binds no root, so as root the files are made immutable instead."""
    @contextlib.contextmanager
    def unwritable(path: Path):
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        if os.geteuid() == 0:
            if subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True).returncode != 0:
                pytest.skip("cannot make the file read-only here (chattr +i refused)")
            try:
                yield
            finally:
                subprocess.run(["chattr", "-i", *map(str, files)], check=True)
        else:
            modes = {p: p.stat().st_mode for p in files}
            for p in files:
                p.chmod(0o444)
            try:
                yield
            finally:
                for p, mode in modes.items():
                    p.chmod(mode)
    return unwritable
