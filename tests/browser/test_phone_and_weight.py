"""On a phone every inbox value says what it is and the SLA leads the ticket; the inbox stays light."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

# The inbox with its scripts, styles and first page of tickets, as sent (gzip): well under the
# 58 KB it weighed uncompressed before case columns and live refresh.
INBOX_BUDGET_BYTES = 40_000




@pytest.fixture
def item(deploy, start):
    deploy("case_review.bpmn")
    return start("case_review", {"customer": {"name": "Ada Ltd"}, "subject": "Laptops", "amount": 900},
                 business_key="C-1")["open_tickets"][0]["id"]


def test_on_a_phone_inbox_values_carry_their_labels(open_page, screens, item, make_user, log_in):
    page = open_page(width=390)
    log_in(page, make_user("sue", "agent", "support"))
    row = page.locator("#inbox-table tbody tr")
    expect(row).to_have_count(1)
    subject = row.locator('td[data-case="subject"]')
    expect(subject).to_have_attribute("data-label", "Subject")
    before = subject.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert before == '"Subject: "'
    screens.shoot(page, "phone-inbox-labels")


def test_on_a_phone_the_sla_comes_first_on_a_ticket(open_page, screens, deploy, start, make_user, log_in):
    deploy("inbox.bpmn")
    due = (datetime.now(timezone.utc) + timedelta(hours=4)).isoformat()
    ticket = start("inbox_item", {"priority": 1, "due": due})["open_tickets"][0]["id"]
    page = open_page(width=390)
    log_in(page, make_user("ann", "agent", "agents"), f"/ui/tickets/{ticket}")
    expect(page.locator("#sla")).to_contain_text("left")
    sla, facts = page.locator("#sla-card").bounding_box(), page.locator("#ticket-facts").bounding_box()
    assert sla["y"] < facts["y"]
    screens.shoot(page, "phone-ticket-sla-first")


def test_the_inbox_is_light(open_page, item, make_user):
    page = open_page()
    # Logged in before the first page: the inbox is the first thing this tab loads (a cold cache).
    sue = make_user("sue", "agent", "support")["Authorization"].removeprefix("Bearer ")
    page.add_init_script(f"sessionStorage.setItem('flowdesk.apiKey', {sue!r})")
    page.goto("/ui/inbox")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    sent = page.evaluate("""() => [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")]
        .reduce((sum, entry) => sum + entry.encodedBodySize, 0)""")
    print(f"the inbox sent {sent} bytes")
    assert 10_000 < sent < INBOX_BUDGET_BYTES, sent  # the scripts and styles were sent, compressed
