"""PATCH /instances/{id}/variables: an administrator corrects a running instance's variables."""

from __future__ import annotations

import pytest

PATH = "/api/v1/instances/{instance_id}/variables"


@pytest.fixture
def running(deploy, start):
    deploy("simple_user_task.bpmn")
    return start("simple_user_task", {"amount": 10, "note": "typo"})


def _patch(client, headers, instance_id, body):
    return client.patch(f"/api/v1/instances/{instance_id}/variables", json=body, headers=headers)


def _variables(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()["variables"]


def test_set_and_remove_variables(client, admin, running, as_documented):
    response = _patch(client, admin, running["id"], {"set": {"amount": 12, "approved": True}, "remove": ["note"]})
    body = as_documented(response, PATH, "patch")
    assert response.status_code == 200
    assert body["variables"] == {"amount": 12, "approved": True}
    assert _variables(client, admin, running["id"]) == {"amount": 12, "approved": True}


def test_the_next_step_sees_the_written_variables(client, admin, running):
    _patch(client, admin, running["id"], {"set": {"amount": 99}})
    ticket = running["open_tickets"][0]["id"]
    client.post(f"/api/v1/tickets/{ticket}/claim", headers=admin)
    done = client.post(f"/api/v1/tickets/{ticket}/complete", json={"data": {}}, headers=admin)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["instance"]["variables"]["amount"] == 99


def test_the_write_is_audited_by_name(client, admin, running):
    _patch(client, admin, running["id"], {"set": {"amount": 12}, "remove": ["note"]})
    entries = client.get("/api/v1/audit-log?action=instance.variables_written", headers=admin).get_json()["items"]
    assert [(e["target"], e["detail"]) for e in entries] == [(running["id"], {"set": ["amount"], "removed": ["note"]})]


def test_non_admin_is_403_and_nothing_changes(client, admin, running, make_user, as_documented):
    response = _patch(client, make_user("sam", "system"), running["id"], {"set": {"amount": 1}})
    assert as_documented(response, PATH, "patch")["code"] == "forbidden"
    assert response.status_code == 403
    assert _variables(client, admin, running["id"]) == {"amount": 10, "note": "typo"}


def test_unknown_instance_is_404(client, admin, as_documented):
    response = _patch(client, admin, "00000000-0000-0000-0000-000000000000", {"set": {"a": 1}})
    assert response.status_code == 404
    assert as_documented(response, PATH, "patch")["code"] == "not_found"


def test_finished_instance_is_409(client, admin, running, as_documented):
    client.post(f"/api/v1/instances/{running['id']}/cancel", json={}, headers=admin)
    response = _patch(client, admin, running["id"], {"set": {"amount": 1}})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    as_documented(response, PATH, "patch")


@pytest.mark.parametrize("body", [{}, {"set": {}, "remove": []}, {"set": [1]}, {"remove": "note"},
                                  {"set": {"note": 1}, "remove": ["note"]}, {"set": {"": 1}}])
def test_bad_body_is_422_and_changes_nothing(client, admin, running, body, as_documented):
    response = _patch(client, admin, running["id"], body)
    assert response.status_code == 422
    assert as_documented(response, PATH, "patch")["code"] == "invalid_input"
    assert _variables(client, admin, running["id"]) == {"amount": 10, "note": "typo"}
