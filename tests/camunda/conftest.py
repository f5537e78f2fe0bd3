"""Fixtures of the Camunda 7 surface: a served flowdesk, a worker's Basic credentials, an invoice."""

import base64
import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def worker_key(runtime, app):
    """The API key of a system user "payments-worker" (made after the app, which makes the admin first)."""
    from flowdesk.engine.access import identity
    _, key = identity.create_user(runtime, "payments-worker", "system", [])
    return key


@pytest.fixture
def basic(worker_key):
    """HTTP Basic headers 'payments-worker:<key>', as most Camunda clients send them."""
    token = base64.b64encode(f"payments-worker:{worker_key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def invoice(deploy, start):
    deploy("external_invoice.bpmn")
    return start("external_invoice", {"amount": 120})


@pytest.fixture
def served(app):
    """The app on a free loopback port: ``served.url`` is the base URL, ``served.engine_rest`` Camunda's."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    class Served:
        url = f"http://127.0.0.1:{http.server_port}"
        engine_rest = f"{url}/engine-rest"

    yield Served
    http.shutdown()
    thread.join(5)
