"""Migrating running instances to another version: one, in bulk, and the deploy dry run."""

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flowdesk.engine.process import scheduler

DATA = Path(__file__).parent.parent / "data"
TWO_STEP = (DATA / "two_step.bpmn").read_bytes()
# v2 candidates: a new task `check` after `first`, or no `first` at all.
WITH_CHECK = TWO_STEP.replace(
    b'sourceRef="first" targetRef="skip_gateway" />',
    b'sourceRef="first" targetRef="check" />'
    b'<bpmn:userTask id="check" name="Check" camunda:candidateGroups="agents" />'
    b'<bpmn:sequenceFlow id="flow_check_to_gateway" sourceRef="check" targetRef="skip_gateway" />')
WITHOUT_FIRST = re.sub(rb'<bpmn:userTask id="first".*?</bpmn:userTask>', b"", TWO_STEP, flags=re.S).replace(
    b'<bpmn:sequenceFlow id="flow_first_to_gateway" sourceRef="first" targetRef="skip_gateway" />', b"").replace(
    b'sourceRef="start" targetRef="first"', b'sourceRef="start" targetRef="skip_gateway"')


def _deploy(client, admin, content: bytes, dry_run: bool = False):
    url = "/api/v1/definitions" + ("?dry_run=true" if dry_run else "")
    return client.post(url, data=content, content_type="application/xml", headers=admin)


def _migrate(client, headers, instance_id, body):
    return client.post(f"/api/v1/instances/{instance_id}/migrate", json=body, headers=headers)


def _complete(client, admin, ticket_id, data=None):
    response = client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": data or {}}, headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _get(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


@pytest.fixture
def v1_instance(client, admin, deploy, start):
    """A two_step instance on version 1, waiting at `first`."""
    deploy("two_step.bpmn")
    return start("two_step")


@pytest.fixture
def at_second(client, admin, start, v1_instance):
    """Another version-1 instance, past `first` and waiting at `second`."""
    instance = start("two_step")
    _complete(client, admin, instance["open_tickets"][0]["id"], {"skip": False})
    return instance


def test_a_waiting_instance_moves_and_its_ticket_completes_on_the_new_version(client, admin, v1_instance):
    assert _deploy(client, admin, WITH_CHECK).status_code == 201
    ticket_id = v1_instance["open_tickets"][0]["id"]

    response = _migrate(client, admin, v1_instance["id"], {"version": 2})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["process_version"] == 2
    assert [t["id"] for t in response.get_json()["open_tickets"]] == [ticket_id]
    result = _complete(client, admin, ticket_id, {"skip": False})
    assert [t["element_id"] for t in result["open_tickets"]] == ["check"]
    result = _complete(client, admin, result["open_tickets"][0]["id"])
    result = _complete(client, admin, result["open_tickets"][0]["id"])
    assert result["instance"]["status"] == "completed"


def test_a_migration_is_in_the_instance_history(client, admin, v1_instance):
    _deploy(client, admin, WITH_CHECK)
    _migrate(client, admin, v1_instance["id"], {"version": 2})

    history = client.get(f"/api/v1/instances/{v1_instance['id']}/history", headers=admin).get_json()["items"]

    [event] = [e for e in history if e["action"] == "instance.migrated"]
    assert event["actor"] == "admin"
    assert event["detail"]["from_version"] == 1 and event["detail"]["to_version"] == 2


def test_an_instance_waiting_on_a_removed_task_is_refused_with_reasons(client, admin, v1_instance):
    _deploy(client, admin, WITHOUT_FIRST)

    response = _migrate(client, admin, v1_instance["id"], {"version": 2})

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["reasons"] == ["element 'first' has an open ticket and no counterpart in the new version"]
    assert body["affected_elements"] == ["first"]
    after = _get(client, admin, v1_instance["id"])
    assert after["process_version"] == 1 and after["version"] == v1_instance["version"]
    assert [t["id"] for t in after["open_tickets"]] == [v1_instance["open_tickets"][0]["id"]]


def test_an_instance_past_a_removed_task_moves(client, admin, at_second):
    _deploy(client, admin, WITHOUT_FIRST)

    response = _migrate(client, admin, at_second["id"], {"version": 2})

    assert response.status_code == 200
    result = _complete(client, admin, response.get_json()["open_tickets"][0]["id"])
    assert result["instance"]["status"] == "completed"


def test_a_suspended_instance_moves_and_stays_suspended(client, admin, v1_instance):
    _deploy(client, admin, WITH_CHECK)
    client.post(f"/api/v1/instances/{v1_instance['id']}/suspend", headers=admin)

    response = _migrate(client, admin, v1_instance["id"], {"version": 2})

    assert response.status_code == 200
    assert response.get_json()["status"] == "suspended"


def test_a_finished_instance_is_refused(client, admin, v1_instance):
    _deploy(client, admin, WITH_CHECK)
    client.post(f"/api/v1/instances/{v1_instance['id']}/cancel", json={}, headers=admin)

    response = _migrate(client, admin, v1_instance["id"], {"version": 2})

    assert response.status_code == 409
    assert response.get_json()["instance_status"] == "cancelled"


def test_moving_to_the_version_it_runs_is_refused(client, admin, v1_instance):
    assert _migrate(client, admin, v1_instance["id"], {"version": 1}).status_code == 409


def test_unknown_instance_is_404(client, admin, v1_instance):
    response = _migrate(client, admin, "nope", {"version": 1})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_unknown_version_is_422_and_changes_nothing(client, admin, v1_instance):
    response = _migrate(client, admin, v1_instance["id"], {"version": 7})

    assert response.status_code == 422
    assert "version" in response.get_json()["errors"]
    assert _get(client, admin, v1_instance["id"])["version"] == v1_instance["version"]


@pytest.mark.parametrize("body", [{}, {"version": "2"}, {"version": 0}, {"version": 2, "extra": 1}, [2]])
def test_malformed_bodies_are_422(client, admin, v1_instance, body):
    _deploy(client, admin, WITH_CHECK)

    response = _migrate(client, admin, v1_instance["id"], body)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert _get(client, admin, v1_instance["id"])["process_version"] == 1


def test_a_body_that_is_not_json_is_refused(client, admin, v1_instance):
    response = client.post(f"/api/v1/instances/{v1_instance['id']}/migrate", data="version=2",
                           content_type="text/plain", headers=admin)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("role", ["agent", "system"])
def test_only_modelers_and_admins_migrate(client, admin, make_user, v1_instance, role):
    _deploy(client, admin, WITH_CHECK)

    response = _migrate(client, make_user("someone", role, "agents"), v1_instance["id"], {"version": 2})

    assert response.status_code == 403
    assert _get(client, admin, v1_instance["id"])["process_version"] == 1


def test_a_modeler_may_migrate(client, admin, make_user, v1_instance):
    _deploy(client, admin, WITH_CHECK)
    assert _migrate(client, make_user("mo", "modeler"), v1_instance["id"], {"version": 2}).status_code == 200


# -- in bulk --


def _bulk(client, headers, body, key="two_step"):
    return client.post(f"/api/v1/processes/{key}/migrate", json=body, headers=headers)


def test_bulk_migration_reports_each_instance(client, admin, v1_instance, at_second):
    _deploy(client, admin, WITHOUT_FIRST)

    response = _bulk(client, admin, {"from_version": 1, "to_version": 2})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["migrated"], body["refused"]) == (1, 1)
    outcomes = {r["instance_id"]: r for r in body["results"]}
    assert outcomes[at_second["id"]]["status"] == "migrated"
    assert outcomes[v1_instance["id"]]["status"] == "refused"
    assert "'first'" in outcomes[v1_instance["id"]]["reasons"][0]
    assert _get(client, admin, at_second["id"])["process_version"] == 2
    assert _get(client, admin, v1_instance["id"])["process_version"] == 1


def test_bulk_migration_takes_the_oldest_first_up_to_the_limit(client, admin, v1_instance, at_second):
    _deploy(client, admin, WITH_CHECK)

    body = _bulk(client, admin, {"to_version": 2, "limit": 1}).get_json()

    assert [r["instance_id"] for r in body["results"]] == [v1_instance["id"]]
    assert _get(client, admin, at_second["id"])["process_version"] == 1


def test_bulk_migration_skips_finished_instances(client, admin, v1_instance, at_second):
    _deploy(client, admin, WITH_CHECK)
    client.post(f"/api/v1/instances/{v1_instance['id']}/cancel", json={}, headers=admin)

    body = _bulk(client, admin, {"to_version": 2}).get_json()

    assert [r["instance_id"] for r in body["results"]] == [at_second["id"]]


@pytest.mark.parametrize("key, body, status", [
    ("nope", {"to_version": 2}, 404),
    ("two_step", {"to_version": 9}, 422),
    ("two_step", {"from_version": 9, "to_version": 2}, 422),
    ("two_step", {"from_version": 2, "to_version": 2}, 422),
    ("two_step", {"to_version": 2, "limit": 0}, 422),
    ("two_step", {"to_version": 2, "limit": 5000}, 422),
    ("two_step", {"from_version": 1}, 422),
    ("two_step", {"to_version": "2"}, 422),
])
def test_bad_bulk_requests_answer_problems_and_change_nothing(client, admin, v1_instance, key, body, status):
    _deploy(client, admin, WITH_CHECK)

    response = _bulk(client, admin, body, key)

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert _get(client, admin, v1_instance["id"])["process_version"] == 1


def test_agents_cannot_migrate_in_bulk(client, admin, make_user, v1_instance):
    _deploy(client, admin, WITH_CHECK)
    assert _bulk(client, make_user("ann", "agent", "agents"), {"to_version": 2}).status_code == 403


# -- the deploy dry run --


def test_a_dry_run_reports_which_running_instances_could_move(client, admin, v1_instance, at_second):
    response = _deploy(client, admin, WITHOUT_FIRST, dry_run=True)

    assert response.status_code == 200
    [impact] = response.get_json()
    assert impact["key"] == "two_step"
    assert impact["would_create_version"] is True
    assert impact["current_version"] == 1
    assert (impact["running_instances"], impact["migratable"]) == (2, 1)
    [refused] = impact["not_migratable"]
    assert refused["instance_id"] == v1_instance["id"]
    assert "'first'" in refused["reasons"][0]


def test_a_dry_run_stores_nothing(client, admin, v1_instance):
    _deploy(client, admin, WITH_CHECK, dry_run=True)

    versions = client.get("/api/v1/definitions/two_step", headers=admin).get_json()["versions"]
    assert [v["version"] for v in versions] == [1]
    assert _get(client, admin, v1_instance["id"])["version"] == v1_instance["version"]


def test_a_dry_run_of_unchanged_content_creates_no_version(client, admin, v1_instance):
    [impact] = _deploy(client, admin, TWO_STEP, dry_run=True).get_json()

    assert impact["would_create_version"] is False
    assert impact["running_instances"] == 0


def test_a_dry_run_of_a_new_process_has_no_instances(client, admin):
    [impact] = _deploy(client, admin, TWO_STEP, dry_run=True).get_json()

    assert impact == {"key": "two_step", "would_create_version": True, "current_version": None,
                      "running_instances": 0, "migratable": 0, "not_migratable": [], "checked": 0}


def test_a_dry_run_refuses_an_invalid_model_like_a_deploy(client, admin):
    response = _deploy(client, admin, (DATA / "invalid_missing_ref.bpmn").read_bytes(), dry_run=True)
    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid_model"


def test_a_dry_run_needs_a_modeler(client, make_user):
    assert _deploy(client, make_user("ann", "agent"), TWO_STEP, dry_run=True).status_code == 403


def test_a_dry_run_flag_that_is_not_a_boolean_is_422(client, admin):
    response = client.post("/api/v1/definitions?dry_run=maybe", data=TWO_STEP, content_type="application/xml",
                           headers=admin)
    assert response.status_code == 422
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


@pytest.fixture
def intake_v1(client, admin, deploy, start):
    """An intake instance on version 1, its review ticket open; version 2 deployed beside it."""
    deploy("intake_v1.bpmn")
    instance = start("intake")
    deploy("intake_v2.bpmn")
    return instance


def _ticket(client, admin, ticket_id):
    return client.get(f"/api/v1/tickets/{ticket_id}", headers=admin).get_json()


def test_an_open_ticket_takes_the_new_versions_name_candidates_form_and_due_date(client, admin, intake_v1):
    ticket_id = intake_v1["open_tickets"][0]["id"]

    assert _migrate(client, admin, intake_v1["id"], {"version": 2}).status_code == 200

    ticket = _ticket(client, admin, ticket_id)
    assert (ticket["name"], ticket["candidate_groups"], ticket["candidate_users"]) == (
        "Review the request", ["reviewers"], ["sue"])
    assert ticket["priority"] == 5 and ticket["process_version"] == 2
    assert [f["id"] for f in ticket["form"]["fields"]] == ["verdict"]
    assert datetime.fromisoformat(ticket["due_at"]) == datetime.fromisoformat(ticket["created_at"]) + timedelta(hours=4)


def test_a_ticket_refreshed_by_a_migration_records_a_progression(client, admin, intake_v1):
    ticket_id = intake_v1["open_tickets"][0]["id"]
    _migrate(client, admin, intake_v1["id"], {"version": 2})

    timeline = client.get(f"/api/v1/tickets/{ticket_id}/progressions", headers=admin).get_json()["items"]

    [migrated] = [p for p in timeline if p["action"] == "migrated"]
    assert migrated["performed_by"] == "admin"
    details = migrated["metadata"]
    assert (details["from_version"], details["to_version"]) == (1, 2)
    assert details["changes"]["name"] == {"from": "Review", "to": "Review the request"}
    assert details["changes"]["candidates"]["to"] == {"users": ["sue"], "groups": ["reviewers"]}
    assert set(details["changes"]) == {"name", "candidates", "priority", "form", "due_at"}


def test_a_claimed_ticket_keeps_its_holder_through_a_migration(client, admin, intake_v1):
    ticket_id = intake_v1["open_tickets"][0]["id"]
    assert client.post(f"/api/v1/tickets/{ticket_id}/claim", headers=admin).status_code == 200

    _migrate(client, admin, intake_v1["id"], {"version": 2})

    ticket = _ticket(client, admin, ticket_id)
    assert (ticket["status"], ticket["assignee"], ticket["name"]) == ("claimed", "admin", "Review the request")


def test_a_boundary_timer_added_by_the_new_version_attaches_to_the_waiting_task(client, admin, runtime, intake_v1):
    migrated_at = runtime.clock()
    ticket_id = intake_v1["open_tickets"][0]["id"]
    _migrate(client, admin, intake_v1["id"], {"version": 2})

    [timer] = _get(client, admin, intake_v1["id"])["timers"]
    assert timer["element_id"] == "review_late"
    assert timedelta(minutes=10) <= datetime.fromisoformat(timer["due"]) - migrated_at < timedelta(minutes=11)
    real = runtime.clock
    runtime.clock = lambda: real() + timedelta(minutes=11)
    assert scheduler.fire_due_timers(runtime) == 1

    after = _get(client, admin, intake_v1["id"])
    assert [t["element_id"] for t in after["open_tickets"]] == ["escalate"]
    assert _ticket(client, admin, ticket_id)["status"] == "cancelled"


def test_a_task_that_gained_a_boundary_event_still_completes_once(client, admin, intake_v1):
    _migrate(client, admin, intake_v1["id"], {"version": 2})

    result = _complete(client, admin, intake_v1["open_tickets"][0]["id"], {"verdict": "fine"})

    assert result["instance"]["status"] == "completed"
    after = _get(client, admin, intake_v1["id"])
    assert after["timers"] == []
    assert [e["element_id"] for e in after["history"] if e["element_id"] in ("end", "end_escalated")] == ["end"]
