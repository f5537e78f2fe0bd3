"""Camunda 8 models as Camunda Modeler saves them (zeebe namespace, FEEL), through the server:
they run as the modeler meant, or are refused at deploy naming the element and line."""

import io
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
VARIABLES = {"owner": "dana", "deadline": "2026-12-24T17:00:00+00:00", "customer": {"name": "Ada"}, "orderId": "o-1"}


@pytest.fixture
def worker(make_user):
    return make_user("card-worker", "system")


@pytest.fixture
def order(deploy, start):
    deploy("camunda8_order.bpmn")
    return start("c8_order", VARIABLES)


def ticket_of(client, admin, instance):
    return client.get(f"/api/v1/tickets/{instance['open_tickets'][0]['id']}", headers=admin).get_json()


def complete(client, admin, ticket_id, data):
    return client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": data}, headers=admin)


def history(client, admin, instance_id):
    detail = client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()
    return [h["element_id"] for h in detail["history"]]


def deploy_refused(client, admin, content: bytes):
    response = client.post("/api/v1/definitions", data={"file": [(io.BytesIO(content), "camunda8_order.bpmn")]},
                           headers=admin, content_type="multipart/form-data")
    assert response.status_code == 422, response.get_json()
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []
    return response.get_json()["errors"]


def test_the_assignment_definition_lands_on_the_ticket(client, admin, order):
    ticket = ticket_of(client, admin, order)

    assert ticket["assignee"] == "dana"  # assignee="=owner"
    assert sorted(ticket["candidate_groups"]) == ["backoffice", "sales"]  # a FEEL list of groups


def test_the_task_schedule_gives_the_due_and_follow_up_dates(client, admin, order):
    ticket = ticket_of(client, admin, order)

    assert ticket["due_at"].startswith("2026-12-24T17:00:00")  # dueDate="=deadline"
    assert ticket["follow_up_at"].startswith("2026-12-01T09:00:00")  # followUpDate="2026-12-01T09:00:00Z"


def test_the_embedded_camunda_form_is_the_tickets_schema(client, admin, order):
    schema = ticket_of(client, admin, order)["form_schema"]

    assert schema["properties"] == {
        "approved": {"type": "boolean", "title": "Approved"},
        "amount": {"type": "number", "title": "Amount", "minimum": 1},
        "channel": {"title": "Channel", "enum": ["web", "phone"]},
        "note": {"type": "string", "title": "Note", "maxLength": 20},
    }
    assert schema["required"] == ["amount"]


@pytest.mark.parametrize("data", [
    {"approved": True},  # amount is required
    {"approved": True, "amount": 0},  # below min
    {"approved": True, "amount": 5, "channel": "fax"},  # not an option
])
def test_the_embedded_camunda_form_is_enforced(client, admin, order, data):
    response = complete(client, admin, order["open_tickets"][0]["id"], data)

    assert response.status_code == 422
    assert ticket_of(client, admin, order)["status"] != "completed"


def test_io_mappings_run_before_and_after_the_task(client, admin, order):
    ticket = ticket_of(client, admin, order)
    assert ticket["data"]["customerName"] == "Ada"  # input source="=customer.name"

    body = complete(client, admin, ticket["id"], {"approved": True, "amount": 20}).get_json()

    assert body["instance"]["variables"]["amountCents"] == 2000  # output source="=amount * 100"


def test_feel_conditions_and_script_choose_and_label_the_small_path(client, admin, order):
    body = complete(client, admin, order["open_tickets"][0]["id"], {"approved": True, "amount": 20}).get_json()

    assert body["instance"]["status"] == "completed"
    assert body["instance"]["variables"]["label"] == "order for Ada"
    assert "Task_charge" not in history(client, admin, order["id"])


def test_the_default_flow_is_taken_when_no_feel_condition_holds(client, admin, order):
    body = complete(client, admin, order["open_tickets"][0]["id"], {"approved": False, "amount": 20}).get_json()

    assert body["instance"]["status"] == "completed"
    assert "End_rejected" in history(client, admin, order["id"])


def test_the_job_type_is_the_topic_and_headers_and_retries_reach_the_worker(client, admin, worker, order):
    complete(client, admin, order["open_tickets"][0]["id"], {"approved": True, "amount": 5000})

    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "topics": [{"topic_name": "charge-card", "lock_duration": 60_000}]})

    [task] = response.get_json()
    assert task["activity_id"] == "Task_charge"
    assert task["custom_headers"] == {"currency": "EUR", "gateway": "acme"}
    assert task["retries"] == 5
    assert task["variables"]["amount"] == 5000


def test_a_message_correlates_on_the_subscription_key(client, admin, worker, deploy, start):
    deploy("camunda8_order.bpmn")
    first, second = start("c8_order", VARIABLES), start("c8_order", {**VARIABLES, "orderId": "o-2"})
    for instance in (first, second):
        complete(client, admin, instance["open_tickets"][0]["id"], {"approved": True, "amount": 5000})
    for task in client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
            "worker_id": "w1", "topics": [{"topic_name": "charge-card", "lock_duration": 60_000}]}).get_json():
        assert client.post(f"/api/v1/external-tasks/{task['id']}/complete", headers=worker,
                           json={"worker_id": "w1"}).status_code == 200

    response = client.post("/api/v1/messages", headers=admin,
                           json={"name": "payment-confirmed", "correlation_keys": {"orderId": "o-2"}})

    assert response.status_code == 200, response.get_json()
    statuses = {i["id"]: client.get(f"/api/v1/instances/{i['id']}", headers=admin).get_json()["status"]
                for i in (first, second)}
    assert statuses == {first["id"]: "running", second["id"]: "completed"}


@pytest.mark.parametrize(("old", "new", "element", "says"), [
    (b"=approved and amount &gt; 1000", b"=some x in items satisfies x &gt; 1000", "Flow_big",
     "FEEL construct a 'some ... satisfies' quantifier is not supported"),
    (b"=approved and amount &gt; 1000", b"=date and time(&#34;2024-01-01T10:00:00@Europe/Berlin&#34;) &lt; now()",
     "Flow_big", "named time zone"),
    (b'type="charge-card"', b'type="=channel + \'-charge\'"', "Task_charge", "zeebe:taskDefinition type"),
    (b'<zeebe:ioMapping>', b'<zeebe:executionListeners><zeebe:executionListener eventType="start" type="x"/>'
     b'</zeebe:executionListeners><zeebe:ioMapping>', "Task_review", "zeebe:executionListeners is not supported"),
    (b'target="amountCents"', b'target="order.cents"', "Task_review", "target 'order.cents' is not supported"),
    (b'formKey="camunda-forms:bpmn:UserTaskForm_review"', b'formId="review-form"', "Task_review",
     "a linked form (formId 'review-form') is not supported"),
    (b'correlationKey="=orderId"', b'correlationKey="=order.id + suffix"', "Message_paid",
     "correlationKey '=order.id + suffix' is not supported"),
])
def test_what_cannot_run_as_modelled_is_refused_naming_element_and_line(client, admin, old, new, element, says):
    content = (DATA / "camunda8_order.bpmn").read_bytes()
    line = content[:content.index(old)].count(b"\n") + 1

    errors = deploy_refused(client, admin, content.replace(old, new))

    assert [(e["element_id"], e["line"]) for e in errors if says in e["message"]] == [(element, line)], errors
