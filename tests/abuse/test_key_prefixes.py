"""Item 11 of the security review: lists of keys show a key id and a few characters of a long
random key, never most of a short chosen one."""


def test_a_short_chosen_key_shows_no_characters(client, admin):
    chosen_key = admin["Authorization"].split()[1]  # FLOWDESK_ADMIN_KEY of the test server
    [listed] = client.get("/api/v1/api-keys?user=admin", headers=admin).get_json()["items"]
    assert listed["prefix"] == "" and listed["id"]
    assert chosen_key[3:8] not in str(listed)


def test_a_generated_key_shows_at_most_seven_characters(client, admin, make_user):
    make_user("crm", "system")
    created = client.post("/api/v1/api-keys", json={"user": "crm"}, headers=admin).get_json()
    listed = next(k for k in client.get("/api/v1/api-keys?user=crm", headers=admin).get_json()["items"]
                  if k["id"] == created["id"])
    assert listed["prefix"] == created["key"][:7]
