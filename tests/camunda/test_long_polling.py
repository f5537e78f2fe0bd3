"""Long polling of fetch-and-lock (Camunda's and flowdesk's own): idle workers wait, new tasks come at once."""

import base64
import threading
import time

import httpx
import pytest


def camunda_fetch(served, headers, wait_ms):
    return httpx.post(f"{served.engine_rest}/external-task/fetchAndLock", headers=headers, timeout=30, json={
        "workerId": "w1", "maxTasks": 1, "asyncResponseTimeout": wait_ms,
        "topics": [{"topicName": "payments", "lockDuration": 60_000}]})


def native_fetch(served, headers, wait_ms):
    # flowdesk's own API takes the same key as a bearer token.
    key = base64.b64decode(headers["Authorization"].split()[1]).decode().partition(":")[2]
    return httpx.post(f"{served.url}/api/v1/external-tasks/fetch-and-lock", headers={"Authorization": f"Bearer {key}"}, timeout=30, json={
        "worker_id": "w1", "max_tasks": 1, "async_response_timeout": wait_ms,
        "topics": [{"topic_name": "payments", "lock_duration": 60_000}]})


FETCHES = [pytest.param(camunda_fetch, id="engine-rest"), pytest.param(native_fetch, id="native")]


@pytest.fixture(params=["sqlite"])
def backend(request):
    """Timing tests run on SQLite only: the waiting is the same code on both databases."""
    return request.param


@pytest.mark.parametrize("fetch", FETCHES)
def test_idle_worker_makes_one_request_per_timeout(served, basic, deploy, fetch):
    deploy("external_invoice.bpmn")
    calls, began = 0, time.monotonic()
    while time.monotonic() - began < 2.5:
        response = fetch(served, basic, 1000)
        assert response.status_code == 200
        assert response.json() == []
        calls += 1
    assert calls <= 3  # one per second of waiting, not a busy loop


@pytest.mark.parametrize("fetch", FETCHES)
def test_task_started_while_worker_waits_is_returned_promptly(served, basic, deploy, admin, fetch):
    deploy("external_invoice.bpmn")
    answered = {}

    def wait():
        answered["response"] = fetch(served, basic, 10_000)
        answered["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)  # the worker is waiting now
    started = time.monotonic()
    # Starting needs SQLite's write lock: it would block if the waiting fetch held a transaction.
    response = httpx.post(f"{served.url}/api/v1/processes/external_invoice/instances", headers=admin,
                          json={"variables": {"amount": 5}}, timeout=10)
    assert response.status_code == 201
    waiter.join(15)
    assert len(answered["response"].json()) == 1
    # Woken by the commit, well before the one-second re-check would have found it.
    assert answered["at"] - started < 0.8


def test_a_task_freed_by_the_clock_is_found_by_the_recheck(runtime, basic, client, deploy, start):
    from flowdesk.engine.store import external_task_waits

    deploy("external_invoice.bpmn")
    start("external_invoice", {"amount": 1})
    body = {"workerId": "w1", "maxTasks": 1, "topics": [{"topicName": "payments", "lockDuration": 100}]}
    assert len(client.post("/engine-rest/external-task/fetchAndLock", json=body, headers=basic).get_json()) == 1
    # The lock expires after 100 ms with no commit to wake anyone: the re-check finds it.
    began = time.monotonic()
    found = client.post("/engine-rest/external-task/fetchAndLock", headers=basic,
                        json={**body, "workerId": "w2", "asyncResponseTimeout": 5000}).get_json()
    assert len(found) == 1
    assert time.monotonic() - began < external_task_waits.RECHECK_SECONDS + 1
