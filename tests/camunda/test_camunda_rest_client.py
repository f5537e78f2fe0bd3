"""camunda-client (a Camunda 7 REST client from PyPI, unmodified) starts a process, correlates a
message and works a task on a served flowdesk, with only its base URL and credentials set."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

camunda_client = pytest.importorskip("camunda_client")
httpx = pytest.importorskip("httpx")
from camunda_client.clients.dto import AuthData  # noqa: E402
from camunda_client.clients.engine.schemas.body import GetTasksFilterSchema, SendCorrelationMessageSchema  # noqa: E402


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


@pytest.fixture
def agent_key(make_user):
    """An agent of group 'agents' who works the order's ticket."""
    return make_user("bob", "agent", "agents")["Authorization"].split()[1]


def engine_of(served, user: str, key: str):
    return camunda_client.CamundaEngineClient(served.engine_rest, AuthData(username=user, password=key),
                                              transport=httpx.AsyncHTTPTransport())


def test_start_correlate_and_complete_a_task(served, worker_key, agent_key, client, admin, deploy):
    deploy("messages.bpmn")
    deploy("two_step.bpmn")
    system, agent = engine_of(served, "payments-worker", worker_key), engine_of(served, "bob", agent_key)
    value = camunda_client.VariableValueSchema

    async def scenario():
        order = await system.start_process("order", business_key="order-9",
                                           variables={"order_id": value(value="o-9", type="String")})
        results = await system.send_correlation_message(SendCorrelationMessageSchema(
            message_name="payment_received", business_key="order-9", result_enabled=True,
            process_variables={"paid": value(value=True, type="Boolean")}))
        case = await system.start_process("two_step", variables={"skip": value(value=True, type="Boolean")})
        [task] = await agent.get_tasks(GetTasksFilterSchema(process_instance_id=case.id))
        await agent.claim_task(task.id, "bob")
        await agent.submit_task_form(task.id, {"checked": value(value=1, type="Integer")})
        return order, results, case, task

    # In a thread of its own: a browser test earlier on this worker may have left an event loop
    # running in this one, and asyncio.run refuses to start inside a running loop.
    with ThreadPoolExecutor(1) as pool:
        order, results, case, task = pool.submit(asyncio.run, scenario()).result()
    assert isinstance(order.id, UUID)
    assert results[0]["execution"]["processInstanceId"] == str(order.id)
    assert client.get(f"/api/v1/instances/{order.id}", headers=admin).get_json()["variables"]["paid"] is True
    assert task.task_definition_key == "first"
    assert task.process_definition_id  # the deployed version's id
    done = client.get(f"/api/v1/instances/{case.id}", headers=admin).get_json()
    assert done["status"] == "completed"
    assert done["variables"]["checked"] == 1
