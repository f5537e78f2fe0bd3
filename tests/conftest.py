"""Shared fixtures: a runtime per backend (SQLite file, real PostgreSQL), an app, users.

PostgreSQL tests use ``FLOWDESK_TEST_POSTGRES_URL`` (default: the local ``test`` database).
Each test session gets its own schema, so runs never see each other's rows. Outside CI an
unreachable PostgreSQL skips those tests with a reason; in CI (``CI`` set) it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine import identity
from flowdesk.engine.database import normalize_url
from flowdesk.engine.models import Base
from flowdesk.engine.runtime import Runtime

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"
ADMIN_KEY = "fd_test_admin_key"
MASTER_KEY = b"flowdesk-test-master-key"
POSTGRES_URL = normalize_url(
    os.environ.get("FLOWDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))


def _postgres_reachable(url: str) -> str | None:
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL URL whose search_path is a schema private to this test session."""
    problem = _postgres_reachable(POSTGRES_URL)
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} ({problem})")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    migrated = Runtime(url, master_key=MASTER_KEY)
    migrated.upgrade_schema()
    migrated.close()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies (migrating once per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "flowdesk.sqlite3"
    runtime = Runtime(f"sqlite:///{path}", master_key=MASTER_KEY)
    runtime.upgrade_schema()
    runtime.close()
    return path


def _truncate_all(runtime: Runtime) -> None:
    with runtime.db.begin() as conn:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # The migration's default tenant, as on a fresh database.
        conn.execute(sa.text("INSERT INTO tenants (id, name, created) VALUES ('default', 'Default', CURRENT_TIMESTAMP)"))


@pytest.fixture
def master_key() -> bytes:
    """The master key every test runtime shares (a worker subprocess needs it too)."""
    return MASTER_KEY


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def runtime(backend, request, tmp_path, sqlite_template):
    """An engine runtime on an empty, migrated database of the selected backend."""
    if backend == "sqlite":
        path = tmp_path / "flowdesk.sqlite3"
        shutil.copy(sqlite_template, path)
        rt = Runtime(f"sqlite:///{path}", master_key=MASTER_KEY)
    else:
        rt = Runtime(request.getfixturevalue("postgres_url"), master_key=MASTER_KEY)
        _truncate_all(rt)
    yield rt
    rt.close()


@pytest.fixture
def pg_runtime(postgres_url):
    """A runtime on PostgreSQL only, for tests about locking and concurrency."""
    rt = Runtime(postgres_url, master_key=MASTER_KEY)
    _truncate_all(rt)
    yield rt
    rt.close()


@pytest.fixture
def clock(runtime):
    """The runtime's clock, frozen at 2026-11-21 12:00 UTC; set ``clock.now`` or ``clock.advance(minutes=...)``."""
    class Clock:
        now = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)

        def __call__(self):
            return self.now

        def advance(self, **delta):
            self.now += timedelta(**delta)

    frozen = Clock()
    runtime.clock = frozen
    return frozen


@pytest.fixture
def app(runtime):
    settings = Settings(database_url=runtime.database_url, admin_key=ADMIN_KEY, auto_migrate=False)
    app = create_app(settings, runtime=runtime)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_client(runtime):
    """``make_client(rate_limit="2/minute", ...)`` -> a test client of an app built with those settings."""
    def make(**settings):
        app = create_app(Settings(database_url=runtime.database_url, admin_key=ADMIN_KEY, auto_migrate=False,
                                  **settings), runtime=runtime)
        app.config["TESTING"] = True
        return app.test_client()
    return make


@pytest.fixture
def admin():
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def make_user(runtime):
    """``make_user(name, role, *groups, process_keys=[...])`` -> request headers carrying the new user's key."""
    def make(name: str, role: str = "agent", *groups: str, **options) -> dict:
        _, key = identity.create_user(runtime, name, role, list(groups), **options)
        return {"Authorization": f"Bearer {key}"}
    return make


@pytest.fixture
def deploy(client, admin):
    """``deploy("simple_user_task.bpmn")`` uploads a file from tests/data (or examples/)."""
    def upload(*names: str, headers: dict | None = None):
        files = []
        for name in names:
            path = DATA / name if (DATA / name).exists() else EXAMPLES / name
            files.append((path.open("rb"), path.name))
        response = client.post("/api/v1/definitions", data={"file": files}, headers=headers or admin,
                               content_type="multipart/form-data")
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()
    return upload


@pytest.fixture
def start(client, admin):
    """``start("simple_user_task", variables={...})`` -> the new instance's JSON."""
    def run(process_key: str, variables: dict | None = None, business_key: str | None = None,
            headers: dict | None = None):
        response = client.post(f"/api/v1/processes/{process_key}/instances",
                               json={"variables": variables or {}, "business_key": business_key},
                               headers=headers or admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return run


class ActionServer:
    """A local HTTP server whose answers each test scripts per path; it records every request."""

    def __init__(self):
        self.requests = []
        self.routes = {}  # path -> callable(request dict) -> (status, body dict|bytes, headers)
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers), "raw": raw,
                           "json": json.loads(raw) if raw else None, "time": time.monotonic()}
                with outer.lock:
                    outer.requests.append(request)
                route = outer.routes.get(self.path.split("?")[0], lambda r: (200, {"ok": True}, {}))
                status, body, headers = route(request)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"].split("?")[0] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def signing_key():
    """An RSA key pair standing in for an identity provider's token signing key."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def action_server():
    server = ActionServer()
    yield server
    server.close()
