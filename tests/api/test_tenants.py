"""Tenants: two companies deploy the same process key on one server and never see each other.

Every read or write by tenant A of tenant B's rows answers 404 (not 403: B's ids do not exist
for A) and changes nothing; messages and signals stay within the sender's tenant; the
scheduler and workers act for the tenant of the row they handle.
"""

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from flowdesk.engine.access import identity, tenants
from flowdesk.engine.process import job_dispatch, job_results, jobs, retention, scheduler
from flowdesk.engine.work import sla
from flowdesk.engine.store import tenancy
from flowdesk.engine.store.errors import Conflict, InvalidInput, NotFound
from flowdesk.engine.process.job_results import Outcome
from flowdesk.engine.models import AuditEvent, Ticket

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def acme(runtime):
    """Headers of the admin of a second tenant, 'acme' (the server's ``admin`` is the default tenant's)."""
    tenants.create_tenant(runtime, "acme", "Acme Corp")
    _, key = identity.create_user(runtime, "admin", "admin", tenant="acme")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def deploy_both(deploy, acme):
    def both(*names):
        return deploy(*names), deploy(*names, headers=acme)
    return both


@pytest.fixture
def theirs(client, admin, deploy_both, start):
    """What the default tenant (B here) owns: an instance, its open ticket with a comment and an attachment."""
    deploy_both("simple_user_task.bpmn")
    instance = start("simple_user_task", business_key="SHARED-1")
    ticket_id = instance["open_tickets"][0]["id"]
    comment = client.post(f"/api/v1/tickets/{ticket_id}/comments", headers=admin, json={"body": "private note"})
    attachment = client.post(f"/api/v1/tickets/{ticket_id}/attachments", headers=admin,
                             data={"file": (DATA.joinpath("refund_form.json").open("rb"), "form.json")},
                             content_type="multipart/form-data")
    assert comment.status_code == 201 and attachment.status_code == 201
    return {"instance": instance["id"], "ticket": ticket_id, "comment": comment.get_json()["id"],
            "attachment": attachment.get_json()["id"]}


def _ticket(client, headers, ticket_id):
    response = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
    return {**response.get_json(), "etag": response.headers["ETag"]}


def test_each_tenant_deploys_the_same_process_key_as_version_1(deploy_both):
    mine, theirs_ = deploy_both("simple_user_task.bpmn")
    assert [d["version"] for d in mine] == [d["version"] for d in theirs_] == [1]
    assert mine[0]["id"] != theirs_[0]["id"]


def test_lists_show_only_the_callers_tenant(client, admin, acme, start, theirs):
    own = start("simple_user_task", business_key="SHARED-1", headers=acme)
    for path in ("/api/v1/instances", "/api/v1/tickets"):
        ids = [item["id"] for item in client.get(path, headers=acme).get_json()["items"]]
        expected = own["id"] if path.endswith("instances") else own["open_tickets"][0]["id"]
        assert ids == [expected]
    versions = client.get("/api/v1/definitions/simple_user_task", headers=acme).get_json()["versions"]
    assert [v["deployed_by"] for v in versions] == ["admin"] and len(versions) == 1
    found = client.get("/api/v1/instances?business_key=SHARED-1", headers=admin).get_json()["items"]
    assert [i["id"] for i in found] == [theirs["instance"]]


@pytest.mark.parametrize("path", [
    "/api/v1/instances/{instance}",
    "/api/v1/instances/{instance}/history",
    "/api/v1/instances/{instance}/approvals",
    "/api/v1/tickets/{ticket}",
    "/api/v1/tickets/{ticket}/comments",
    "/api/v1/tickets/{ticket}/attachments",
    "/api/v1/tickets/{ticket}/attachments/{attachment}",
    "/api/v1/tickets/{ticket}/progressions",
    "/api/v1/tickets/{ticket}/assignment",
])
def test_reading_another_tenants_rows_is_404(client, acme, theirs, path):
    response = client.get(path.format(**theirs), headers=acme)
    assert response.status_code == 404, response.get_json()
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/v1/tickets/{ticket}/claim", None),
    ("post", "/api/v1/tickets/{ticket}/complete", {"data": {"x": 1}}),
    ("post", "/api/v1/tickets/{ticket}/assign", {"user": "admin"}),
    ("post", "/api/v1/tickets/{ticket}/progress", {"action": "waiting_customer"}),
    ("post", "/api/v1/tickets/{ticket}/comments", {"body": "hello from acme"}),
    ("patch", "/api/v1/tickets/{ticket}/comments/{comment}", {"body": "rewritten"}),
    ("delete", "/api/v1/tickets/{ticket}/comments/{comment}", None),
    ("post", "/api/v1/instances/{instance}/cancel", None),
    ("post", "/api/v1/instances/{instance}/suspend", None),
    ("post", "/api/v1/instances/{instance}/migrate", {"version": 1}),
])
def test_writing_another_tenants_rows_is_404_and_changes_nothing(client, admin, acme, theirs, method, path, body):
    before = _ticket(client, admin, theirs["ticket"])
    response = getattr(client, method)(path.format(**theirs), headers=acme, json=body)
    assert response.status_code == 404, response.get_json()
    after = _ticket(client, admin, theirs["ticket"])
    assert (after["status"], after["assignee"], after["etag"]) == (before["status"], before["assignee"],
                                                                   before["etag"])
    instance = client.get(f"/api/v1/instances/{theirs['instance']}", headers=admin).get_json()
    assert instance["status"] == "running"
    [comment] = client.get(f"/api/v1/tickets/{theirs['ticket']}/comments", headers=admin).get_json()["items"]
    assert (comment["body"], comment["deleted"]) == ("private note", False)


def test_bulk_claim_of_another_tenants_ticket_fails_per_ticket(client, admin, acme, theirs):
    before = _ticket(client, admin, theirs["ticket"])
    response = client.post("/api/v1/tickets/bulk", headers=acme,
                           json={"action": "claim", "ticket_ids": [theirs["ticket"]]})
    assert response.get_json()["succeeded"] == 0
    assert response.get_json()["results"][0]["problem"]["status"] == 404
    assert _ticket(client, admin, theirs["ticket"])["etag"] == before["etag"]


def test_an_attachment_id_of_another_tenant_is_404_under_an_own_ticket(client, acme, start, theirs):
    own_ticket = start("simple_user_task", headers=acme)["open_tickets"][0]["id"]
    response = client.get(f"/api/v1/tickets/{own_ticket}/attachments/{theirs['attachment']}", headers=acme)
    assert response.status_code == 404


def test_jobs_and_incidents_of_another_tenant_are_404(client, admin, acme, runtime, deploy_both, start):
    model = (DATA / "service_chain.bpmn").read_text().replace("{{port}}", "9").encode()
    for headers in (admin, acme):
        assert client.post("/api/v1/definitions", data=model, content_type="application/xml",
                           headers=headers).status_code == 201
    started = start("service_chain", {"sku": "A-1", "quantity": 2})
    [job] = started["jobs"]
    # The worker's path: a queued job id, claimed and reported without any caller's tenant.
    claimed = jobs.claim(runtime, job["id"])
    assert claimed.tenant_id == "default"
    job_results.finish(runtime, job["id"], claimed.attempt, Outcome("refused", message="no", retryable=False))
    [incident] = client.get(f"/api/v1/incidents?instance_id={started['id']}", headers=admin).get_json()["items"]

    assert client.get(f"/api/v1/jobs/{job['id']}", headers=acme).status_code == 404
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=acme).status_code == 404
    assert client.get("/api/v1/incidents", headers=acme).get_json()["items"] == []
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=acme).status_code == 404
    assert client.get(f"/api/v1/incidents/{incident['id']}", headers=admin).get_json()["status"] == "open"


def test_signals_reach_only_the_senders_tenant(client, admin, acme, deploy_both, start):
    deploy_both("waiting_events.bpmn")
    own = start("wait_for_go", headers=acme)["id"]
    other = start("wait_for_go")["id"]
    response = client.post("/api/v1/signals", headers=acme, json={"name": "go"})
    assert response.get_json()["delivered_to"] == [own]
    assert client.get(f"/api/v1/instances/{other}", headers=admin).get_json()["status"] == "running"


def test_messages_correlate_only_within_the_senders_tenant(client, admin, acme, deploy_both, start):
    deploy_both("waiting_events.bpmn")
    other = start("payment", business_key="ORDER-1")["id"]
    body = {"name": "payment_received", "business_key": "ORDER-1"}
    assert client.post("/api/v1/messages", headers=acme, json=body).status_code == 404
    targeted = {"name": "payment_received", "instance_id": other}
    assert client.post("/api/v1/messages", headers=acme, json=targeted).status_code == 404
    assert client.get(f"/api/v1/instances/{other}", headers=admin).get_json()["open_tickets"] == []


def test_a_buffered_message_waits_for_a_catcher_of_its_own_tenant(client, admin, acme, runtime, deploy_both, start):
    deploy_both("waiting_events.bpmn")
    assert client.post("/api/v1/messages", headers=acme, json={
        "name": "payment_received", "business_key": "ORDER-9", "buffer_ttl": 600}).status_code == 202
    other = start("payment", business_key="ORDER-9")["id"]
    assert scheduler.route_messages(runtime) == 0  # nobody waits for it in its own tenant yet
    assert client.get(f"/api/v1/instances/{other}", headers=admin).get_json()["open_tickets"] == []
    own = start("payment", business_key="ORDER-9", headers=acme)["id"]
    assert scheduler.route_messages(runtime) == 1
    [ticket] = client.get(f"/api/v1/instances/{own}", headers=acme).get_json()["open_tickets"]
    assert ticket["element_id"] == "ship"


def test_the_scheduler_fires_every_tenants_timers_each_in_its_tenant(client, admin, acme, runtime, clock,
                                                                      deploy_both, start):
    deploy_both("waiting_events.bpmn")
    own = start("reminder", headers=acme)["id"]
    other = start("reminder")["id"]
    clock.now += timedelta(minutes=11)
    assert scheduler.fire_due_timers(runtime) == 2
    for headers, instance_id in ((acme, own), (admin, other)):
        [ticket] = client.get(f"/api/v1/tickets?instance_id={instance_id}", headers=headers).get_json()["items"]
        assert ticket["element_id"] == "follow_up"
    with runtime.uow(tenancy.SYSTEM) as uow:
        owners = {t.instance_id: t.tenant_id for t in uow.session.query(Ticket)}
        assert owners == {own: "acme", other: "default"}
        assert {e.tenant_id for e in uow.session.query(AuditEvent).filter(AuditEvent.instance_id == own)} == {"acme"}


def test_a_timer_step_that_fails_opens_the_incident_in_the_instances_tenant(client, acme, runtime, clock, deploy,
                                                                            start):
    deploy("timer_then_script.bpmn", headers=acme)
    failing = start("timer_then_script", {"divisor": 0}, headers=acme)["id"]
    clock.now += timedelta(minutes=11)
    assert scheduler.fire_due_timers(runtime) == 1
    detail = client.get(f"/api/v1/instances/{failing}", headers=acme).get_json()
    assert [i["element_id"] for i in detail["incidents"]] == ["divide"]


def test_user_names_secrets_and_calendars_are_per_tenant(client, admin, acme, runtime):
    identity.create_user(runtime, "sue", "agent", tenant="acme")
    identity.create_user(runtime, "sue", "agent")
    for headers, value in ((admin, "default-token"), (acme, "acme-token")):
        assert client.put("/api/v1/secrets/token", headers=headers, json={"value": value}).status_code in (200, 201)
    assert [s["name"] for s in client.get("/api/v1/secrets", headers=acme).get_json()["items"]] == ["token"]
    assert client.delete("/api/v1/secrets/token", headers=acme).status_code == 204
    assert [s["name"] for s in client.get("/api/v1/secrets", headers=admin).get_json()["items"]] == ["token"]
    calendar = {"time_zone": "UTC", "working_days": [1, 2, 3, 4, 5], "hours": ["09:00", "17:00"]}
    assert client.put("/api/v1/calendars/office", headers=acme, json=calendar).status_code in (200, 201)
    assert client.get("/api/v1/calendars/office", headers=admin).status_code == 404


@pytest.fixture
def their_identity(client, admin, acme):
    """What the default tenant owns on the identity side: user sue in group support with a second
    key, and a data store; ``acme`` exists too, with only its admin."""
    created = client.post("/api/v1/users", headers=admin, json={"name": "sue", "role": "agent", "groups": ["support"]})
    key = client.post("/api/v1/api-keys", headers=admin, json={"user": "sue", "name": "reports"})
    store = client.put("/api/v1/data-stores/crm", headers=admin, json={"value": {"plan": "gold"}})
    assert (created.status_code, key.status_code, store.status_code) == (201, 201, 201)
    return {"user": "sue", "group": "support", "key": key.get_json()["id"], "store": "crm",
            "secret": key.get_json()["key"]}


@pytest.mark.parametrize("method, path, body", [
    ("get", "/api/v1/users/{user}", None),
    ("patch", "/api/v1/users/{user}", {"role": "admin"}),
    ("delete", "/api/v1/users/{user}", None),
    ("put", "/api/v1/users/{user}/signing-secret", {}),
    ("delete", "/api/v1/users/{user}/signing-secret", None),
    ("delete", "/api/v1/groups/{group}", None),
    ("post", "/api/v1/api-keys/{key}/rotate", {"grace_seconds": 0}),
    ("delete", "/api/v1/api-keys/{key}", None),
    ("get", "/api/v1/data-stores/{store}", None),
    ("delete", "/api/v1/data-stores/{store}", None),
])
def test_another_tenants_users_groups_keys_and_stores_are_404(client, admin, acme, runtime, their_identity,
                                                              method, path, body):
    response = getattr(client, method)(path.format(**their_identity), headers=acme, json=body)
    assert response.status_code == 404, response.get_json()
    assert response.mimetype == "application/problem+json"
    sue = client.get("/api/v1/users/sue", headers=admin).get_json()
    assert (sue["role"], sue["groups"]) == ("agent", ["support"])
    assert identity.authenticate(runtime, their_identity["secret"]).name == "sue"
    assert client.get("/api/v1/data-stores/crm", headers=admin).get_json()["value"] == {"plan": "gold"}


@pytest.mark.parametrize("path, field", [
    ("/api/v1/users", "name"),
    ("/api/v1/groups", "name"),
    ("/api/v1/api-keys", "name"),
    ("/api/v1/data-stores", "name"),
])
def test_identity_lists_show_only_the_callers_tenant(client, admin, acme, their_identity, path, field):
    mine = [item.get(field) for item in client.get(path, headers=acme).get_json()["items"]]
    theirs_ = [item.get(field) for item in client.get(path, headers=admin).get_json()["items"]]
    assert {"sue", "support", "reports", "crm"} & set(theirs_)
    assert not {"sue", "support", "reports", "crm"} & set(mine)


def test_the_audit_log_shows_only_the_callers_tenant(client, admin, acme, their_identity):
    client.put("/api/v1/secrets/token", headers=acme, json={"value": "acme-token"})
    mine = client.get("/api/v1/audit-log", headers=acme).get_json()["items"]
    theirs_ = client.get("/api/v1/audit-log", headers=admin).get_json()["items"]
    assert {(e["action"], e["target"]) for e in mine} >= {("secret.created", "token")}
    assert not {e["target"] for e in mine} & {"sue", "crm", their_identity["key"]}
    assert {("user.created", "sue")} <= {(e["action"], e["target"]) for e in theirs_}
    assert not {e["target"] for e in theirs_} & {"token"}


def test_a_key_for_another_tenants_user_is_refused(client, acme, their_identity):
    response = client.post("/api/v1/api-keys", headers=acme, json={"user": "sue"})
    assert response.status_code == 422 and "unknown user" in response.get_json()["title"] + response.get_json()["detail"]
    assert client.put("/api/v1/groups/support", headers=acme, json={"members": ["sue"]}).status_code == 422


def test_each_tenant_has_its_own_data_store_of_a_name(client, admin, acme, their_identity):
    assert client.put("/api/v1/data-stores/crm", headers=acme, json={"value": 1}).status_code == 201
    assert client.get("/api/v1/data-stores/crm", headers=acme).get_json()["value"] == 1
    assert client.get("/api/v1/data-stores/crm", headers=admin).get_json()["value"] == {"plan": "gold"}


def test_a_user_of_an_unknown_tenant_is_refused(runtime):
    with pytest.raises(NotFound):
        identity.create_user(runtime, "sue", "agent", tenant="nobody")


def test_a_tenant_id_is_a_slug_created_once(runtime):
    tenants.create_tenant(runtime, "acme")
    with pytest.raises(Conflict):
        tenants.create_tenant(runtime, "acme")
    with pytest.raises(InvalidInput):
        tenants.create_tenant(runtime, "Acme Corp")
    assert [t.id for t in tenants.list_tenants(runtime)] == ["acme", "default"]


def test_external_task_workers_fetch_only_their_tenants_tasks(client, admin, acme, runtime, deploy_both, start):
    deploy_both("external_invoice.bpmn")
    other = start("external_invoice", {"amount": 120})
    fetch = {"worker_id": "w1", "max_tasks": 10, "topics": [{"topic_name": "payments", "lock_duration": 60_000}]}
    assert client.post("/api/v1/external-tasks/fetch-and-lock", headers=acme, json=fetch).get_json() == []
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=admin, json=fetch).get_json()
    assert task["process_instance_id"] == other["id"]
    response = client.post(f"/api/v1/external-tasks/{task['id']}/complete", headers=acme,
                           json={"worker_id": "w1", "variables": {"charge_id": "x"}})
    assert response.status_code == 404
    assert client.get(f"/api/v1/instances/{other['id']}", headers=admin).get_json()["status"] == "running"


@pytest.mark.parametrize("action, body", [
    ("complete", {"worker_id": "w1", "variables": {"charge_id": "x"}}),
    ("failure", {"worker_id": "w1", "error_message": "no", "retries": 0}),
    ("bpmn-error", {"worker_id": "w1", "error_code": "declined"}),
    ("extend-lock", {"worker_id": "w1", "new_duration": 60_000}),
])
def test_another_tenants_external_task_commands_are_404(client, admin, acme, deploy_both, start, action, body):
    deploy_both("external_invoice.bpmn")
    other = start("external_invoice", {"amount": 120})
    fetch = {"worker_id": "w1", "max_tasks": 10, "topics": [{"topic_name": "payments", "lock_duration": 60_000}]}
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=admin, json=fetch).get_json()
    assert client.post(f"/api/v1/external-tasks/{task['id']}/{action}", headers=acme, json=body).status_code == 404
    instance = client.get(f"/api/v1/instances/{other['id']}", headers=admin).get_json()
    assert instance["status"] == "running" and instance["incidents"] == []


def test_resuming_another_tenants_instance_is_404(client, admin, acme, theirs):
    assert client.post(f"/api/v1/instances/{theirs['instance']}/suspend", headers=admin).status_code == 200
    assert client.post(f"/api/v1/instances/{theirs['instance']}/resume", headers=acme).status_code == 404
    assert client.get(f"/api/v1/instances/{theirs['instance']}", headers=admin).get_json()["status"] == "suspended"


def test_a_lost_job_becomes_an_incident_of_its_own_tenant(client, admin, acme, runtime, clock, deploy_both):
    model = (DATA / "service_chain.bpmn").read_text().replace("{{port}}", "9").encode()
    assert client.post("/api/v1/definitions", data=model, content_type="application/xml",
                       headers=acme).status_code == 201
    started = client.post("/api/v1/processes/service_chain/instances", headers=acme,
                          json={"variables": {"sku": "A-1", "quantity": 2}}).get_json()
    [job] = started["jobs"]
    # Each worker dies holding its attempt; the dispatcher (across tenants) finds it after the lease.
    for _ in range(3):  # the first attempt and its two retries
        assert jobs.claim(runtime, job["id"]) is not None
        clock.now += timedelta(minutes=10)
        job_dispatch.dispatch_due(runtime)
    [incident] = client.get("/api/v1/incidents", headers=acme).get_json()["items"]
    assert incident["instance_id"] == started["id"]
    assert client.get("/api/v1/incidents", headers=admin).get_json()["items"] == []


def test_embedded_workers_run_each_job_for_its_tenant_with_its_secrets(tmp_path, action_server, master_key):
    from flowdesk.config import Settings
    from flowdesk.server import build
    from flowdesk.workers import context

    for route in ("/reserve-default", "/reserve-acme"):
        action_server.routes[route] = lambda r, route=route: (200, {"route": route}, {})
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'embedded.sqlite3'}", admin_key="fd_embedded_admin_key",
                        secret_key=master_key.decode(), action_allow="127.0.0.1")
    app, rt = build(settings)
    try:
        tenants.create_tenant(rt, "acme")
        _, key = identity.create_user(rt, "admin", "admin", tenant="acme")
        client = app.test_client()
        model = (DATA / "single_action.bpmn").read_text().replace("{{url}}", action_server.url + "/{{secret:route}}")
        model = model.replace("{{timeout}}", "5").replace("{{retries}}", "0").encode()
        started = {}
        for tenant, token in (("default", "fd_embedded_admin_key"), ("acme", key)):
            headers = {"Authorization": f"Bearer {token}"}
            assert client.put("/api/v1/secrets/route", headers=headers,
                              json={"value": f"reserve-{tenant}"}).status_code in (200, 201)
            assert client.post("/api/v1/definitions", data=model, content_type="application/xml",
                               headers=headers).status_code == 201
            started[tenant] = (headers, client.post("/api/v1/processes/single_action/instances", headers=headers,
                                                    json={"variables": {}}).get_json()["id"])

        def answers():
            return {tenant: client.get(f"/api/v1/instances/{instance_id}", headers=headers).get_json()
                    for tenant, (headers, instance_id) in started.items()}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(i["status"] != "completed" for i in answers().values()):
            time.sleep(0.05)
        assert {t: i["variables"].get("answer") for t, i in answers().items()} == {
            "default": {"route": "/reserve-default"}, "acme": {"route": "/reserve-acme"}}
    finally:
        rt.close()
        context.use(None)


def test_sla_breaches_of_two_tenants_in_one_round_reach_only_their_own_webhooks(client, admin, acme, runtime,
                                                                                 clock, deploy_both, start):
    deploy_both("sla.bpmn")
    hooks = {}
    for tenant, headers in (("default", admin), ("acme", acme)):
        hooks[tenant] = client.post("/api/v1/webhooks", headers=headers, json={
            "url": f"https://example.org/{tenant}", "events": ["ticket.sla_breached"]}).get_json()["id"]
    instances = {"acme": start("sla_plain", headers=acme), "default": start("sla_plain")}
    tickets = {tenant: instance["open_tickets"][0]["id"] for tenant, instance in instances.items()}
    clock.now += timedelta(hours=5)
    assert sla.mark_breaches(runtime) == 2  # one transaction, acting for each ticket's tenant in turn
    for tenant, headers in (("default", admin), ("acme", acme)):
        [delivery] = client.get(f"/api/v1/webhooks/{hooks[tenant]}/deliveries", headers=headers).get_json()["items"]
        job = client.get(f"/api/v1/jobs/{delivery['id']}", headers=headers).get_json()
        assert (job["event"], job["instance_id"]) == ("ticket.sla_breached", instances[tenant]["id"])
        steps = client.get(f"/api/v1/tickets/{tickets[tenant]}/progressions", headers=headers).get_json()["items"]
        assert [s["action"] for s in steps].count("sla_breached") == 1


def test_redeploying_in_one_tenant_keeps_the_others_timer_starts(client, admin, acme, runtime, clock, deploy_both):
    deploy_both("waiting_events.bpmn")
    changed = (DATA / "waiting_events.bpmn").read_text().replace('name="Hourly check"', 'name="Hourly check v2"')
    response = client.post("/api/v1/definitions", data=changed.encode(), content_type="application/xml", headers=acme)
    assert response.status_code == 201
    # Deploying replaces acme's start schedules (a bulk delete by process key): the default tenant's stay.
    clock.now += timedelta(hours=1, seconds=1)
    assert scheduler.start_timer_processes(runtime) == 2
    for headers, version in ((admin, 1), (acme, 2)):
        [started] = client.get("/api/v1/instances?process_key=hourly", headers=headers).get_json()["items"]
        assert started["process_version"] == version


def test_retention_cleans_every_tenant_by_its_own_process_settings(client, admin, acme, runtime, start):
    plain = (DATA / "two_step.bpmn").read_bytes()
    end = plain.index(b">", plain.index(b'<bpmn:process id="two_step"')) + 1
    kept_long = (plain[:end] + b'<bpmn:extensionElements><camunda:properties><camunda:property '
                 b'name="retention_days" value="400" /></camunda:properties></bpmn:extensionElements>' + plain[end:])
    for headers, model in ((admin, plain), (acme, kept_long)):
        assert client.post("/api/v1/definitions", data=model, content_type="application/xml",
                           headers=headers).status_code == 201
    instances = {"default": start("two_step")["id"], "acme": start("two_step", headers=acme)["id"]}
    old = datetime.now(timezone.utc) - timedelta(days=91)
    with runtime.uow("acme") as uow:  # history of acme's that no process overrides: 90 days
        uow.session.add(AuditEvent(action="secret.changed", detail={}, created_at=old))
        uow.commit()
    with runtime.uow(tenancy.SYSTEM) as uow:
        uow.session.execute(sa.update(AuditEvent).values(created_at=old))
        uow.commit()

    retention.cleanup(runtime, datetime.now(timezone.utc))

    with runtime.uow(tenancy.SYSTEM) as uow:
        left = {tenant: uow.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == instance_id)) for tenant, instance_id in instances.items()}
        unattached = uow.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id.is_(None)))
    assert left["default"] == 0 and left["acme"] > 0  # same process key: 90 days (default) vs 400 (acme)
    assert unattached == 0
