"""GET /instances by variable values (`var=name:op:value`) and by when instances started and ended."""

from __future__ import annotations

import pytest

PATH = "/api/v1/instances"


@pytest.fixture
def orders(deploy, start, clock):
    """Four instances started an hour apart from 12:00 (the clock then stands at 16:00), by business key."""
    deploy("simple_user_task.bpmn")
    started = {}
    for key, variables in (("A", {"amount": 50, "country": "DE", "vip": True}),
                           ("B", {"amount": 150.5, "country": "FR", "vip": False}),
                           ("C", {"amount": "150", "country": "DE", "note": None}),
                           ("D", {"amount": 1000, "country": "de", "due": "2026-12-01"})):
        started[key] = start("simple_user_task", variables, business_key=key)["id"]
        clock.advance(hours=1)
    return started


def _keys(client, admin, query: str) -> list[str]:
    response = client.get(f"{PATH}?{query}", headers=admin)
    assert response.status_code == 200, response.get_json()
    return [i["business_key"] for i in response.get_json()["items"]]


@pytest.mark.parametrize("query, expected", [
    ("var=country:eq:DE", ["A", "C"]),
    ("var=amount:eq:150.5", ["B"]),
    ("var=amount:eq:1000", ["D"]),
    ('var=amount:eq:"150"', ["C"]),      # the text, not the number
    ("var=amount:eq:150", []),            # a number: C's amount is text
    ("var=vip:eq:true", ["A"]),
    ("var=vip:eq:false", ["B"]),
    ("var=note:eq:null", ["C"]),
    ("var=country:neq:DE", ["B", "D"]),   # neq needs the variable: all four have a country
    ("var=vip:neq:true", ["B"]),
    ("var=amount:gt:100", ["B", "D"]),    # numbers with numbers only
    ("var=amount:lte:150.5", ["A", "B"]),
    ("var=amount:lt:50", []),
    ("var=due:gte:2026-11-30", ["D"]),     # text with text: ISO dates order
    ("var=country:eq:DE&var=amount:lt:100", ["A"]),
    ("var=missing:eq:1", []),
])
def test_filter_by_variable(client, admin, orders, query, expected):
    assert _keys(client, admin, query) == expected


def test_filtered_page_is_documented_and_counted(client, admin, orders, as_documented):
    response = client.get(f"{PATH}?var=country:eq:DE&count=true&limit=1", headers=admin)
    page = as_documented(response, PATH, "get")
    assert [i["business_key"] for i in page["items"]] == ["A"]
    assert page["total"] == 2
    rest = client.get(f"{PATH}?var=country:eq:DE&limit=1&after={page['next_cursor']}", headers=admin).get_json()
    assert [i["business_key"] for i in rest["items"]] == ["C"]


def test_filter_by_start_time(client, admin, orders):
    # A started at 12:00, B at 13:00, C at 14:00, D at 15:00.
    assert _keys(client, admin, "started_after=2026-11-21T13:00:00Z&started_before=2026-11-21T15:00:00Z") == ["B", "C"]
    assert _keys(client, admin, "started_before=2026-11-21T14:00:00%2B01:00") == ["A"]  # 13:00 UTC, exclusive


def test_filter_by_end_time(client, admin, orders, clock):
    client.post(f"/api/v1/instances/{orders['B']}/cancel", json={}, headers=admin)  # at 16:00
    clock.advance(hours=1)  # 17:00
    client.post(f"/api/v1/instances/{orders['D']}/cancel", json={}, headers=admin)
    assert _keys(client, admin, "ended_after=2026-11-21T16:00:00Z") == ["B", "D"]
    assert _keys(client, admin, "ended_after=2026-11-21T16:30:00Z") == ["D"]
    assert _keys(client, admin, "ended_before=2026-11-21T17:00:00Z") == ["B"]


@pytest.mark.parametrize("query", [
    "var=amount", "var=amount:is:1", "var=:eq:1", "var=amount:gt:true", "var=amount:lt:null",
    "var=amount:eq:[1]", "var=amount:gt:NaN", 'var=a"b:eq:1', "started_after=yesterday", "ended_before=2026-13-01",
])
def test_bad_filter_is_422(client, admin, orders, query, as_documented):
    response = client.get(f"{PATH}?{query}", headers=admin)
    assert response.status_code == 422
    assert as_documented(response, PATH, "get")["code"] == "invalid_input"
