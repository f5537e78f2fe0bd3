"""The inbox shows each ticket's case in columns from the model, sorts by its headers, keeps its
filters in the address and picks processes from a list; SLA views leave finished tickets out."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

expect = pytest.importorskip("playwright.sync_api").expect




@pytest.fixture
def cases(deploy, start):
    """Two case reviews for group support and one inbox item (another process) for group agents."""
    deploy("case_review.bpmn", "inbox.bpmn")
    start("case_review", {"customer": {"name": "Ada Ltd"}, "subject": "Laptops", "amount": 24000}, business_key="C-1")
    start("case_review", {"customer": {"name": "Bo & Co"}, "subject": "Chairs", "amount": 900}, business_key="C-2")
    start("inbox_item", {"priority": 5, "due": None}, business_key="ITEM-1")


@pytest.fixture
def sue(make_user):
    return make_user("sue", "agent", "support", "agents")


def test_case_fields_are_columns_and_the_age_is_shown(open_page, screens, cases, sue, log_in):
    page = open_page()
    log_in(page, sue)
    page.locator('[data-preset="all"]').click()
    headers = page.locator("#inbox-columns th")
    # Four case columns at most: the case reviews' three, then the inbox item's first start variable.
    expect(headers).to_contain_text(["Ticket", "Process", "Customer", "Subject", "Amount (EUR)", "Due",
                                     "Status", "Assignee", "SLA", "Created", "Priority"])
    row = page.locator("#inbox-table tbody tr", has_text="C-2")
    expect(row.locator('td[data-case="customer.name"]')).to_have_text("Bo & Co")
    expect(row.locator('td[data-case="subject"]')).to_have_text("Chairs")
    expect(row.locator('td[data-case="amount"]')).to_have_text("900")
    expect(row).to_contain_text("just now")
    # The inbox item's own case (its start variables) has no subject: a dash, not a blank.
    item = page.locator("#inbox-table tbody tr", has_text="ITEM-1")
    expect(item.locator('td[data-case="subject"]')).to_have_text("—")
    screens.shoot(page, "inbox-with-case-columns")


def test_a_header_sorts_and_says_so(open_page, cases, sue, log_in):
    page = open_page()
    log_in(page, sue)
    page.locator('[data-preset="all"]').click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(3)
    created = page.locator('#inbox-columns th:has(button[data-sort="created"])')
    expect(created).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#inbox-table tbody tr").first).to_contain_text("C-1")
    created.get_by_role("button").click()
    expect(created).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#inbox-table tbody tr").first).to_contain_text("ITEM-1")
    expect(page).to_have_url(re.compile(r"sort=-created"))
    priority = page.locator('#inbox-columns th:has(button[data-sort="priority"])')
    priority.get_by_role("button").click()
    expect(priority).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#f-sort")).to_have_value("-priority")
    expect(page.locator("#inbox-table tbody tr").first).to_contain_text("ITEM-1")  # the only one with a priority


def test_filters_stay_in_the_address_through_a_reload(open_page, cases, sue, log_in):
    page = open_page()
    log_in(page, sue)
    page.locator('[data-preset="all"]').click()
    page.get_by_label("Process").select_option(label="Case review (case_review)")
    page.get_by_label("Search").fill("C-2")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"view=all.*process_key=case_review|process_key=case_review.*view=all"))

    page.reload()
    expect(page.locator('[data-preset="all"]')).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Process")).to_have_value("case_review")
    expect(page.get_by_label("Search")).to_have_value("C-2")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-table tbody tr")).to_contain_text("Chairs")


def test_a_shared_link_opens_the_same_list_in_a_new_tab(open_page, cases, sue, log_in):
    page = open_page()
    log_in(page, sue, "/ui/inbox?view=open&process_key=inbox_item")
    expect(page.locator('[data-preset="open"]')).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Process")).to_have_value("inbox_item")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-table tbody tr")).to_contain_text("ITEM-1")


@pytest.mark.parametrize("preset, due_in", [("breached", timedelta(hours=-1)), ("at-risk", None)])
def test_sla_presets_leave_completed_tickets_out(open_page, client, deploy, start, runtime, make_user, log_in,
                                                 preset, due_in):
    deploy("inbox.bpmn")
    now = datetime.now(timezone.utc)
    if due_in is None:  # at risk: three quarters of an hour used of one hour
        runtime.clock = lambda: now - timedelta(minutes=45)
        due_in = timedelta(minutes=15)
    due = (now + due_in).isoformat()
    done, open_ = (start("inbox_item", {"priority": 1, "due": due}, business_key=key)["open_tickets"][0]["id"]
                   for key in ("DONE", "OPEN"))
    runtime.clock = lambda: datetime.now(timezone.utc)
    ann = make_user("ann", "agent", "agents")
    assert client.post(f"/api/v1/tickets/{done}/claim", headers=ann).status_code == 200
    assert client.post(f"/api/v1/tickets/{done}/complete", headers=ann, json={"data": {}}).status_code == 200

    page = open_page()
    log_in(page, ann)
    page.locator(f'[data-preset="{preset}"]').click()
    expect(page.locator(f'[data-preset="{preset}"] .count')).to_have_text("1")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-table tbody")).to_contain_text("OPEN")
    expect(page.locator("#inbox-table tbody")).not_to_contain_text("DONE")


def test_a_case_header_sorts_every_page_on_the_server(open_page, deploy, start, sue, log_in):
    """26 tickets, one more than a page: the smallest amount is the newest, on page 2 by creation."""
    deploy("case_review.bpmn")
    for n in range(26):
        amount = 1 if n == 25 else 1000 + n
        start("case_review", {"customer": {"name": f"Customer {n}"}, "subject": "Desks", "amount": amount},
              business_key=f"C-{n}")
    page = open_page()
    log_in(page, sue, "/ui/inbox?view=all")
    rows = page.locator("#inbox-table tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.filter(has_text="C-25")).to_have_count(0)
    amount = page.locator('#inbox-columns th[data-case="amount"]')
    amount.get_by_role("button").click()
    expect(amount).to_have_attribute("aria-sort", "ascending")
    expect(page).to_have_url(re.compile(r"sort=case\.amount"))
    expect(rows.first).to_contain_text("C-25")
    expect(rows.first.locator('td[data-case="amount"]')).to_have_text("1")
    amount.get_by_role("button").click()
    expect(amount).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_contain_text("C-24")
    page.get_by_role("button", name="Next page").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("C-25")


def test_search_finds_a_case_value(open_page, cases, sue, log_in):
    page = open_page()
    log_in(page, sue, "/ui/inbox?view=all")
    page.get_by_label("Search").fill("bo & co")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-table tbody tr")).to_contain_text("C-2")
