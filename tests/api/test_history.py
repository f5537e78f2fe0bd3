"""/history/tickets and /history/activities: what instances did, across instances."""

from __future__ import annotations

import pytest

TICKETS = "/api/v1/history/tickets"
ACTIVITIES = "/api/v1/history/activities"


@pytest.fixture
def people(make_user):
    return {"bob": make_user("bob", "agent", "agents"), "eve": make_user("eve", "agent", "agents"),
            "ola": make_user("ola", "agent", "outsiders")}


def _work(client, headers, ticket_id, data=None):
    assert client.post(f"/api/v1/tickets/{ticket_id}/claim", headers=headers).status_code == 200
    response = client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": data or {}}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def worked(deploy, start, client, people, clock):
    """Two two_step instances: bob completes 'first' of A at 12:00 (skipping the second step),
    eve completes 'first' of B at 13:00; B waits at 'second'."""
    deploy("two_step.bpmn")
    a = start("two_step", business_key="A")
    b = start("two_step", business_key="B")
    _work(client, people["bob"], a["open_tickets"][0]["id"], {"skip": True})
    clock.advance(hours=1)
    _work(client, people["eve"], b["open_tickets"][0]["id"], {"skip": False})
    return {"A": a["id"], "B": b["id"]}


def _get(client, headers, url):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_completed_tickets(client, admin, worked, as_documented):
    page = as_documented(client.get(TICKETS, headers=admin), TICKETS, "get")
    assert [(t["business_key"], t["element_id"], t["completed_by"]) for t in page["items"]] == [
        ("A", "first", "bob"), ("B", "first", "eve")]
    assert page["next_cursor"] is None


@pytest.mark.parametrize("query, expected", [
    ("completed_by=eve", ["B"]),
    ("completed_after=2026-11-21T12:30:00Z", ["B"]),
    ("completed_before=2026-11-21T13:00:00Z", ["A"]),
    ("process_key=two_step&element_id=first", ["A", "B"]),
    ("process_key=other", []),
])
def test_completed_tickets_filtered(client, admin, worked, query, expected):
    assert [t["business_key"] for t in _get(client, admin, f"{TICKETS}?{query}")["items"]] == expected


def test_completed_tickets_page_by_cursor(client, admin, worked):
    first = _get(client, admin, f"{TICKETS}?limit=1")
    rest = _get(client, admin, f"{TICKETS}?limit=1&after={first['next_cursor']}")
    assert [t["business_key"] for t in first["items"] + rest["items"]] == ["A", "B"]
    assert rest["next_cursor"] is None


def test_agents_see_the_completed_tickets_they_see(client, worked, people):
    assert [t["completed_by"] for t in _get(client, people["bob"], TICKETS)["items"]] == ["bob", "eve"]  # group agents
    assert _get(client, people["ola"], TICKETS)["items"] == []


def test_completed_activities(client, admin, worked, as_documented):
    page = as_documented(client.get(f"{ACTIVITIES}?instance_id={worked['A']}", headers=admin), ACTIVITIES, "get")
    assert [(a["element_id"], a["type"]) for a in page["items"]] == [
        ("start", "startEvent"), ("first", "userTask"), ("skip_gateway", "exclusiveGateway"), ("end", "endEvent")]
    assert {a["process_key"] for a in page["items"]} == {"two_step"}
    assert page["items"][1]["finished_at"] == "2026-11-21T12:00:00+00:00"


@pytest.mark.parametrize("query, expected", [
    ("type=userTask", [("A", "first"), ("B", "first")]),
    ("type=endEvent", [("A", "end")]),
    ("finished_after=2026-11-21T12:30:00Z", [("B", "first"), ("B", "skip_gateway")]),
    ("process_key=two_step&element_id=skip_gateway", [("A", "skip_gateway"), ("B", "skip_gateway")]),
])
def test_completed_activities_filtered(client, admin, worked, query, expected):
    names = {v: k for k, v in worked.items()}
    items = _get(client, admin, f"{ACTIVITIES}?{query}")["items"]
    assert [(names[a["instance_id"]], a["element_id"]) for a in items] == expected


def test_completed_activities_page_by_cursor(client, admin, worked):
    everything = _get(client, admin, ACTIVITIES)["items"]
    seen, after = [], None
    while True:
        page = _get(client, admin, f"{ACTIVITIES}?limit=3" + (f"&after={after}" if after else ""))
        seen += [a["id"] for a in page["items"]]
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == [a["id"] for a in everything] and len(seen) == 7


def test_agents_see_the_activities_of_instances_they_see(client, worked, people):
    assert _get(client, people["ola"], ACTIVITIES)["items"] == []
    assert len(_get(client, people["bob"], ACTIVITIES)["items"]) == 7


@pytest.mark.parametrize("url", [f"{TICKETS}?completed_after=noon", f"{ACTIVITIES}?finished_before=2026-02-30",
                                 f"{TICKETS}?after=nonsense", f"{ACTIVITIES}?after=nonsense", f"{ACTIVITIES}?limit=0"])
def test_bad_query_is_422(client, admin, worked, url, as_documented):
    response = client.get(url, headers=admin)
    assert response.status_code == 422
    as_documented(response, url.split("?")[0], "get")
