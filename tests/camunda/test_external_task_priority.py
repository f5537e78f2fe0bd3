"""camunda:taskPriority: stored with the external task, reported as `priority`, honoured by `usePriority`."""

from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def work(deploy, start):
    deploy("prioritized_work.bpmn")
    return start("prioritized_work")


def _fetch(client, headers, max_tasks, **options):
    body = {"workerId": "w1", "maxTasks": max_tasks, "topics": [{"topicName": "work", "lockDuration": 60_000}],
            **options}
    response = client.post("/engine-rest/external-task/fetchAndLock", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [(t["activityId"], t["priority"]) for t in response.get_json()]


def test_use_priority_takes_the_highest_first(client, basic, work):
    assert _fetch(client, basic, 1, usePriority=True) == [("high", 80)]
    assert _fetch(client, basic, 5, usePriority=True) == [("usual", 10), ("low", 1)]


def test_without_use_priority_every_task_comes_and_reports_its_priority(client, basic, work):
    assert sorted(_fetch(client, basic, 5)) == [("high", 80), ("low", 1), ("usual", 10)]


def test_priority_is_listed(client, basic, work):
    tasks = client.get("/engine-rest/external-task?topicName=work", headers=basic).get_json()
    assert sorted((t["activityId"], t["priority"]) for t in tasks) == [("high", 80), ("low", 1), ("usual", 10)]


def test_a_task_without_priority_reports_0(client, basic, invoice):
    [task] = client.post("/engine-rest/external-task/fetchAndLock", headers=basic, json={
        "workerId": "w1", "maxTasks": 1, "usePriority": True,
        "topics": [{"topicName": "payments", "lockDuration": 1000}]}).get_json()
    assert task["priority"] == 0


def test_the_native_api_fetches_by_priority_too(client, make_user, work):
    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=make_user("w", "system"), json={
        "worker_id": "w1", "max_tasks": 2, "use_priority": True, "topics": [{"topic_name": "work", "lock_duration": 1000}]})
    assert [(t["activity_id"], t["priority"]) for t in response.get_json()] == [("high", 80), ("usual", 10)]


def test_use_priority_must_be_a_boolean(client, basic, work):
    response = client.post("/engine-rest/external-task/fetchAndLock", headers=basic, json={
        "workerId": "w1", "usePriority": "yes", "topics": [{"topicName": "work", "lockDuration": 1000}]})
    assert response.status_code == 400
    assert response.get_json()["type"] == "InvalidRequestException"


def test_a_priority_expression_is_refused_at_deploy(client, admin):
    response = client.post("/api/v1/definitions", data=(DATA / "priority_expression.bpmn").read_bytes(),
                           content_type="application/xml", headers=admin)
    assert response.status_code == 422
    [issue] = response.get_json()["errors"]
    assert issue["element_id"] == "work" and "taskPriority" in issue["message"]
