"""The ticket page shows the case: the fields the model names, and an approval's earlier decisions."""

from __future__ import annotations

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

CASE = {"customer": {"name": "Ada Ltd"}, "subject": "Laptops for the new office", "amount": 24000,
        "description": "Twelve laptops", "internal_note": "not for the panel"}




@pytest.fixture
def case_review(deploy, start):
    deploy("case_review.bpmn")
    return start("case_review", CASE, business_key="CASE-1")


def test_the_ticket_shows_the_case_fields_the_model_names(open_page, screens, case_review, make_user, log_in):
    sue = make_user("sue", "agent", "support")
    page = open_page()
    log_in(page, sue, f"/ui/tickets/{case_review['open_tickets'][0]['id']}")
    case = page.locator("#case")
    expect(case.locator("dt")).to_have_text(["Customer", "Subject", "Amount (EUR)"])
    expect(case.locator("dd")).to_have_text(["Ada Ltd", "Laptops for the new office", "24000"])
    expect(case).not_to_contain_text("not for the panel")
    expect(page.locator("#earlier-decisions")).to_be_hidden()
    screens.shoot(page, "case-panel")


def test_an_approver_sees_the_amount_and_the_earlier_decisions(open_page, screens, client, case_review, make_user,
                                                               log_in):
    sue, max_, dora = (make_user("sue", "agent", "support"), make_user("max", "agent", "managers"),
                       make_user("dora", "agent", "directors"))
    [manager] = client.post(f"/api/v1/tickets/{case_review['open_tickets'][0]['id']}/complete", headers=sue,
                            json={"data": {}}).get_json()["open_tickets"]
    [director] = client.post(f"/api/v1/tickets/{manager['id']}/approve", headers=max_,
                             json={"comment": "Within the office budget"}).get_json()["open_tickets"]

    page = open_page()
    log_in(page, dora, f"/ui/tickets/{director['id']}")
    expect(page.locator("#case dd[data-field=amount]")).to_have_text("24000")
    expect(page.locator("#case dd[data-field=description]")).to_have_text("Twelve laptops")
    decisions = page.locator("#decisions li")
    expect(decisions).to_have_count(1)
    expect(decisions).to_contain_text("Level 1 Manager approval: approved")
    expect(decisions).to_contain_text("max")
    expect(decisions.locator(".decision-comment")).to_have_text("Within the office budget")
    screens.shoot(page, "approval-with-earlier-decisions")


def test_the_first_approval_level_says_nothing_was_decided_before(open_page, client, case_review, make_user, log_in):
    sue, max_ = make_user("sue", "agent", "support"), make_user("max", "agent", "managers")
    [manager] = client.post(f"/api/v1/tickets/{case_review['open_tickets'][0]['id']}/complete", headers=sue,
                            json={"data": {}}).get_json()["open_tickets"]
    page = open_page()
    log_in(page, max_, f"/ui/tickets/{manager['id']}")
    expect(page.locator("#decisions li")).to_have_text("No earlier decisions: this is the first level decided.")
    expect(page.locator("#case dt").first).to_have_text("Amount (EUR)")


def test_without_case_fields_the_start_variables_are_shown(open_page, deploy, start, make_user, log_in):
    deploy("inbox.bpmn")
    ticket = start("inbox_item", {"priority": 2, "due": None})["open_tickets"][0]["id"]
    page = open_page()
    log_in(page, make_user("ann", "agent", "agents"), f"/ui/tickets/{ticket}")
    expect(page.locator("#case dd[data-field=priority]")).to_have_text("2")
    expect(page.locator("#case dd[data-field=due]")).to_have_text("—")


def test_an_approver_of_a_lower_level_is_not_offered_approve(open_page, client, case_review, make_user, log_in):
    sue, both = make_user("sue", "agent", "support"), make_user("mo", "agent", "managers", "directors")
    [manager] = client.post(f"/api/v1/tickets/{case_review['open_tickets'][0]['id']}/complete", headers=sue,
                            json={"data": {}}).get_json()["open_tickets"]
    [director] = client.post(f"/api/v1/tickets/{manager['id']}/approve", headers=both,
                             json={"comment": "Fine by me"}).get_json()["open_tickets"]
    page = open_page()
    log_in(page, both, f"/ui/tickets/{director['id']}")
    expect(page.locator("#four-eyes")).to_contain_text("four eyes")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    # The API agrees: four eyes refuse it.
    assert client.post(f"/api/v1/tickets/{director['id']}/approve", headers=both, json={}).status_code == 409


def test_an_approval_is_not_offered_to_wait_for_the_customer(open_page, client, case_review, make_user, log_in):
    sue, max_ = make_user("sue", "agent", "support"), make_user("max", "agent", "managers")
    [manager] = client.post(f"/api/v1/tickets/{case_review['open_tickets'][0]['id']}/complete", headers=sue,
                            json={"data": {}}).get_json()["open_tickets"]
    page = open_page()
    log_in(page, max_, f"/ui/tickets/{manager['id']}")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    expect(page.get_by_role("button", name="Claim")).to_be_visible()
    expect(page.get_by_role("button", name="Wait for the customer")).to_have_count(0)
