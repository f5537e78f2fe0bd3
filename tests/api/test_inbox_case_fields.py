"""The inbox searches and sorts by the case fields its tickets show (``caseFields``), across pages."""

from __future__ import annotations

import pytest

CASES = {
    "CASE-1": {"customer": {"name": "Ada Ltd"}, "subject": "Laptops", "amount": 24000, "internal_note": "secret"},
    "CASE-2": {"customer": {"name": "bolt & Co"}, "subject": "Chairs", "amount": 9},
    "CASE-3": {"customer": {"name": "Cyd"}, "subject": "Desks", "amount": 100},
    "CASE-4": {"customer": {"name": "adam"}, "subject": "Lamps", "amount": -3.5},
    "CASE-5": {"subject": "Paper"},  # no customer, no amount
}


@pytest.fixture
def sue(make_user):
    return make_user("sue", "agent", "support")


@pytest.fixture
def tickets(deploy, start):
    """One open ticket per case (case_review.bpmn shows customer.name, subject and amount): key -> id."""
    deploy("case_review.bpmn")
    return {key: start("case_review", case, business_key=key)["open_tickets"][0]["id"]
            for key, case in CASES.items()}


def _page(client, headers, query):
    response = client.get(f"/api/v1/tickets?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _keys(client, headers, query, tickets):
    names = {ticket_id: key for key, ticket_id in tickets.items()}
    return [names[t["id"]] for t in _page(client, headers, query)["items"]]


def _all_pages(client, headers, query, tickets, limit=2):
    names = {ticket_id: key for key, ticket_id in tickets.items()}
    keys, cursor = [], None
    while True:
        page = _page(client, headers, f"{query}&limit={limit}" + (f"&after={cursor}" if cursor else ""))
        keys += [names[t["id"]] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return keys


def test_q_finds_a_case_value_case_insensitively(client, admin, tickets):
    assert sorted(_keys(client, admin, "q=ADA", tickets)) == ["CASE-1", "CASE-4"]
    assert _keys(client, admin, "q=chairs", tickets) == ["CASE-2"]
    assert _keys(client, admin, "q=24000", tickets) == ["CASE-1"]


def test_q_treats_like_wildcards_as_text(client, admin, tickets):
    assert _keys(client, admin, "q=%26%20co", tickets) == ["CASE-2"]  # "& co"
    assert _keys(client, admin, "q=%25", tickets) == []  # "%"


def test_q_does_not_find_variables_the_case_does_not_show(client, admin, tickets):
    assert _keys(client, admin, "q=secret", tickets) == []


def test_q_still_finds_names_and_business_keys(client, admin, tickets):
    assert _keys(client, admin, "q=case-3", tickets) == ["CASE-3"]


def test_q_finds_case_values_in_a_group_inbox(client, sue, tickets):
    assert sorted(_keys(client, sue, "q=ada&candidate_group=support", tickets)) == ["CASE-1", "CASE-4"]


def test_sort_by_a_numeric_case_field_orders_by_value_with_missing_values_last(client, admin, tickets):
    assert _keys(client, admin, "sort=case.amount", tickets) == ["CASE-4", "CASE-2", "CASE-3", "CASE-1", "CASE-5"]
    assert _keys(client, admin, "sort=-case.amount", tickets) == ["CASE-1", "CASE-3", "CASE-2", "CASE-4", "CASE-5"]


def test_sort_by_a_text_case_field_ignores_letter_case(client, admin, tickets):
    assert _keys(client, admin, "sort=case.customer.name", tickets) == [
        "CASE-1", "CASE-4", "CASE-2", "CASE-3", "CASE-5"]


@pytest.mark.parametrize("sort", ["case.amount", "-case.amount", "case.customer.name", "-case.subject"])
def test_cursor_pages_of_a_case_sort_are_the_whole_list_in_order(client, admin, sue, tickets, sort):
    everything = _keys(client, admin, f"sort={sort}&limit=100", tickets)
    assert len(everything) == len(CASES)
    assert _all_pages(client, admin, f"sort={sort}", tickets) == everything
    assert _all_pages(client, sue, f"sort={sort}", tickets) == everything  # an agent's whole inbox
    assert _all_pages(client, sue, f"sort={sort}&candidate_group=support&status=open", tickets) == everything


def test_a_cursor_of_a_case_sort_is_refused_for_another_field(client, admin, tickets):
    cursor = _page(client, admin, "sort=case.amount&limit=1")["next_cursor"]
    response = client.get(f"/api/v1/tickets?sort=case.subject&after={cursor}", headers=admin)
    assert response.status_code == 422 and "after" in response.get_json()["errors"]


@pytest.mark.parametrize("sort", ["case.", "case.1st", "case.a..b", "case", "-", "name"])
def test_a_sort_that_is_no_key_or_case_field_is_422(client, admin, sort):
    response = client.get(f"/api/v1/tickets?sort={sort}", headers=admin)
    assert response.status_code == 422 and "sort" in response.get_json()["errors"]


def test_the_case_sort_is_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    [parameter] = [p for p in spec["paths"]["/api/v1/tickets"]["get"]["parameters"] if p["name"] == "sort"]
    assert "case.<field>" in parameter["description"]
    assert parameter["schema"]["pattern"].startswith("^-?(created|due|priority|case")
