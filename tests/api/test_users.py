"""/users and /groups: admins manage who may call flowdesk; every change is audited."""


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_admin_creates_a_user_whose_key_works(client, admin):
    response = client.post("/api/v1/users", json={"name": "sue", "role": "agent", "groups": ["support"]},
                           headers=admin)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["name"], body["role"], body["groups"]) == ("sue", "agent", ["support"])
    assert client.get("/api/v1/tickets", headers=_bearer(body["api_key"])).status_code == 200


def test_user_names_are_unique(client, admin, make_user):
    make_user("sue", "agent")
    response = client.post("/api/v1/users", json={"name": "sue", "role": "agent"}, headers=admin)
    assert response.status_code == 409


def test_unknown_role_is_422(client, admin):
    assert client.post("/api/v1/users", json={"name": "x", "role": "root"}, headers=admin).status_code == 422


def test_user_name_with_spaces_is_422(client, admin):
    assert client.post("/api/v1/users", json={"name": "a b", "role": "agent"}, headers=admin).status_code == 422


def test_non_admin_cannot_create_users(client, make_user):
    modeler = make_user("mo", "modeler")
    response = client.post("/api/v1/users", json={"name": "x", "role": "admin"}, headers=modeler)
    assert response.status_code == 403


def test_patch_changes_only_what_is_given(client, admin, make_user):
    make_user("crm", "system", "integrations")
    response = client.patch("/api/v1/users/crm", json={"process_keys": ["billing"]}, headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["role"], body["groups"], body["process_keys"]) == ("system", ["integrations"], ["billing"])
    lifted = client.patch("/api/v1/users/crm", json={"process_keys": None}, headers=admin).get_json()
    assert lifted["process_keys"] is None


def test_role_change_applies_to_the_next_request(client, admin, make_user):
    sue = make_user("sue", "agent")
    assert client.get("/api/v1/audit-log", headers=sue).status_code == 403
    client.patch("/api/v1/users/sue", json={"role": "auditor"}, headers=admin)
    assert client.get("/api/v1/audit-log", headers=sue).status_code == 200


def test_admin_cannot_demote_or_delete_themselves(client, admin):
    assert client.patch("/api/v1/users/admin", json={"role": "agent"}, headers=admin).status_code == 409
    assert client.delete("/api/v1/users/admin", headers=admin).status_code == 409


def test_deleted_user_keys_stop_working(client, admin, make_user):
    sue = make_user("sue", "agent")
    assert client.delete("/api/v1/users/sue", headers=admin).status_code == 204
    assert client.get("/api/v1/tickets", headers=sue).status_code == 401
    assert client.get("/api/v1/users/sue", headers=admin).status_code == 404


def test_group_membership_is_set_exactly(client, admin, make_user):
    make_user("sue", "agent", "support")
    make_user("max", "agent")
    make_user("ann", "agent", "support")
    response = client.put("/api/v1/groups/support", json={"members": ["sue", "max"], "leads": ["max"]},
                          headers=admin)
    assert response.get_json() == {"name": "support", "members": ["max", "sue"], "leads": ["max"]}
    groups = {g["name"]: g for g in client.get("/api/v1/groups", headers=admin).get_json()["items"]}
    assert groups["support"]["members"] == ["max", "sue"]
    assert client.get("/api/v1/users/ann", headers=admin).get_json()["groups"] == []


def test_a_group_lead_can_become_a_plain_member_again(client, admin, make_user):
    make_user("max", "agent")
    client.put("/api/v1/groups/support", json={"members": ["max"], "leads": ["max"]}, headers=admin)
    response = client.put("/api/v1/groups/support", json={"members": ["max"]}, headers=admin)
    assert response.get_json() == {"name": "support", "members": ["max"], "leads": []}
    assert client.get("/api/v1/users/max", headers=admin).get_json()["lead_of"] == []


def test_patch_replaces_a_users_groups(client, admin, make_user):
    make_user("max", "agent", "support", "sales")
    response = client.patch("/api/v1/users/max", json={"groups": ["support", "billing"], "lead_of": ["support"]},
                            headers=admin)
    body = response.get_json()
    assert (body["groups"], body["lead_of"]) == (["billing", "support"], ["support"])
    assert client.get("/api/v1/users/max", headers=admin).get_json()["groups"] == ["billing", "support"]


def test_group_with_unknown_member_is_422_and_changes_nothing(client, admin, make_user):
    make_user("sue", "agent", "support")
    response = client.put("/api/v1/groups/support", json={"members": ["ghost"]}, headers=admin)
    assert response.status_code == 422
    assert client.get("/api/v1/users/sue", headers=admin).get_json()["groups"] == ["support"]


def test_new_group_member_sees_the_groups_tickets(client, admin, make_user, deploy, start):
    deploy("simple_user_task.bpmn")
    start("simple_user_task")
    ticket_group = client.get("/api/v1/tickets", headers=admin).get_json()["items"][0]["candidate_groups"][0]
    sue = make_user("sue", "agent")
    assert client.get("/api/v1/tickets", headers=sue).get_json()["items"] == []
    client.put(f"/api/v1/groups/{ticket_group}", json={"members": ["sue"]}, headers=admin)
    assert len(client.get("/api/v1/tickets", headers=sue).get_json()["items"]) == 1


def test_user_and_group_changes_are_audited(client, admin):
    client.post("/api/v1/users", json={"name": "sue", "role": "agent"}, headers=admin)
    client.patch("/api/v1/users/sue", json={"role": "modeler"}, headers=admin)
    client.put("/api/v1/groups/support", json={"members": ["sue"]}, headers=admin)
    client.delete("/api/v1/users/sue", headers=admin)
    entries = client.get("/api/v1/audit-log", headers=admin).get_json()["items"]
    actions = [(e["action"], e["target"]) for e in entries if e["target"] in ("sue", "support")]
    assert actions == [("user.created", "sue"), ("user.updated", "sue"), ("group.changed", "support"),
                       ("user.deleted", "sue")]
    assert next(e for e in entries if e["action"] == "user.updated")["detail"] == {"role": "modeler"}


def test_patch_makes_a_member_lead_of_their_group(client, admin, make_user):
    make_user("max", "agent", "managers")
    response = client.patch("/api/v1/users/max", json={"lead_of": ["managers"]}, headers=admin)
    assert response.status_code == 200
    assert (response.get_json()["groups"], response.get_json()["lead_of"]) == (["managers"], ["managers"])
