"""The case a ticket is about: the fields its model names, and an approval's earlier decisions."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def documented(client):
    """``documented(name)`` -> the property names the OpenAPI document gives schema ``name``."""
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    return lambda name: set(schemas[name]["properties"])


@pytest.fixture
def people(make_user):
    return {"sue": make_user("sue", "agent", "support"), "max": make_user("max", "agent", "managers"),
            "dora": make_user("dora", "agent", "directors")}


CASE = {"customer": {"name": "Ada Ltd", "email": "ap@ada.example"}, "subject": "Laptops for the new office",
        "amount": 24000, "description": "Twelve laptops", "internal_note": "not for the panel"}


@pytest.fixture
def case_review(deploy, start):
    deploy("case_review.bpmn")
    return start("case_review", CASE, business_key="CASE-1")


def _ticket(client, headers, ticket_id):
    response = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_process_names_the_case_fields_in_its_order(client, case_review, people, documented):
    ticket = _ticket(client, people["sue"], case_review["open_tickets"][0]["id"])
    assert ticket["case"] == [
        {"name": "customer.name", "label": "Customer", "value": "Ada Ltd"},
        {"name": "subject", "label": "Subject", "value": "Laptops for the new office"},
        {"name": "amount", "label": "Amount (EUR)", "value": 24000},
    ]
    assert set(ticket["case"][0]) == documented("CaseField")
    assert "earlier_decisions" in documented("Ticket")


def test_a_task_property_overrides_the_process_one(client, case_review, people):
    triage = case_review["open_tickets"][0]["id"]
    completed = client.post(f"/api/v1/tickets/{triage}/complete", headers=people["sue"], json={"data": {}})
    [approval] = completed.get_json()["open_tickets"]
    ticket = _ticket(client, people["max"], approval["id"])
    assert [(f["label"], f["value"]) for f in ticket["case"]] == [
        ("Amount (EUR)", 24000), ("Description", "Twelve laptops"), ("Customer", "Ada Ltd")]
    assert ticket["earlier_decisions"] == []


def test_without_the_property_the_start_variables_are_shown_in_the_order_sent(client, admin, deploy, make_user):
    deploy("inbox.bpmn")
    # Sent as written (the test client's json= would sort the keys).
    body = json.dumps({"variables": {"priority": 3, "due": None, "requester": "Bo"}})
    started = client.post("/api/v1/processes/inbox_item/instances", data=body, headers=admin,
                          content_type="application/json")
    assert started.status_code == 201, started.get_json()
    ticket = _ticket(client, make_user("ann", "agent", "agents"), started.get_json()["open_tickets"][0]["id"])
    assert ticket["case"] == [{"name": "priority", "label": "Priority", "value": 3},
                              {"name": "due", "label": "Due", "value": None},
                              {"name": "requester", "label": "Requester", "value": "Bo"}]


def test_the_inbox_lists_each_tickets_case(client, case_review, people, documented):
    page = client.get("/api/v1/tickets", headers=people["sue"]).get_json()
    [item] = page["items"]
    assert [f["value"] for f in item["case"]] == ["Ada Ltd", "Laptops for the new office", 24000]
    assert "case" in documented("TicketSummary")


def test_an_approval_ticket_shows_the_earlier_decisions_with_their_comments(client, case_review, people, documented):
    triage = case_review["open_tickets"][0]["id"]
    [manager] = client.post(f"/api/v1/tickets/{triage}/complete", headers=people["sue"],
                            json={"data": {}}).get_json()["open_tickets"]
    approved = client.post(f"/api/v1/tickets/{manager['id']}/approve", headers=people["max"],
                           json={"comment": "Within the office budget"})
    [director] = approved.get_json()["open_tickets"]

    ticket = _ticket(client, people["dora"], director["id"])
    [decision] = ticket["earlier_decisions"]
    assert set(decision) == documented("CaseDecision")
    assert (decision["name"], decision["level"], decision["approver"], decision["decision"], decision["comment"]) == (
        "Manager approval", 1, "max", "approved", "Within the office budget")
    # The manager's own ticket lists no decision of its own as an earlier one.
    assert _ticket(client, people["max"], manager["id"])["earlier_decisions"] == []


def test_a_ticket_that_is_no_approval_lists_no_decisions(client, case_review, people):
    assert _ticket(client, people["sue"], case_review["open_tickets"][0]["id"])["earlier_decisions"] == []


def test_a_poll_with_the_current_etag_is_answered_304_without_a_body(client, case_review, people):
    ticket_id = case_review["open_tickets"][0]["id"]
    first = client.get(f"/api/v1/tickets/{ticket_id}", headers=people["sue"])
    etag = first.headers["ETag"]
    unchanged = client.get(f"/api/v1/tickets/{ticket_id}", headers={**people["sue"], "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b"" and unchanged.headers["ETag"] == etag
    assert client.post(f"/api/v1/tickets/{ticket_id}/claim", headers=people["sue"]).status_code == 200
    changed = client.get(f"/api/v1/tickets/{ticket_id}", headers={**people["sue"], "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["assignee"] == "sue"
