"""The unmodified Camunda 7 Python clients against a served flowdesk: only base URL and credentials set.

camunda-external-task-client-python3 runs its own worker loop step (fetch, run the handler,
report) and its EngineClient starts processes and correlates messages.
"""

import pytest

camunda_worker = pytest.importorskip("camunda.external_task.external_task_worker")
engine_client = pytest.importorskip("camunda.client.engine_client")


@pytest.fixture(params=["sqlite"])
def backend(request):
    """A live server on SQLite: the HTTP surface is what is under test here."""
    return request.param


@pytest.fixture
def config(worker_key):
    return {"auth_basic": {"username": "payments-worker", "password": worker_key}, "maxTasks": 1,
            "asyncResponseTimeout": 1000, "lockDuration": 10_000, "sleepSeconds": 0}


@pytest.fixture
def worker(served, config):
    return camunda_worker.ExternalTaskWorker(worker_id="py-worker", base_url=served.engine_rest, config=config)


@pytest.fixture
def engine(served, config):
    return engine_client.EngineClient(served.engine_rest, config)


def instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def test_worker_completes_task_with_variables(worker, engine, client, admin, deploy):
    deploy("external_invoice.bpmn")
    started = engine.start_process("external_invoice", {"amount": 120}, business_key="inv-1")
    seen = {}

    def charge(task):
        seen["amount"] = task.get_variable("amount")
        return task.complete({"charge_id": "ch_1", "paid": True})

    worker.fetch_and_execute("payments", charge)
    assert seen["amount"] == 120
    done = instance(client, admin, started["id"])
    assert done["status"] == "completed"
    assert done["business_key"] == "inv-1"
    assert done["variables"]["charge_id"] == "ch_1"
    assert done["variables"]["paid"] is True


def test_worker_failure_counts_retries_down_then_opens_incident(worker, engine, client, admin, deploy):
    deploy("external_invoice.bpmn")
    started = engine.start_process("external_invoice", {"amount": 1})
    retries_seen = []

    def fail(task):
        retries_seen.append(task._context.get("retries"))  # what the client computes the next retries from
        return task.failure("gateway down", "stack trace", max_retries=2, retry_timeout=0)

    for _ in range(3):
        worker.fetch_and_execute("payments", fail)
    assert retries_seen == [None, 2, 1]
    [incident] = instance(client, admin, started["id"])["incidents"]
    assert "gateway down" in incident["message"]
    with pytest.raises(camunda_worker.NoExternalTaskFound):
        worker.fetch_and_execute("payments", fail)


def test_worker_bpmn_error_with_variables_is_caught(worker, engine, client, admin, deploy):
    deploy("external_invoice.bpmn")
    started = engine.start_process("external_invoice", {"amount": 1})
    worker.fetch_and_execute("payments", lambda task: task.bpmn_error(
        "payment_declined", "card declined", {"decline_reason": "expired"}))
    after = instance(client, admin, started["id"])
    assert after["variables"]["decline_reason"] == "expired"
    assert [t["element_id"] for t in after["open_tickets"]] == ["call_customer"]


def test_engine_client_correlates_a_message_to_the_waiting_instance(engine, client, admin, deploy):
    deploy("messages.bpmn")
    order = engine.start_process("order", {"order_id": "o-1"}, business_key="order-1")
    [result] = engine.correlate_message("payment_received", business_key="order-1",
                                        process_variables={"paid": True})
    assert result["resultType"] == "Execution"
    assert result["execution"]["processInstanceId"] == order["id"]
    after = instance(client, admin, order["id"])
    assert [t["element_id"] for t in after["open_tickets"]] == ["ship"]
    assert after["variables"]["paid"] is True


def test_engine_client_starts_a_process_by_message(engine, deploy):
    deploy("messages.bpmn")
    [result] = engine.correlate_message("new_order", process_variables={"order_id": "o-2"})
    assert result["resultType"] == "ProcessDefinition"
    assert result["processInstance"]["definitionKey"] == "new_order"
    assert result["processInstance"]["ended"] is False


def test_engine_client_lists_instances_of_a_process(engine, deploy):
    deploy("messages.bpmn")
    order = engine.start_process("order", {"order_id": "o-3"})
    assert [i["id"] for i in engine.get_process_instance(process_key="order")] == [order["id"]]
