import ssl

import pytest

from flowdesk.workers.action_clients import ClientPool, shared_pool
from flowdesk.workers.http_action import ActionError, ActionRequest, call_action

SECRET = b"test-signing-secret"
LOCAL = ["127.0.0.1"]


@pytest.fixture
def pool():
    clients = ClientPool()
    yield clients
    clients.close()


def test_calls_reuse_one_connection(keepalive_server, pool):
    ports = [
        call_action(ActionRequest(f"{keepalive_server.url}/echo"), signing_secret=SECRET, allow_hosts=LOCAL,
                    clients=pool).body["client_port"]
        for _ in range(3)
    ]
    assert len(set(ports)) == 1


def test_a_reused_connection_still_sends_each_calls_host(keepalive_server, fake_dns, pool):
    fake_dns.add("one.test", ["127.0.0.1"])
    fake_dns.add("two.test", ["127.0.0.1"])
    hosts = [
        call_action(ActionRequest(f"http://{name}:{keepalive_server.port}/echo"), signing_secret=SECRET,
                    allow_hosts=["one.test", "two.test"], clients=pool).body["headers"]["Host"]
        for name in ("one.test", "two.test")
    ]
    assert hosts == [f"one.test:{keepalive_server.port}", f"two.test:{keepalive_server.port}"]


def test_cookies_set_by_one_action_are_not_sent_to_the_next(keepalive_server, pool):
    call_action(ActionRequest(f"{keepalive_server.url}/set-cookie"), signing_secret=SECRET, allow_hosts=LOCAL,
                clients=pool)
    echo = call_action(ActionRequest(f"{keepalive_server.url}/echo"), signing_secret=SECRET, allow_hosts=LOCAL,
                       clients=pool).body
    assert "Cookie" not in echo["headers"]


def test_https_connection_verified_for_one_name_is_not_reused_for_another(tls_server, fake_dns):
    fake_dns.add("secure.test", ["127.0.0.1"])
    fake_dns.add("other.test", ["127.0.0.1"])
    pool = ClientPool(verify=ssl.create_default_context(cafile=tls_server.cafile))
    ok = call_action(ActionRequest(f"https://secure.test:{tls_server.port}/echo"), signing_secret=SECRET,
                     allow_hosts=["secure.test", "other.test"], clients=pool)
    assert ok.status_code == 200
    # Same address and port as the pooled connection: only a new handshake can judge the name.
    with pytest.raises(ActionError, match="CERTIFICATE_VERIFY_FAILED"):
        call_action(ActionRequest(f"https://other.test:{tls_server.port}/echo"), signing_secret=SECRET,
                    allow_hosts=["secure.test", "other.test"], clients=pool)
    pool.close()


def test_the_process_keeps_one_pool():
    assert shared_pool() is shared_pool()
