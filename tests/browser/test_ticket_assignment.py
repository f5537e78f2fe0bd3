"""The ticket page offers assign and delegate, with a user picker, to whoever the API allows."""

from __future__ import annotations

import pytest

from flowdesk.engine.access import identity

expect = pytest.importorskip("playwright.sync_api").expect




@pytest.fixture
def agents(make_user):
    return {name: make_user(name, "agent", "agents") for name in ("ann", "bob")}


@pytest.fixture
def lead(runtime, agents):
    _, key = identity.create_user(runtime, "lea", "agent", lead_of=["agents"])
    return key


@pytest.fixture
def ticket(deploy, start, agents):
    deploy("two_step.bpmn")
    return start("two_step", business_key="T-1")["open_tickets"][0]


def _assignee(page):
    return page.locator("#ticket-facts dt", has_text="Assignee").locator("xpath=following-sibling::dd[1]")


def test_a_lead_assigns_from_the_picker_and_the_page_shows_the_new_assignee(
        open_page, screens, client, admin, lead, ticket, log_in):
    page = open_page()
    log_in(page, lead, f"/ui/tickets/{ticket['id']}")
    expect(_assignee(page)).to_have_text("nobody yet")
    picker = page.get_by_label("Assign to")
    expect(picker.locator("option")).to_have_text(["choose a person", "ann", "bob", "lea"])
    picker.select_option("bob")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(_assignee(page)).to_have_text("bob")
    expect(page.locator("#status")).to_contain_text("You gave this ticket to bob.")
    screens.shoot(page, "assigned-by-lead")
    stored = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()
    assert (stored["assignee"], stored["status"]) == ("bob", "claimed")


def test_a_lead_delegates_a_held_ticket_and_the_holder_becomes_its_owner(
        open_page, client, agents, lead, ticket, log_in):
    assert client.post(f"/api/v1/tickets/{ticket['id']}/claim", headers=agents["ann"]).status_code == 200
    page = open_page()
    log_in(page, lead, f"/ui/tickets/{ticket['id']}")
    expect(_assignee(page)).to_have_text("ann")
    page.get_by_label("Give it to").select_option("bob")
    page.get_by_role("button", name="Delegate").click()
    expect(_assignee(page)).to_have_text("bob")
    owner = page.locator("#ticket-facts dt", has_text="Owner (delegated)").locator("xpath=following-sibling::dd[1]")
    expect(owner).to_have_text("ann")


def test_a_candidate_who_may_not_assign_is_not_offered_it(open_page, agents, ticket, log_in):
    page = open_page()
    log_in(page, agents["ann"], f"/ui/tickets/{ticket['id']}")
    expect(_assignee(page)).to_have_text("nobody yet")
    expect(page.get_by_role("button", name="Claim")).to_be_visible()
    expect(page.locator("#ticket-assign")).to_be_hidden()
    expect(page.get_by_role("button", name="Assign", exact=True)).to_have_count(0)
