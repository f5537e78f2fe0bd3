"""Page states: not found, one request per click, conflicts in words, live refresh."""

from __future__ import annotations

import pytest

expect = pytest.importorskip("playwright.sync_api").expect




@pytest.fixture
def ticket(deploy, start):
    deploy("inbox.bpmn")
    return start("inbox_item", {"priority": 1, "due": None}, business_key="ITEM-1")["open_tickets"][0]["id"]


def test_an_unknown_ui_page_is_an_html_404(open_page, server, client):
    page = open_page()
    response = page.goto("/ui/no-such-page")
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the inbox")).to_be_visible()
    # The API keeps answering problem+json.
    assert client.get("/api/v1/no-such-thing").mimetype == "application/problem+json"


def test_a_ticket_that_does_not_exist_shows_no_forms(open_page, screens, make_key, log_in):
    page = open_page()
    log_in(page, make_key("ann", "agent", "agents"), "/ui/tickets/does-not-exist")
    expect(page.get_by_role("heading", name="Ticket not found")).to_be_visible()
    expect(page.locator("form, textarea, input")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to the list")).to_be_visible()
    screens.shoot(page, "ticket-not-found")


def test_a_double_click_completes_once(open_page, client, ticket, make_user, log_in):
    ann = make_user("ann", "agent", "agents")
    assert client.post(f"/api/v1/tickets/{ticket}/claim", headers=ann).status_code == 200
    page = open_page()
    completions = []
    page.on("request", lambda request: completions.append(request.url) if request.url.endswith("/complete") else None)
    log_in(page, ann, f"/ui/tickets/{ticket}")
    page.get_by_role("button", name="Complete").dblclick()
    expect(page.locator("#status")).to_contain_text("Completed")
    expect(page.locator("#status")).to_be_focused()
    expect(page.locator("#alert")).to_be_hidden()
    assert len(completions) == 1


def test_a_claim_beaten_by_a_colleague_says_who_has_it(open_page, client, ticket, make_user, log_in):
    ann, bob = make_user("ann", "agent", "agents"), make_user("bob", "agent", "agents")
    page = open_page()
    log_in(page, ann, f"/ui/tickets/{ticket}")
    expect(page.get_by_role("button", name="Claim")).to_be_visible()
    assert client.post(f"/api/v1/tickets/{ticket}/claim", headers=bob).status_code == 200
    page.get_by_role("button", name="Claim").click()
    alert = page.locator("#alert")
    expect(alert).to_contain_text("Someone else got there first")
    expect(alert).to_contain_text("bob has claimed it")
    expect(page.locator("#ticket-facts")).to_contain_text("bob")
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)


def test_the_open_ticket_refreshes_itself(open_page, client, ticket, make_user, log_in):
    ann, bob = make_user("ann", "agent", "agents"), make_user("bob", "agent", "agents")
    page = open_page()
    log_in(page, ann, f"/ui/tickets/{ticket}")
    expect(page.locator("#ticket-facts")).to_contain_text("nobody yet")
    assert client.post(f"/api/v1/tickets/{ticket}/claim", headers=bob).status_code == 200
    expect(page.locator("#ticket-facts")).to_contain_text("bob", timeout=25000)  # polled every 15 s
    expect(page.locator("#status")).to_contain_text("updated")
