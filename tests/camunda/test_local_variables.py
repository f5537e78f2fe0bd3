"""Camunda 7 local variables over /engine-rest/external-task: a topic with ``localVariables``
fetches only the task's own (its input parameters); a complete's ``localVariables`` stay in the
task's scope, where its output parameters read them."""

import pytest


@pytest.fixture
def label(deploy, start):
    deploy("camunda7_local_variables.bpmn")
    return start("c7_print_label", {"parcels": 2, "format": "letter"})


def fetch(client, headers, **topic):
    body = {"workerId": "w1", "maxTasks": 5, "topics": [{"topicName": "payments", "lockDuration": 60_000, **topic}]}
    response = client.post("/engine-rest/external-task/fetchAndLock", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    [task] = response.get_json()
    return task


def test_a_topic_with_local_variables_fetches_only_the_tasks_inputs(client, basic, label):
    task = fetch(client, basic, localVariables=True)

    assert task["variables"] == {"format": {"type": "String", "value": "A6", "valueInfo": {}},
                                 "copies": {"type": "Integer", "value": 4, "valueInfo": {}}}


def test_without_it_the_inputs_shadow_the_process_variables(client, basic, label):
    task = fetch(client, basic)

    assert task["variables"]["format"]["value"] == "A6"
    assert task["variables"]["parcels"]["value"] == 2


def test_local_variables_of_a_complete_reach_the_output_mappings_not_the_process(client, admin, basic, label):
    task = fetch(client, basic)

    response = client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=basic, json={
        "workerId": "w1", "variables": {"printer": {"value": "p2"}}, "localVariables": {"labelNumber": {"value": "L-9"}}})

    assert response.status_code == 204
    variables = client.get(f"/api/v1/instances/{label['id']}", headers=admin).get_json()["variables"]
    assert variables["labelId"] == "L-9"  # the output parameter read the local variable
    assert variables["printer"] == "p2"  # a process variable of the complete
    assert "labelNumber" not in variables and "copies" not in variables
    assert variables["format"] == "letter"  # the input shadowed it only inside the task
