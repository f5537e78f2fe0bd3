"""The inbox: filters, sort orders, keyset paging per sort (equal keys, NULLs last), counts, saved filters."""

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

PROBLEM = "application/problem+json"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(clock):
    """The shared frozen clock, started at T0."""
    clock.now = T0
    return clock


@pytest.fixture(autouse=True)
def deployed(deploy):
    deploy("inbox.bpmn", "two_step.bpmn")


@pytest.fixture
def item(start, clock):
    """``item(priority=, due=, key=)`` opens one inbox ticket and returns it."""
    def open_one(priority=None, due=None, key=None, **variables):
        if priority is not None:
            variables["priority"] = priority
        if due is not None:
            variables["due"] = due.isoformat() if isinstance(due, datetime) else due
        [ticket] = start("inbox_item", variables, business_key=key)["open_tickets"]
        return ticket
    return open_one


def _list(client, headers, query=""):
    response = client.get(f"/api/v1/tickets?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _ids(client, headers, query=""):
    return [t["id"] for t in _list(client, headers, query)["items"]]


def _all_pages(client, headers, query, limit=2):
    ids, cursor = [], None
    while True:
        page = _list(client, headers, f"{query}&limit={limit}" + (f"&after={cursor}" if cursor else ""))
        ids += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_sort_by_due_puts_tickets_without_due_date_last(client, admin, item):
    late, none, early = item(due=T0 + timedelta(days=2)), item(), item(due=T0 + timedelta(days=1))
    assert _ids(client, admin, "sort=due") == [early["id"], late["id"], none["id"]]
    assert _ids(client, admin, "sort=-due") == [late["id"], early["id"], none["id"]]


def test_sort_by_priority_and_created(client, admin, item, clock):
    low = item(priority=1)
    clock.now += timedelta(minutes=1)
    high = item(priority=9)
    clock.now += timedelta(minutes=1)
    unset = item()
    assert _ids(client, admin, "sort=-priority") == [high["id"], low["id"], unset["id"]]
    assert _ids(client, admin, "sort=priority") == [low["id"], high["id"], unset["id"]]
    assert _ids(client, admin, "sort=-created") == [unset["id"], high["id"], low["id"]]
    assert _ids(client, admin) == [low["id"], high["id"], unset["id"]]


@pytest.mark.parametrize("sort", ["due", "-due", "priority", "-priority", "created", "-created"])
def test_cursor_pages_are_complete_with_equal_keys_and_nulls(client, admin, item, sort):
    same = T0 + timedelta(days=1)
    for n in range(5):
        item(priority=5, due=same)  # equal sort keys: only the id orders them
    item(priority=7, due=same + timedelta(hours=1))
    item()
    item()  # two without due date or priority
    everything = _ids(client, admin, f"sort={sort}&limit=200")
    paged = _all_pages(client, admin, f"sort={sort}")
    assert paged == everything
    assert len(set(paged)) == 8


def test_cursor_of_another_sort_is_422(client, admin, item):
    for _ in range(3):
        item(due=T0 + timedelta(hours=1))
    cursor = _list(client, admin, "sort=due&limit=1")["next_cursor"]
    response = client.get(f"/api/v1/tickets?sort=-priority&after={cursor}", headers=admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert body["detail"] == "the cursor belongs to another sort order"
    assert body["errors"] == {"after": ["a next_cursor of a list sorted by -priority"]}


def test_garbage_cursor_is_422(client, admin):
    response = client.get("/api/v1/tickets?after=!!notacursor", headers=admin)
    assert response.status_code == 422
    assert response.get_json()["detail"] == "invalid cursor"


@pytest.mark.parametrize("value", ["high", True])
def test_a_priority_cursor_whose_value_is_not_a_number_is_422(client, admin, value):
    forged = base64.urlsafe_b64encode(json.dumps(["priority", value, "some-id"]).encode()).decode()
    response = client.get(f"/api/v1/tickets?sort=priority&after={forged}", headers=admin)
    assert response.status_code == 422 and response.get_json()["errors"] == {"after": ["not a cursor returned by this API"]}


def test_count_adds_the_total_of_the_filter(client, admin, item):
    for n in range(3):
        item(priority=n)
    page = _list(client, admin, "min_priority=1&limit=1&count=true")
    assert (len(page["items"]), page["total"]) == (1, 2)
    assert _list(client, admin)["total"] is None


def test_filter_by_priority_and_due_window(client, admin, item):
    soon = item(priority=3, due=T0 + timedelta(hours=2))
    later = item(priority=8, due=T0 + timedelta(days=3))
    item(priority=9)
    assert _ids(client, admin, "min_priority=8&sort=priority") == [later["id"], _ids(client, admin, "min_priority=9")[0]]
    before = (T0 + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert _ids(client, admin, f"due_before={before}") == [soon["id"]]
    assert _ids(client, admin, f"due_after={before}") == [later["id"]]


def test_a_due_window_includes_its_start_and_excludes_its_end(client, admin, item):
    bound = T0 + timedelta(hours=2)
    at_bound = item(due=bound)
    at = bound.isoformat().replace("+00:00", "Z")
    assert _ids(client, admin, f"due_before={at}") == []
    assert _ids(client, admin, f"due_after={at}") == [at_bound["id"]]


def test_an_empty_filter_value_filters_nothing(client, admin, item):
    keyed = item(key="K-1")
    assert _ids(client, admin, "business_key=") == [keyed["id"]]


def test_filter_by_created_window(client, admin, item, clock):
    first = item()
    clock.now += timedelta(hours=1)
    second = item()
    middle = (T0 + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    assert _ids(client, admin, f"created_before={middle}") == [first["id"]]
    assert _ids(client, admin, f"created_after={middle}") == [second["id"]]


def test_text_search_is_case_insensitive_over_name_and_business_key(client, admin, item, start):
    acme = item(key="ACME-17")
    item(key="Globex-3")
    two_step = start("two_step", business_key="other")["open_tickets"][0]
    assert _ids(client, admin, "q=acme") == [acme["id"]]
    assert _ids(client, admin, "q=WORK%20ITEM&count=true") == _ids(client, admin, "element_id=work")
    assert _ids(client, admin, "q=first%20step") == [two_step["id"]]
    assert _ids(client, admin, "q=%25") == []  # a literal %, not a wildcard


def test_filter_by_process_version_business_key_and_element(client, admin, item, start, deploy):
    old = item(key="K-1")
    two_step = start("two_step")["open_tickets"][0]
    assert _ids(client, admin, "process_key=inbox_item&process_version=1") == [old["id"]]
    assert _ids(client, admin, "process_key=inbox_item&process_version=2") == []
    assert _ids(client, admin, "business_key=K-1") == [old["id"]]
    assert _ids(client, admin, "element_id=first") == [two_step["id"]]


def test_filter_assignee_me_and_candidate_group(client, admin, item, make_user, start):
    bob = make_user("bob", "agent", "agents")
    mine, other = item(), item()
    client.post(f"/api/v1/tickets/{mine['id']}/claim", headers=bob)
    assert _ids(client, bob, "assignee=me") == [mine["id"]]
    assert _ids(client, admin, "assignee=bob") == [mine["id"]]
    assert _ids(client, bob, "status=open") == [other["id"]]
    assert set(_ids(client, admin, "candidate_group=agents")) == {mine["id"], other["id"]}
    assert _ids(client, admin, "candidate_group=finance") == []


def test_filter_by_sla_state(client, admin, item, clock):
    breached = item(due=T0 - timedelta(minutes=1))
    at_risk = item(due=T0 + timedelta(hours=1))
    fine = item(due=T0 + timedelta(days=1))
    none = item()
    clock.now = T0 + timedelta(minutes=50)  # 50 of 60 minutes used: at risk
    assert _ids(client, admin, "sla_state=breached") == [breached["id"]]
    assert _ids(client, admin, "sla_state=at_risk") == [at_risk["id"]]
    assert set(_ids(client, admin, "sla_state=ok")) == {fine["id"], none["id"]}
    states = {t["id"]: t["sla"]["state"] for t in _list(client, admin)["items"]}
    assert states == {breached["id"]: "breached", at_risk["id"]: "at_risk", fine["id"]: "ok", none["id"]: "ok"}


@pytest.mark.parametrize("state", ["breached", "at_risk"])
def test_active_leaves_finished_tickets_out_of_an_sla_view(client, admin, item, clock, make_user, state):
    due = T0 - timedelta(minutes=1) if state == "breached" else T0 + timedelta(hours=1)
    done, waiting, open_ = item(due=due), item(due=due), item(due=due)
    clock.now = T0 + timedelta(minutes=50)  # finished and paused in that state
    ann = make_user("ann", "agent", "agents")
    for ticket in (done, waiting):
        assert client.post(f"/api/v1/tickets/{ticket['id']}/claim", headers=ann).status_code == 200
    assert client.post(f"/api/v1/tickets/{done['id']}/complete", headers=ann, json={"data": {}}).status_code == 200
    progressed = client.post(f"/api/v1/tickets/{waiting['id']}/progress", headers=ann,
                             json={"action": "waiting_customer"})
    assert progressed.status_code == 200, progressed.get_json()
    assert set(_ids(client, admin, f"sla_state={state}")) == {done["id"], waiting["id"], open_["id"]}
    for who in (admin, ann):
        page = _list(client, who, f"sla_state={state}&active=true&count=true")
        assert {t["id"] for t in page["items"]} == {waiting["id"], open_["id"]} and page["total"] == 2
    assert _ids(client, admin, f"sla_state={state}&active=true&candidate_group=agents&sort=due") != []
    assert done["id"] not in _ids(client, admin, f"sla_state={state}&active=true&candidate_group=agents")


@pytest.mark.parametrize("query", [
    "sort=name", "sla_state=late", "status=done", "due_before=tomorrow", "process_version=abc", "min_priority=x",
    "count=maybe", "limit=0",
])
def test_bad_filter_is_422(client, admin, query):
    response = client.get(f"/api/v1/tickets?{query}", headers=admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM


def test_saved_filter_round_trip(client, admin, item, make_user):
    bob = make_user("bob", "agent", "agents")
    urgent = item(priority=9, due=T0 + timedelta(hours=1))
    item(priority=1)
    created = client.post("/api/v1/me/filters", json={"name": "urgent", "query": {"min_priority": 5, "sort": "due"}},
                          headers=bob)
    assert created.status_code == 201, created.get_json()
    saved = created.get_json()
    assert saved["query"] == {"min_priority": 5, "sort": "due"}
    assert [f["name"] for f in client.get("/api/v1/me/filters", headers=bob).get_json()["items"]] == ["urgent"]
    assert _ids(client, bob, f"filter={saved['id']}") == [urgent["id"]]
    assert len(_ids(client, bob, f"filter={saved['id']}&min_priority=0")) == 2  # parameters override it
    assert client.get("/api/v1/me/filters", headers=admin).get_json()["items"] == []
    assert client.get(f"/api/v1/tickets?filter={saved['id']}", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/me/filters/{saved['id']}", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/me/filters/{saved['id']}", headers=bob).status_code == 204
    assert client.get("/api/v1/me/filters", headers=bob).get_json()["items"] == []


@pytest.mark.parametrize("body", [
    {"name": "x", "query": {"sort": "name"}}, {"name": "x", "query": {"colour": "red"}}, {"name": "", "query": {}},
    {"query": {}}, {"name": "x", "query": "status=open"},
])
def test_bad_saved_filter_is_422_and_not_stored(client, admin, body):
    response = client.post("/api/v1/me/filters", json=body, headers=admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert client.get("/api/v1/me/filters", headers=admin).get_json()["items"] == []


def test_saved_filter_names_are_unique_per_user(client, admin):
    assert client.post("/api/v1/me/filters", json={"name": "mine", "query": {}}, headers=admin).status_code == 201
    again = client.post("/api/v1/me/filters", json={"name": "mine", "query": {"status": "open"}}, headers=admin)
    assert again.status_code == 409
    assert len(client.get("/api/v1/me/filters", headers=admin).get_json()["items"]) == 1


def test_group_inbox_follows_claim_unclaim_and_completion(client, admin, item, make_user):
    bob = make_user("bob", "agent", "agents")
    first, second = item(), item()
    client.post(f"/api/v1/tickets/{first['id']}/claim", headers=bob)
    assert _ids(client, bob, "candidate_group=agents&status=open") == [second["id"]]
    assert _ids(client, bob, "candidate_group=agents&status=claimed") == [first["id"]]
    client.post(f"/api/v1/tickets/{first['id']}/unclaim", headers=bob)
    assert set(_ids(client, bob, "candidate_group=agents&status=open")) == {first["id"], second["id"]}
    client.post(f"/api/v1/tickets/{second['id']}/claim", headers=bob)
    assert client.post(f"/api/v1/tickets/{second['id']}/complete", json={"data": {}},
                       headers=bob).status_code == 200
    assert _ids(client, bob, "candidate_group=agents&status=completed") == [second["id"]]
    assert _list(client, bob, "candidate_group=agents&status=open&count=true")["total"] == 1


@pytest.mark.parametrize("sort", ["due", "-due", "priority", "-priority", "created", "-created"])
def test_group_inbox_pages_like_the_whole_inbox(client, admin, item, clock, sort):
    for n in range(4):
        item(priority=n % 2, due=T0 + timedelta(hours=n % 3))
        clock.now += timedelta(minutes=1)
    item()
    assert _all_pages(client, admin, f"candidate_group=agents&status=open&sort={sort}") == \
        _ids(client, admin, f"status=open&sort={sort}&limit=200")


def test_group_of_others_shows_only_what_you_hold(client, admin, item, make_user):
    carol = make_user("carol", "agent", "finance")
    held, _ = item(), item()
    assert client.post(f"/api/v1/tickets/{held['id']}/assign", json={"user": "carol"},
                       headers=admin).status_code == 200
    assert _ids(client, carol, "candidate_group=agents") == [held["id"]]
    assert _list(client, carol, "candidate_group=agents&status=open&count=true")["total"] == 0
    assert _list(client, carol, "status=claimed&count=true")["total"] == 1


def test_count_stops_at_the_cap_and_says_so(client, admin, item, monkeypatch):
    from flowdesk.engine.store import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 2)  # where every count stops (the inbox's too)
    item(), item()
    page = _list(client, admin, "count=true")
    assert (page["total"], page["total_capped"]) == (2, False)
    item()
    page = _list(client, admin, "count=true&candidate_group=agents&status=open")
    assert (page["total"], page["total_capped"]) == (2, True)


@pytest.mark.parametrize("sort", ["due", "-due", "priority", "-priority", "created", "-created"])
def test_agent_inbox_merges_offered_and_held_tickets_in_order(client, admin, item, clock, make_user, sort):
    bob = make_user("bob", "agent", "agents", "night_shift")
    carol = make_user("carol", "agent", "finance")
    for n in range(5):
        item(priority=n % 3, due=T0 + timedelta(hours=n % 2))
        clock.now += timedelta(minutes=1)
    item()
    held = item(priority=1)
    client.post(f"/api/v1/tickets/{held['id']}/claim", headers=bob)
    assert _all_pages(client, bob, f"sort={sort}") == _ids(client, admin, f"sort={sort}&limit=200")
    assert _all_pages(client, bob, f"sort={sort}&status=open") == _ids(client, admin, f"sort={sort}&status=open&limit=200")
    assert _all_pages(client, carol, f"sort={sort}") == []
    client.post(f"/api/v1/tickets/{held['id']}/assign", json={"user": "carol"}, headers=admin)
    assert _all_pages(client, carol, f"sort={sort}") == [held["id"]]
