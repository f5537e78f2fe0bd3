"""PostgreSQL away mid-load: only 503 with Retry-After while it is down, never 500; back by itself.

The database is taken away by cutting a TCP proxy between flowdesk and the shared server
(established connections dropped, new ones refused), never by stopping the server.
"""

import threading
import time
from pathlib import Path

import pytest

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine.store.runtime import Runtime

DATA = Path(__file__).parents[1] / "data"
ADMIN = {}
RECOVERY_SECONDS = 2.0


@pytest.fixture
def proxied(pg_runtime, db_proxy, master_key, admin):
    """An app whose every database connection goes through the proxy, with a deployed process."""
    proxy, url = db_proxy
    ADMIN.update(admin)
    runtime = Runtime(url, master_key=master_key)
    app = create_app(Settings(database_url=url, admin_key=admin["Authorization"].split()[1], auto_migrate=False,
                              rate_limit=""), runtime=runtime)
    client = app.test_client()
    with (DATA / "two_step.bpmn").open("rb") as handle:
        response = client.post("/api/v1/definitions", data={"file": (handle, "two_step.bpmn")}, headers=ADMIN,
                               content_type="multipart/form-data")
    assert response.status_code == 201
    yield app, proxy
    runtime.close()


REQUESTS = [
    ("GET", "/api/v1/instances", None),
    ("GET", "/api/v1/tickets", None),
    ("POST", "/api/v1/processes/two_step/instances", {}),
    ("GET", "/api/v1/definitions", None),
    ("GET", "/ready", None),
]


def _load(app, seconds: float, threads: int = 4) -> list:
    """Every (path, status, Retry-After, content type, asked at) answered to ``threads`` clients for ``seconds``."""
    answers, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def hammer(offset: int):
        client = app.test_client()
        n = offset
        while time.monotonic() < deadline:
            method, path, body = REQUESTS[n % len(REQUESTS)]
            asked_at = time.monotonic()  # when asked, not answered: one asked before the cut may answer after it
            response = client.open(path, method=method, json=body, headers=ADMIN)
            with lock:
                answers.append((path, response.status_code, response.headers.get("Retry-After"), response.mimetype,
                                asked_at))
            n += 1

    workers = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


def test_every_endpoint_answers_503_while_the_database_is_away(proxied):
    app, proxy = proxied
    results = []
    load = threading.Thread(target=lambda: results.extend(_load(app, 2.0)))
    load.start()
    time.sleep(0.5)
    proxy.cut()  # mid-load: some requests are inside a transaction when their connection drops
    cut_at = time.monotonic()
    load.join()
    assert {status for _, status, _, _, _ in results} <= {200, 201, 503}
    assert {status for _, status, _, _, at in results if at < cut_at} >= {200}
    down = [answer for answer in results if answer[4] > cut_at + 0.1]
    assert len(down) >= 20
    assert {status for _, status, _, _, _ in down} == {503}
    assert all(retry_after and int(retry_after) > 0 for _, _, retry_after, _, _ in down)
    # /ready answers with its own check report; the API with problem+json.
    assert {mimetype for path, _, _, mimetype, _ in down if path != "/ready"} == {"application/problem+json"}


def test_service_recovers_within_two_seconds_of_the_database_returning(proxied):
    app, proxy = proxied
    client = app.test_client()
    proxy.cut()
    assert client.get("/api/v1/instances", headers=ADMIN).status_code == 503
    proxy.restore()
    returned = time.monotonic()
    while client.get("/api/v1/instances", headers=ADMIN).status_code != 200:
        assert time.monotonic() - returned < RECOVERY_SECONDS, "not recovered within 2 s"
        time.sleep(0.05)
    assert client.post("/api/v1/processes/two_step/instances", json={}, headers=ADMIN).status_code == 201
    assert client.get("/ready").status_code == 200


def test_nothing_is_half_done_by_an_outage(proxied):
    app, proxy = proxied
    client = app.test_client()
    proxy.cut()
    assert client.post("/api/v1/processes/two_step/instances", json={}, headers=ADMIN).status_code == 503
    proxy.restore()
    time.sleep(0.1)
    assert client.get("/api/v1/instances", headers=ADMIN).get_json()["items"] == []
