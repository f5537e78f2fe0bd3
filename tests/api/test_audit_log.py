"""The administrative audit log: written with each action, read by admins and auditors, paged."""

from pathlib import Path

DATA = Path(__file__).parents[1] / "data"


def _entries(client, headers, query=""):
    response = client.get(f"/api/v1/audit-log{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_deploy_is_logged_with_who_and_what(client, admin, deploy):
    deploy("simple_user_task.bpmn")
    [entry] = _entries(client, admin, "?action=definition.deployed")["items"]
    assert (entry["actor"], entry["target_type"], entry["target"]) == ("admin", "definition", "simple_user_task")
    assert entry["detail"] == {"version": 1, "filename": "simple_user_task.bpmn"}


def test_failed_deploy_leaves_no_entry(client, admin):
    with (DATA / "invalid_missing_ref.bpmn").open("rb") as handle:
        response = client.post("/api/v1/definitions", data={"file": (handle, "bad.bpmn")}, headers=admin,
                               content_type="multipart/form-data")
    assert response.status_code == 422
    assert _entries(client, admin, "?action=definition.deployed")["items"] == []


def test_secret_changes_are_logged_without_the_value(client, admin):
    client.put("/api/v1/secrets/crm_token", json={"value": "s3cr3t-value"}, headers=admin)
    client.put("/api/v1/secrets/crm_token", json={"value": "an0ther-value"}, headers=admin)
    client.delete("/api/v1/secrets/crm_token", headers=admin)
    items = _entries(client, admin)["items"]
    assert [e["action"] for e in items if e["target_type"] == "secret"] == [
        "secret.created", "secret.changed", "secret.deleted"]
    assert "s3cr3t" not in str(items) and "an0ther" not in str(items)


def test_incident_retry_is_logged(client, admin, make_user, deploy, start):
    worker = make_user("payments-worker", "system")
    deploy("external_invoice.bpmn")
    instance = start("external_invoice", {"amount": 120})
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "max_tasks": 1, "topics": [{"topic_name": "payments", "lock_duration": 60_000}]}).get_json()
    client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                json={"worker_id": "w1", "error_message": "card expired", "retries": 0})
    [incident] = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["incidents"]
    client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)
    [entry] = _entries(client, admin, "?action=incident.retried")["items"]
    assert (entry["target"], entry["detail"]["instance_id"]) == (incident["id"], instance["id"])


def test_pages_follow_the_cursor_in_order(client, admin):
    for n in range(5):
        client.put(f"/api/v1/secrets/s{n}", json={"value": "v"}, headers=admin)
    seen, after = [], ""
    while True:
        page = _entries(client, admin, f"?action=secret.created&limit=2{after}")
        seen += [e["target"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        after = f"&after={page['next_cursor']}"
    assert seen == ["s0", "s1", "s2", "s3", "s4"]


def test_invalid_cursor_is_422(client, admin):
    assert client.get("/api/v1/audit-log?after=not-a-cursor", headers=admin).status_code == 422


def test_auditor_reads_the_log(client, make_user):
    auditor = make_user("ida", "auditor")
    assert _entries(client, auditor)["items"][0]["action"] == "user.created"


def test_other_roles_may_not_read_the_log(client, make_user):
    for role in ("agent", "modeler", "system"):
        assert client.get("/api/v1/audit-log", headers=make_user(f"u-{role}", role)).status_code == 403
