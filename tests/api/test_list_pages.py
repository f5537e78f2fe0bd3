"""Every list of /api/v1 answers a page, `{items, next_cursor}`, in a stable order: walked one
item at a time its cursor reaches every item once, and each page is what the document says."""

from __future__ import annotations

import pytest

CALENDAR = {"time_zone": "Europe/Paris", "working_days": [1, 2, 3, 4, 5], "hours": ["09:00", "17:00"]}


def _users(client, admin, make_user, deploy):
    make_user("bob", "agent")
    make_user("carol", "modeler")
    return ["admin", "bob", "carol"]


def _groups(client, admin, make_user, deploy):
    make_user("bob", "agent", "support", "billing")
    make_user("carol", "agent", "audit")
    return ["audit", "billing", "support"]


def _api_keys(client, admin, make_user, deploy):
    make_user("bob", "agent")
    make_user("carol", "agent")
    return ["admin", "bob", "carol"]  # one key each, oldest first


def _definitions(client, admin, make_user, deploy):
    deploy("simple_user_task.bpmn", "call_child.bpmn", "inbox.bpmn")
    return ["call_child", "inbox_item", "simple_user_task"]


def _webhooks(client, admin, make_user, deploy):
    urls = [f"https://hooks.example.com/{n}" for n in ("one", "two", "three")]
    for url in urls:
        assert client.post("/api/v1/webhooks", headers=admin, json={"url": url, "events": ["instance.started"]}
                           ).status_code == 201
    return urls


def _secrets(client, admin, make_user, deploy):
    for name in ("crm", "api", "bank"):
        assert client.put(f"/api/v1/secrets/{name}", headers=admin, json={"value": "s3cret"}).status_code == 201
    return ["api", "bank", "crm"]


def _calendars(client, admin, make_user, deploy):
    for name in ("paris", "lyon", "nice"):
        assert client.put(f"/api/v1/calendars/{name}", headers=admin, json=CALENDAR).status_code == 201
    return ["lyon", "nice", "paris"]


def _data_stores(client, admin, make_user, deploy):
    for name in ("rates", "plans", "zones"):
        assert client.put(f"/api/v1/data-stores/{name}", headers=admin, json={"value": [1]}).status_code == 201
    return ["plans", "rates", "zones"]


def _saved_filters(client, admin, make_user, deploy):
    for name in ("urgent", "mine", "late"):
        assert client.post("/api/v1/me/filters", headers=admin,
                           json={"name": name, "query": {"status": "open"}}).status_code == 201
    return ["late", "mine", "urgent"]


# path, page schema, what names an item, how to make three items (returns their names in list order)
LISTS = [
    ("/api/v1/users", "UserPage", "name", _users),
    ("/api/v1/groups", "GroupPage", "name", _groups),
    ("/api/v1/api-keys", "ApiKeyPage", "user", _api_keys),
    ("/api/v1/definitions", "DefinitionSummaryPage", "key", _definitions),
    ("/api/v1/webhooks", "WebhookPage", "url", _webhooks),
    ("/api/v1/secrets", "SecretPage", "name", _secrets),
    ("/api/v1/calendars", "CalendarPage", "name", _calendars),
    ("/api/v1/data-stores", "DataStorePage", "name", _data_stores),
    ("/api/v1/me/filters", "SavedFilterPage", "name", _saved_filters),
]


@pytest.fixture(params=LISTS, ids=[path.removeprefix("/api/v1/") for path, *_ in LISTS])
def filled(request, client, admin, make_user, deploy):
    path, page_schema, field, fill = request.param
    return path, page_schema, field, fill(client, admin, make_user, deploy)


def test_one_item_a_page_reaches_every_item_once_in_order(client, admin, documented, filled):
    path, page_schema, field, expected = filled
    seen, after, pages = [], None, 0
    while True:
        response = client.get(path, headers=admin, query_string={"limit": 1, **({"after": after} if after else {})})
        assert response.status_code == 200
        page = documented(page_schema, response.get_json())
        assert len(page["items"]) == 1
        seen += [item[field] for item in page["items"]]
        pages += 1
        after = page["next_cursor"]
        if after is None:
            break
        assert pages < 10, "the cursor does not move on"
    assert seen == expected
    assert pages == 3


def test_the_default_page_holds_every_item_and_no_cursor(client, admin, documented, filled):
    path, page_schema, field, expected = filled
    page = documented(page_schema, client.get(path, headers=admin).get_json())
    assert [item[field] for item in page["items"]] == expected
    assert page["next_cursor"] is None


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 201}, {"after": "not-a-cursor"}])
@pytest.mark.parametrize("path", [path for path, *_ in LISTS])
def test_a_bad_limit_or_cursor_is_a_422_problem(client, admin, path, query):
    response = client.get(path, headers=admin, query_string=query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "invalid_input"


def test_a_cursor_of_one_order_is_refused_by_another(client, admin, make_user):
    make_user("bob", "agent")
    by_name = client.get("/api/v1/users?limit=1", headers=admin).get_json()["next_cursor"]
    by_age = client.get("/api/v1/api-keys?limit=1", headers=admin).get_json()["next_cursor"]
    assert client.get(f"/api/v1/api-keys?after={by_name}", headers=admin).status_code == 422
    assert client.get(f"/api/v1/users?after={by_age}", headers=admin).status_code == 422

