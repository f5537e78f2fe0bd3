"""Shared fixtures: a runtime per backend (SQLite file, real PostgreSQL), an app, users.

PostgreSQL tests use ``FLOWDESK_TEST_POSTGRES_URL`` (default: the local ``test`` database).
Each test session gets its own schema, so runs never see each other's rows. Outside CI an
unreachable PostgreSQL skips those tests with a reason; in CI (``CI`` set) it fails them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
import sqlalchemy as sa

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine.access import identity
from flowdesk.engine.store.database import normalize_url
from flowdesk.engine.models import Base, Job, JobAttempt
from flowdesk.engine.store.runtime import Runtime

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"
ADMIN_KEY = "fd_test_admin_key"
MASTER_KEY = b"flowdesk-test-master-key"
POSTGRES_URL = normalize_url(
    os.environ.get("FLOWDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))


def _redis_database_of_this_worker() -> None:
    """Under pytest-xdist (`-n auto`, as CI runs) each worker gets a Redis database of its own,
    since the integration tests empty theirs between tests: gw0 the configured one (default
    db 15), gw1 the one below it, and so on. Set here, before any test module reads it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    base = urlsplit(os.environ.get("FLOWDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    database = int(base.path.strip("/") or 0) - int(worker.removeprefix("gw"))
    os.environ["FLOWDESK_TEST_REDIS_URL"] = base._replace(path=f"/{database}").geturl()


_redis_database_of_this_worker()


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


def send_json(handler, status: int, body, headers: dict | None = None) -> None:
    """Answer a fake server's request: ``body`` is JSON-encoded unless it is already bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if "Content-Type" not in (headers or {}):
        handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


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
def app_settings() -> dict:
    """Extra settings of the ``app`` under test: a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def app(runtime, app_settings):
    settings = Settings(database_url=runtime.database_url, admin_key=ADMIN_KEY, auto_migrate=False, **app_settings)
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
def as_documented(app):
    """``as_documented(response, "/api/v1/instances/{instance_id}", "get")`` fails unless the OpenAPI
    document lists the response's status and content type for that operation and its body fits
    the documented schema; returns the body."""
    import schemathesis

    spec = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

    def check(response, documented_path: str, method: str):
        conform(spec, documented_path, method, response)
        return response.get_json() if response.status_code != 204 else None
    return check


def conform(spec, documented_path: str, method: str, response) -> None:
    """Raise unless the document lists the response's status (or a default) with its content type,
    and the body matches that response's schema (``spec``: a schemathesis schema)."""
    responses = spec.raw_schema["paths"][documented_path][method]["responses"]
    described = responses.get(str(response.status_code)) or responses.get("default")
    assert described is not None, f"{method} {documented_path} does not document {response.status_code}"
    if "$ref" in described:
        described = spec.raw_schema["components"]["responses"][described["$ref"].rsplit("/", 1)[1]]
    if response.status_code != 204:
        assert response.mimetype in described.get("content", {}), \
            f"{method} {documented_path} {response.status_code}: {response.mimetype} is not documented"
    spec[documented_path][method].validate_response(response)


@pytest.fixture
def conforms():
    """``conforms(spec, path, method, response)``: the check ``as_documented`` makes, for tests
    that hold their own schemathesis schema."""
    return conform


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
                try:
                    send_json(self, status, body, headers)
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
def single_action_job(client, admin):
    """``single_action_job(retries=0)``: deploy single_action.bpmn (an outside URL, 5 s timeout)
    and start it; returns the id of its pending job."""
    def run(retries: int = 0) -> str:
        xml = ((DATA / "single_action.bpmn").read_text().replace("{{url}}", "https://actions.example.com/call")
               .replace("{{timeout}}", "5").replace("{{retries}}", str(retries)))
        assert client.post("/api/v1/definitions", data=xml.encode(), content_type="application/xml",
                           headers=admin).status_code == 201
        started = client.post("/api/v1/processes/single_action/instances", json={}, headers=admin).get_json()
        return started["jobs"][0]["id"]
    return run


@pytest.fixture
def stored_job(runtime):
    """``stored_job(job_id)``: the job row as committed, detached."""
    def read(job_id: str) -> Job:
        with runtime.uow() as uow:
            job = uow.session.get(Job, job_id)
            uow.session.expunge(job)
            return job
    return read


@pytest.fixture
def job_attempts(runtime):
    """``job_attempts(job_id)``: the job's attempts as committed, in order, detached."""
    def read(job_id: str) -> list[JobAttempt]:
        with runtime.uow() as uow:
            attempts = list(uow.session.scalars(
                sa.select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.number)))
            uow.session.expunge_all()
            return attempts
    return read


@pytest.fixture
def action_server():
    server = ActionServer()
    yield server
    server.close()


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeIdp:
    """A tiny OpenID Connect provider: discovery, an authorize endpoint that signs ``user`` in at
    once (redirecting back with a code), a token endpoint that checks the PKCE verifier and
    answers an RS256 JWT, and its JWKS. Every token request is kept in ``token_requests``."""

    client_id = "flowdesk-ui"
    audience = "flowdesk-api"

    def __init__(self, signing_key):
        self.key = signing_key
        self.user = {"sub": "olive", "roles": ["agent"], "groups": ["support"]}
        self.codes = {}  # code -> (challenge, redirect_uri)
        self.token_requests = []
        self.lock = threading.Lock()
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status, body=None, headers=None):
                send_json(self, status, b"" if body is None else body, headers)

            def do_GET(self):
                url = urlsplit(self.path)
                args = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path.endswith("/.well-known/openid-configuration"):  # names the root issuer only
                    self._send(200, {"issuer": outer.url, "authorization_endpoint": f"{outer.url}/authorize",
                                     "token_endpoint": f"{outer.url}/token", "jwks_uri": f"{outer.url}/jwks"})
                elif url.path == "/jwks":
                    self._send(200, outer.jwks)
                elif url.path == "/authorize":
                    if (args.get("client_id") != outer.client_id or args.get("response_type") != "code"
                            or args.get("code_challenge_method") != "S256" or not args.get("code_challenge")):
                        self._send(400, {"error": "invalid_request"})
                        return
                    code = uuid.uuid4().hex
                    with outer.lock:
                        outer.codes[code] = (args["code_challenge"], args["redirect_uri"])
                    back = urlencode({"code": code, "state": args.get("state", "")})
                    self._send(302, headers={"Location": f"{args['redirect_uri']}?{back}"})
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self):

                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with outer.lock:
                    outer.token_requests.append(form)
                    expected = outer.codes.pop(form.get("code"), None)  # a code works once
                challenge = s256(form.get("code_verifier", ""))
                if (self.path != "/token" or form.get("grant_type") != "authorization_code" or expected is None
                        or expected != (challenge, form.get("redirect_uri"))
                        or form.get("client_id") != outer.client_id):
                    self._send(400, {"error": "invalid_grant"})
                    return
                self._send(200, {"access_token": outer.token(), "token_type": "Bearer", "expires_in": 300,
                                 "id_token": outer.token(aud=outer.client_id)})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, **claims) -> str:

        body = {"iss": self.url, "aud": self.audience, "exp": int(time.time()) + 300, **self.user, **claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "idp-1"})

    def issue_code(self, verifier: str, redirect_uri: str) -> str:
        """A code as the authorize endpoint would give it for ``verifier`` (for API tests)."""

        challenge = s256(verifier)
        code = uuid.uuid4().hex
        with self.lock:
            self.codes[code] = (challenge, redirect_uri)
        return code

    def settings(self) -> dict:
        """App settings that sign in through this provider and accept its tokens."""
        return {"oidc_issuer": self.url, "oidc_client_id": self.client_id, "oidc_provider_name": "Fake IdP",
                "jwt_issuer": self.url, "jwt_audience": self.audience, "jwt_jwks_url": f"{self.url}/jwks"}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_idp(signing_key):
    idp = FakeIdp(signing_key)
    yield idp
    idp.close()


@pytest.fixture
def flowdesk_serve():
    """Start ``<flowdesk> serve`` on a free port and wait until /health answers; returns the port.

    ``serve(flowdesk, cwd, env, output=None)``: every server started is stopped after the test.
    """
    servers = []

    def serve(flowdesk: str, cwd: Path, env: dict, output=subprocess.DEVNULL) -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([flowdesk, "serve", "--port", str(port)], cwd=cwd, env=env,
                                  stdout=output, stderr=subprocess.STDOUT)
        servers.append(server)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return port
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log = output.name if hasattr(output, "name") else None
                pytest.fail("flowdesk serve did not come up" + (f":\n{Path(log).read_text()}" if log else ""))
            time.sleep(0.2)

    yield serve
    for server in servers:
        server.terminate()
        server.wait(timeout=60)


def _json_schema(node):
    """An OpenAPI 3.0 schema as JSON schema: ``nullable`` becomes a null type, and objects with
    documented properties allow no others (a field the documentation does not name fails)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "allOf" in out or "$ref" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


@pytest.fixture
def documented(client):
    """``documented("RequestSchema", body)`` -> the body, after checking it against the OpenAPI
    document's component schema of that name (undocumented fields fail too)."""
    import jsonschema

    spec = client.get("/api/openapi.json").get_json()
    root = {"components": {"schemas": _json_schema(spec["components"]["schemas"])}}

    def check(name: str, body):
        name = name.removesuffix("Schema") if name not in root["components"]["schemas"] else name
        schema = {**root, "$ref": f"#/components/schemas/{name}"}
        jsonschema.validate(body, schema)
        return body
    return check
