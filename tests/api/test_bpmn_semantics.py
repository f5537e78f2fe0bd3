"""BPMN as the standard says, seen through the REST API: joins, call depth, flows, events."""

from flowdesk.bpmn import StepLimits
from flowdesk.engine.process import scheduler


def _complete(client, admin, ticket, data=None):
    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": data or {}}, headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _fetch(client, headers, topic):
    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=headers, json={
        "worker_id": "w1", "max_tasks": 10, "topics": [{"topic_name": topic, "lock_duration": 60_000}]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_parallel_join_of_three_user_tasks_goes_on_once_all_are_done(client, admin, deploy, start):
    deploy("parallel_joins.bpmn")
    tickets = start("fork_3_user_tasks")["open_tickets"]
    assert sorted(t["element_id"] for t in tickets) == ["task_1", "task_2", "task_3"]

    for ticket in tickets:
        result = _complete(client, admin, ticket, {f"from_{ticket['element_id']}": True})

    assert [t["element_id"] for t in result["open_tickets"]] == ["after_join"]
    assert result["instance"]["status"] == "running"
    assert {"from_task_1", "from_task_2", "from_task_3"} <= set(result["instance"]["variables"])


def test_a_process_calling_itself_is_refused_with_the_call_activity_and_nothing_saved(client, admin, deploy):
    deploy("recursive_calls.bpmn")

    response = client.post("/api/v1/processes/calls_itself/instances", json={}, headers=admin)

    assert response.status_code == 422
    assert "call_me_again" in response.get_json()["detail"]
    assert client.get("/api/v1/instances?process_key=calls_itself", headers=admin).get_json()["items"] == []


def test_a_loop_without_a_wait_state_fails_the_command_after_the_step_budget(client, admin, deploy, start, runtime):
    runtime.step_limits = StepLimits(budget_seconds=0.5)
    deploy("recursive_calls.bpmn")
    [go] = start("asks_then_loops", {"turns": 0})["open_tickets"]

    response = client.post(f"/api/v1/tickets/{go['id']}/complete", json={"data": {}}, headers=admin)

    assert response.status_code == 422
    assert "al_again" in response.get_json()["detail"] or "al_spin" in response.get_json()["detail"]
    # Nothing of the failed step was saved: the ticket is still open, other requests still answer.
    instance = client.get(f"/api/v1/instances/{go['instance_id']}", headers=admin).get_json()
    assert instance["status"] == "running"
    assert [t["element_id"] for t in instance["open_tickets"]] == ["go"]


def test_a_loop_after_a_timer_becomes_an_incident_naming_the_element(client, admin, deploy, start, runtime, clock):
    runtime.step_limits = StepLimits(budget_seconds=0.5)
    deploy("recursive_calls.bpmn")
    instance = start("waits_then_loops", {"turns": 0})

    clock.advance(minutes=2)
    scheduler.fire_due_timers(runtime)

    detail = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()
    [incident] = detail["incidents"]
    assert incident["element_id"] in ("wl_again", "wl_spin")
    assert "0.5 s" in incident["message"]


def test_conditions_on_flows_leaving_the_start_event_pick_one_path(deploy, start):
    deploy("flows_from_activities.bpmn")

    tickets = start("conditional_start", {"amount": 500})["open_tickets"]

    assert [t["element_id"] for t in tickets] == ["big_order"]


def test_an_activity_without_outgoing_flow_in_a_subprocess_ends_it_and_the_parent_goes_on(client, admin, deploy,
                                                                                         start):
    deploy("implicit_ends.bpmn")
    [inner] = start("sub_without_end")["open_tickets"]

    result = _complete(client, admin, inner)

    assert result["instance"]["status"] == "running"
    assert [t["element_id"] for t in result["open_tickets"]] == ["se_after"]
    assert _complete(client, admin, result["open_tickets"][0])["instance"]["status"] == "completed"


def test_a_process_ending_at_an_activity_without_outgoing_flow_is_completed_not_failed(client, admin, deploy, start):
    deploy("implicit_ends.bpmn")
    [stop] = start("choice_to_dangling_task", {"stop": True})["open_tickets"]

    assert _complete(client, admin, stop)["instance"]["status"] == "completed"


def test_a_camunda_external_send_task_waits_for_a_worker_on_its_topic(client, admin, deploy, start):
    deploy("camunda_implemented_tasks.bpmn")

    instance = start("external_send_task")

    assert instance["status"] == "running"
    assert [t["activity_id"] for t in _fetch(client, admin, "notify-customer")] == ["es_notify"]


def test_a_camunda_connector_task_is_an_external_task_of_the_connector_id(client, admin, deploy, start):
    deploy("camunda_implemented_tasks.bpmn")

    start("connector_task")

    assert [t["activity_id"] for t in _fetch(client, admin, "http-connector")] == ["ct_call"]
