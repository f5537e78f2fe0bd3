"""A process that loops far longer than SpiffWorkflow's task tree allows keeps working over REST."""

import pytest

TURNS = 1200


@pytest.mark.parametrize("backend", ["postgres"])  # 1,200 commands: once, on the production database
def test_a_loop_of_1200_turns_runs_to_its_end_over_rest(client, admin, deploy, start):
    deploy("review_loop.bpmn")
    instance = start("review_loop")
    for turn in range(TURNS + 1):
        [ticket] = instance["open_tickets"]
        response = client.post(f"/api/v1/tickets/{ticket['id']}/complete",
                               json={"data": {"again": turn < TURNS}}, headers=admin)
        assert response.status_code == 200, (turn, response.get_json())
        instance = response.get_json()["instance"] | {"open_tickets": response.get_json()["open_tickets"]}
        if turn < TURNS:
            assert instance["status"] == "running", (turn, instance.get("error"))

    body = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()
    assert body["status"] == "completed"
    assert [e["element_id"] for e in body["history"]].count("review") == TURNS + 1
