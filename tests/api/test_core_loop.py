"""The core loop over REST: deploy, start, work tickets until the instance ends."""


def test_deploy_returns_versions(client, admin, deploy):
    body = deploy("simple_user_task.bpmn")
    assert [(d["key"], d["version"], d["created"]) for d in body] == [("simple_user_task", 1, True)]


def test_start_opens_ticket(start, deploy):
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task", {"amount": 3}, business_key="ORDER-1")
    assert instance["status"] == "running"
    assert instance["business_key"] == "ORDER-1"
    assert [t["element_id"] for t in instance["open_tickets"]] == ["approve"]


def test_complete_last_ticket_completes_instance(client, admin, start, deploy):
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    ticket = instance["open_tickets"][0]
    response = client.post(f"/api/v1/tickets/{ticket['id']}/complete", json={"data": {"ok": True}}, headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert body["ticket"]["status"] == "completed"
    assert body["instance"]["status"] == "completed"
    assert body["instance"]["variables"]["ok"] is True
    assert body["open_tickets"] == []
    assert client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["status"] == "completed"
