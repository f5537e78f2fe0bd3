"""Shared fixtures: a runtime per backend (SQLite file, real PostgreSQL), an app, users.

PostgreSQL tests use ``FLOWDESK_TEST_POSTGRES_URL`` (default: the local ``test`` database).
Each test session gets its own schema, so runs never see each other's rows. Outside CI an
unreachable PostgreSQL skips those tests with a reason; in CI (``CI`` set) it fails them.
"""

from __future__ import annotations

import os
import shutil
import uuid
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
    migrated = Runtime(url)
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
    runtime = Runtime(f"sqlite:///{path}")
    runtime.upgrade_schema()
    runtime.close()
    return path


def _truncate_all(runtime: Runtime) -> None:
    with runtime.db.begin() as conn:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def runtime(backend, request, tmp_path, sqlite_template):
    """An engine runtime on an empty, migrated database of the selected backend."""
    if backend == "sqlite":
        path = tmp_path / "flowdesk.sqlite3"
        shutil.copy(sqlite_template, path)
        rt = Runtime(f"sqlite:///{path}")
    else:
        rt = Runtime(request.getfixturevalue("postgres_url"))
        _truncate_all(rt)
    yield rt
    rt.close()


@pytest.fixture
def pg_runtime(postgres_url):
    """A runtime on PostgreSQL only, for tests about locking and concurrency."""
    rt = Runtime(postgres_url)
    _truncate_all(rt)
    yield rt
    rt.close()


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
def admin():
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def make_user(runtime):
    """``make_user(name, role, *groups)`` -> request headers carrying the new user's key."""
    def make(name: str, role: str = "agent", *groups: str) -> dict:
        _, key = identity.create_user(runtime, name, role, list(groups))
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
