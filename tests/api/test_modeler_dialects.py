"""What modelers write, through the server: timer values as typed in the editor, and
Camunda 7 conditions translated to the restricted evaluator (or refused at deploy, named)."""

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flowdesk.engine.process import scheduler

DATA = Path(__file__).resolve().parents[1] / "data"


def instance_detail(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def complete(client, admin, ticket_id: str, data: dict):
    return client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": data}, headers=admin)


@pytest.mark.parametrize(("process", "due"), [
    ("wait_duration", "2026-11-21T12:05:00+00:00"),  # bare PT5M
    ("wait_date", "2026-12-01T10:00:00+00:00"),  # bare ISO date
])
def test_a_bare_iso_timer_value_is_due_when_it_says(client, admin, deploy, start, clock, process, due):
    deploy("timers.bpmn")

    instance = start(process)

    assert instance_detail(client, admin, instance["id"])["next_timer_at"] == due


def test_a_bare_iso_date_timer_fires_through_the_scheduler(client, admin, deploy, start, clock, runtime):
    deploy("timers.bpmn")
    instance = start("wait_date")

    clock.now = datetime(2026, 12, 1, 10, 0, 1, tzinfo=timezone.utc)

    assert scheduler.fire_due_timers(runtime) == 1
    assert [t["element_id"] for t in instance_detail(client, admin, instance["id"])["open_tickets"]] == ["wdt_after"]


def test_a_cron_cycle_is_due_at_the_next_matching_time(client, admin, deploy, start, clock):
    deploy("timers.bpmn")

    instance = start("daily_cron")  # boundary timer "0 0 9 * * ?" (Quartz, as Camunda writes it)

    assert instance_detail(client, admin, instance["id"])["next_timer_at"] == "2026-11-22T09:00:00+00:00"


def test_a_cron_timer_start_event_starts_an_instance_on_schedule(client, admin, deploy, clock, runtime):
    deploy("timers.bpmn")  # "nightly" starts at 0 2 * * *

    assert scheduler.start_timer_processes(runtime) == 0
    clock.now = datetime(2026, 11, 22, 2, 0, 1, tzinfo=timezone.utc)
    assert scheduler.start_timer_processes(runtime) == 1

    started = client.get("/api/v1/instances?process_key=nightly", headers=admin).get_json()["items"]
    assert [i["open_tickets"][0]["element_id"] for i in started] == ["nightly_check"]


@pytest.mark.parametrize(("amount", "approved", "end"), [
    (5000, True, "big"),  # ${amount > 1000 && approved}
    (5000, False, "small"),  # ${amount <= 1000 || !approved}
    (1000, True, "small"),
])
def test_camunda_conditions_choose_the_path(client, admin, deploy, start, amount, approved, end):
    deploy("camunda_conditions.bpmn")
    instance = start("camunda_conditions")

    response = complete(client, admin, instance["open_tickets"][0]["id"], {"amount": amount, "approved": approved})

    assert response.get_json()["instance"]["status"] == "completed"
    reached = {h["element_id"] for h in instance_detail(client, admin, instance["id"])["history"]}
    assert {"big", "small"} & reached == {end}


def test_an_untranslatable_camunda_condition_is_a_422_naming_the_flow_and_construct(client, admin):
    content = (DATA / "camunda_conditions.bpmn").read_bytes().replace(
        b"${amount &lt;= 1000 || !approved}", b"${riskService.isRisky(amount)}")

    response = client.post("/api/v1/definitions", data={"file": [(io.BytesIO(content), "camunda_conditions.bpmn")]},
                           headers=admin, content_type="multipart/form-data")

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["element_id"] == "flow_gateway_to_small"
    assert "method call 'isRisky()'" in error["message"]
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_a_camunda_task_listener_is_a_422_not_silently_skipped(client, admin):
    listener = (b'<bpmn:extensionElements><camunda:taskListener event="create">'
                b'<camunda:script scriptFormat="javascript">task.setAssignee(approver);</camunda:script>'
                b'</camunda:taskListener></bpmn:extensionElements>')
    content = (DATA / "camunda_conditions.bpmn").read_bytes()
    start = content.index(b'<bpmn:userTask id="review"')
    end = content.index(b">", start) + 1
    content = content[:end] + listener + content[end:]

    response = client.post("/api/v1/definitions", data={"file": [(io.BytesIO(content), "camunda_conditions.bpmn")]},
                           headers=admin, content_type="multipart/form-data")

    assert response.status_code == 422
    messages = {(e["element_id"], e["message"]) for e in response.get_json()["errors"]}
    assert any(element == "review" and "camunda:taskListener (event 'create')" in message
               for element, message in messages)
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_a_camunda_follow_up_date_lands_on_the_ticket(client, admin, deploy, start, clock):
    deploy("camunda7_details.bpmn")  # Task_pack: camunda:followUpDate="P3D"

    instance = start("c7_shipment", {"grams": 2500, "preferredBox": "large", "city": "Berlin"})

    ticket = client.get(f"/api/v1/tickets/{instance['open_tickets'][0]['id']}", headers=admin).get_json()
    assert ticket["follow_up_at"] == "2026-11-24T12:00:00+00:00"  # three days after the clock's now
    assert ticket["due_at"] is None  # a follow-up date is no due date


def test_a_follow_up_date_that_is_no_date_is_refused_at_deploy(client, admin):
    content = (DATA / "camunda7_details.bpmn").read_bytes().replace(b'camunda:followUpDate="P3D"',
                                                                    b'camunda:followUpDate="next week"')

    response = client.post("/api/v1/definitions", data={"file": [(io.BytesIO(content), "camunda7_details.bpmn")]},
                           headers=admin, content_type="multipart/form-data")

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["element_id"] == "Task_pack" and "camunda:followUpDate" in error["message"]
