"""Rate limits per key on start, message and signal endpoints; body size limits on JSON endpoints."""

import io

import pytest


@pytest.fixture
def limited(make_client, deploy):
    deploy("simple_user_task.bpmn")
    return make_client(rate_limit="3/minute", max_json_bytes=4096)


def _start(client, headers):
    return client.post("/api/v1/processes/simple_user_task/instances", json={}, headers=headers)


def test_starts_above_the_limit_are_429_with_retry_after(limited, admin):
    assert [_start(limited, admin).status_code for _ in range(3)] == [201, 201, 201]
    response = _start(limited, admin)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_refused_starts_change_nothing(limited, admin):
    for _ in range(5):
        _start(limited, admin)
    assert len(limited.get("/api/v1/instances", headers=admin).get_json()["items"]) == 3


def test_each_key_has_its_own_budget(limited, admin, make_user):
    crm = make_user("crm", "system")
    for _ in range(3):
        _start(limited, admin)
    assert _start(limited, admin).status_code == 429
    assert _start(limited, crm).status_code == 201


def test_messages_and_signals_are_limited(limited, admin):
    codes = [limited.post("/api/v1/signals", json={"name": "nobody"}, headers=admin).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert limited.post("/api/v1/messages", json={"name": "nobody"}, headers=admin).status_code == 404


def test_reads_are_not_limited(limited, admin):
    assert {limited.get("/api/v1/instances", headers=admin).status_code for _ in range(6)} == {200}


def test_empty_setting_turns_limits_off(make_client, admin, deploy):
    deploy("simple_user_task.bpmn")
    client = make_client(rate_limit="")
    assert {_start(client, admin).status_code for _ in range(5)} == {201}


def test_oversized_json_body_is_413(limited, admin):
    response = limited.post("/api/v1/processes/simple_user_task/instances", json={"variables": {"x": "a" * 5000}},
                            headers=admin)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert limited.get("/api/v1/instances", headers=admin).get_json()["items"] == []


def test_oversized_chunked_json_body_is_413(limited, admin):
    # No Content-Length (the server de-chunks the body): the limit applies while it is read.
    body = b'{"variables": {"x": "' + b"a" * 5000 + b'"}}'
    response = limited.post("/api/v1/processes/simple_user_task/instances", input_stream=io.BytesIO(body),
                            headers={**admin, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                            environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_uploads_keep_their_own_larger_limit(limited, admin, deploy):
    # A BPMN file bigger than the JSON limit still deploys.
    assert deploy("ticket_progression.bpmn")[0]["key"] == "ticket_progression"


@pytest.mark.redis
def test_limits_are_shared_through_redis_by_every_api_process(make_client, make_user, deploy):
    import os

    from redis import Redis

    url = os.environ.get("FLOWDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        Redis.from_url(url).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {url} is required in CI: {exc}")
        pytest.skip(f"Redis not reachable at {url} ({exc})")
    deploy("simple_user_task.bpmn")
    crm = make_user("crm", "system")  # a new key each run, so counters of earlier runs do not count
    first, second = (make_client(rate_limit="2/minute", redis_url=url) for _ in range(2))
    assert [_start(first, crm).status_code, _start(second, crm).status_code] == [201, 201]
    assert _start(first, crm).status_code == 429
    assert _start(second, crm).status_code == 429


def test_limits_apply_before_authentication(limited):
    bad = {"Authorization": "Bearer fd_not_a_key_at_all_0123456789"}
    codes = [_start(limited, bad).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_limits_apply_per_address_without_a_key(limited):
    codes = [limited.post("/api/v1/signals", json={"name": "nobody"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_opening_requests_is_limited_per_requester(make_client, deploy, make_user):
    deploy("requestable.bpmn", "laptop-schema.json")
    limited = make_client(rate_limit="2/minute")
    alice, bob = make_user("alice", "requester"), make_user("bob", "requester")

    def open_one(headers):
        return limited.post("/api/v1/requests", json={"type": "call_back"}, headers=headers).status_code
    assert [open_one(alice) for _ in range(3)] == [201, 201, 429]
    assert open_one(bob) == 201
    assert len(limited.get("/api/v1/requests", headers=alice).get_json()["items"]) == 2
