"""BPMN as the standard says, seen through the REST API: joins, call depth, flows, events."""


def _complete(client, admin, ticket, data=None):
    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": data or {}}, headers=admin)
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
