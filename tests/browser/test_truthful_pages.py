"""The UI shows what is true: preset filters, finished tickets, form order, incidents, approvals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

expect = pytest.importorskip("playwright.sync_api").expect




@pytest.fixture
def inbox_items(deploy, start):
    """``inbox_items(n)`` -> n started inbox items, each with one open ticket for the group agents."""
    deploy("inbox.bpmn")
    due = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    return lambda count: [start("inbox_item", {"priority": n, "due": due}, business_key=f"ITEM-{n:02d}")
                          for n in range(count)]


def test_presets_keep_their_status_filter(open_page, client, inbox_items, make_user, log_in):
    items = inbox_items(4)
    ann = make_user("ann", "agent", "agents")
    first, second, third = (item["open_tickets"][0]["id"] for item in items[:3])
    for ticket in (first, second, third):
        assert client.post(f"/api/v1/tickets/{ticket}/claim", headers=ann).status_code == 200
    assert client.post(f"/api/v1/tickets/{first}/complete", headers=ann, json={"data": {}}).status_code == 200

    page = open_page()
    log_in(page, ann)
    page.locator('[data-preset="open"]').click()
    expect(page.locator('[data-preset="open"] .count')).to_have_text("1")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-total")).to_contain_text("1 ticket ·")
    page.locator('[data-preset="group-agents"]').click()
    expect(page.locator('[data-preset="group-agents"] .count')).to_have_text("1")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    page.locator('[data-preset="mine"]').click()
    expect(page.locator('[data-preset="mine"] .count')).to_have_text("2")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(2)
    expect(page.locator("#inbox-table tbody")).not_to_contain_text("completed")
    page.locator('[data-preset="all"]').click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(4)


def test_a_chosen_status_narrows_the_preset(open_page, client, inbox_items, make_user, log_in):
    items = inbox_items(2)
    ann = make_user("ann", "agent", "agents")
    assert client.post(f"/api/v1/tickets/{items[0]['open_tickets'][0]['id']}/claim", headers=ann).status_code == 200
    page = open_page()
    log_in(page, ann)
    page.locator('[data-preset="all"]').click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(2)
    page.get_by_label("Status").select_option("claimed")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-table tbody")).to_contain_text("ITEM-00")


def test_a_completed_ticket_shows_what_was_submitted_and_by_whom(open_page, client, deploy, start, make_user,
                                                                 log_in):
    deploy("triage_form.bpmn")
    ticket = start("triage_form", {"category": "billing"})["open_tickets"][0]["id"]
    sue = make_user("sue", "agent", "support")
    assert client.post(f"/api/v1/tickets/{ticket}/claim", headers=sue).status_code == 200
    completed = client.post(f"/api/v1/tickets/{ticket}/complete", headers=sue,
                            json={"data": {"subject": "Crash on save", "category": "defect", "amount": 3}})
    assert completed.status_code == 200, completed.get_json()

    page = open_page()
    log_in(page, sue, f"/ui/tickets/{ticket}")
    submitted = page.locator("#ticket-result")
    expect(submitted).to_contain_text("Category")
    for value in ("Crash on save", "defect", "3"):
        expect(submitted.locator("dd", has_text=value)).to_have_count(1)
    expect(submitted).not_to_contain_text("billing")
    expect(page.locator("#form-fields")).to_contain_text("Completed by sue")
    expect(page.locator("#form-fields input, #form-fields select, #form-fields textarea")).to_have_count(0)
    expect(page.get_by_role("button", name="Complete")).to_have_count(0)


@pytest.mark.parametrize("due_in, state", [(timedelta(hours=-1), "breached"), (timedelta(days=3), "ok")])
def test_a_finished_ticket_counts_no_time_left(open_page, client, deploy, start, make_user, log_in, due_in, state):
    deploy("inbox.bpmn")
    due = (datetime.now(timezone.utc) + due_in).isoformat()
    ticket = start("inbox_item", {"priority": 1, "due": due})["open_tickets"][0]["id"]
    ann = make_user("ann", "agent", "agents")
    assert client.post(f"/api/v1/tickets/{ticket}/claim", headers=ann).status_code == 200
    assert client.post(f"/api/v1/tickets/{ticket}/complete", headers=ann, json={"data": {}}).status_code == 200

    page = open_page()
    log_in(page, ann, f"/ui/tickets/{ticket}")
    sla = page.locator("#sla")
    expect(sla).to_contain_text(state)
    expect(sla.locator(".remaining")).to_contain_text("the ticket is completed")
    expect(sla).not_to_contain_text(" left")
    expect(sla).not_to_contain_text("overdue")


def test_form_fields_keep_the_modelers_order_and_a_required_choice_starts_unchosen(open_page, client, deploy, start,
                                                                                   make_user, log_in):
    deploy("triage_form.bpmn")
    ticket = start("triage_form", {})["open_tickets"][0]["id"]
    sue = make_user("sue", "agent", "support")
    assert client.get(f"/api/v1/tickets/{ticket}", headers=sue).get_json()["form_fields"] == [
        "subject", "category", "amount"]

    page = open_page()
    log_in(page, sue, f"/ui/tickets/{ticket}")
    expect(page.locator("#form-fields label")).to_have_text(["Subject *", "Category *", "Amount"])
    category = page.get_by_label("Category")
    expect(category).to_have_value("")
    page.get_by_label("Subject").fill("Crash on save")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#field-category-error")).to_contain_text("required")
    expect(page.locator("#ticket-facts")).to_contain_text("open")

    category.select_option(label="defect")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#status")).to_contain_text("Completed")
    result = client.get(f"/api/v1/tickets/{ticket}", headers=sue).get_json()["result"]
    assert result == {"subject": "Crash on save", "category": "defect"}


@pytest.fixture
def stuck_instance(client, deploy, start, make_user):
    """A card payment whose charge failed for good: an open incident at ``charge``; and one still fine."""
    deploy("card_payment.bpmn")
    instance = start("card_payment", {"amount": 120}, business_key="STUCK")
    worker = make_user("payments", "system")
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "max_tasks": 1, "topics": [{"topic_name": "payments", "lock_duration": 60000}]}).get_json()
    failed = client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                         json={"worker_id": "w1", "error_message": "card expired", "retries": 0})
    assert failed.status_code in (200, 204), failed.get_json()
    start("card_payment", {"amount": 5}, business_key="FINE")
    return instance


def test_instances_with_an_incident_are_found_and_marked(open_page, stuck_instance, admin, log_in):
    page = open_page()
    log_in(page, admin, "/ui/instances")
    rows = page.locator("#instances-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="STUCK").locator(".badge-incident")).to_have_count(2)  # status and count
    expect(rows.filter(has_text="FINE").locator(".badge-incident")).to_have_count(0)
    page.get_by_label("Status").select_option(label="with an open incident")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("STUCK")


def test_the_incident_badge_on_the_diagram_is_red(open_page, stuck_instance, admin, log_in):
    page = open_page()
    log_in(page, admin, f"/ui/instances/{stuck_instance['id']}")
    expect(page.locator("#instance-facts")).to_contain_text("incident")
    note = page.locator("#diagram .fd-badge")
    expect(note).to_have_text("incident")
    expect(note).to_have_css("background-color", "rgb(198, 40, 40)")


def test_the_approvals_card_names_levels_and_shows_the_pending_one(open_page, client, deploy, start, make_user,
                                                                  admin, log_in):
    deploy("purchase_approval.bpmn")
    instance = start("purchase_approval", {})
    submitted = client.post(f"/api/v1/tickets/{instance['open_tickets'][0]['id']}/complete", headers=admin,
                            json={"data": {"amount": 25000, "description": "Laptops"}}).get_json()
    [manager_ticket] = submitted["open_tickets"]
    approved = client.post(f"/api/v1/tickets/{manager_ticket['id']}/approve", headers=make_user("max", "agent", "managers"),
                           json={"comment": "Within budget"})
    assert approved.status_code == 200, approved.get_json()

    page = open_page()
    log_in(page, admin, f"/ui/instances/{instance['id']}")
    levels = page.locator("#approvals li")
    expect(levels.nth(0)).to_contain_text("Level 1 Manager approval")
    expect(levels.nth(0)).to_contain_text("Within budget")
    expect(levels.nth(1)).to_contain_text("Level 2 Director approval")
    expect(levels.nth(1)).to_contain_text("pending")
    expect(levels.nth(1)).to_contain_text("group directors")
    expect(levels.nth(2)).to_contain_text("ahead")  # the CFO, should the director send it on
    expect(levels).to_have_count(3)
    expect(page.locator("#approvals")).not_to_contain_text("manager_approval")
