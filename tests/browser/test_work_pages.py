"""The UI's pages one behaviour at a time: login, refused uploads, the inbox, a ticket's discussion,
incidents and cancelling, phone widths."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

DATA = Path(__file__).parents[1] / "data"




def test_a_wrong_key_is_refused_at_login(open_page):
    page = open_page()
    page.goto("/ui/login")
    page.get_by_label("API key or access token").fill("fd_not_a_key")
    page.keyboard.press("Enter")
    expect(page.locator("#alert")).to_contain_text("That key is not valid")
    expect(page.get_by_label("API key or access token")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/ui/login"))


def test_logging_out_forgets_the_key(open_page, admin, log_in):
    page = open_page()
    log_in(page, admin)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.goto("/ui/inbox")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Fui%2Finbox$"))


def test_a_refused_upload_names_the_file_and_the_element(open_page, screens, admin, client, log_in):
    page = open_page(expected_console_error=r"^failed to import")  # bpmn-js reports the broken flow too
    log_in(page, admin, "/ui/definitions")
    page.get_by_label("choose files").set_input_files(str(DATA / "invalid_missing_ref.bpmn"))
    expect(page.locator("#upload-chosen")).to_contain_text("invalid_missing_ref.bpmn")
    page.get_by_role("button", name="Deploy").focus()
    page.keyboard.press("Enter")
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Not deployed")
    expect(result).to_contain_text("invalid_missing_ref.bpmn")
    expect(result.locator("code")).to_have_text("flow_work_to_nowhere")
    expect(page.locator("#alert")).to_be_visible()
    screens.shoot(page, "definitions-refused")
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_versions_of_a_definition_are_listed_and_drawn(open_page, admin, deploy, log_in):
    deploy("simple_user_task.bpmn")
    deploy("two_step.bpmn")
    page = open_page()
    log_in(page, admin, "/ui/definitions")
    page.get_by_role("button", name="Simple user task").click()
    expect(page.get_by_label("Version")).to_have_value("1")
    expect(page.locator('#diagram [data-element-id="approve"]')).to_be_visible()


def _inbox_items(start, count, due):
    return [start("inbox_item", {"priority": n, "due": due.isoformat()}, business_key=f"ITEM-{n:02d}")
            for n in range(count)]


def test_inbox_counts_pages_and_claims_by_keyboard(open_page, screens, deploy, start, make_key, log_in):
    deploy("inbox.bpmn")
    _inbox_items(start, 27, datetime.now(timezone.utc) - timedelta(hours=1))
    agent = make_key("ann", "agent", "agents")
    page = open_page()
    log_in(page, agent)
    expect(page.locator('[data-preset="open"] .count')).to_have_text("27")
    expect(page.locator('[data-preset="breached"] .count')).to_have_text("27")
    expect(page.locator('[data-preset="mine"] .count')).to_have_text("0")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(25)
    expect(page.locator("#inbox-total")).to_contain_text("27 tickets · page 1")
    screens.shoot(page, "inbox")

    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Previous page").click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(25)

    page.get_by_label("Search").fill("ITEM-07")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    claim = page.get_by_role("button", name="Claim Work item")
    claim.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("You claimed")
    expect(page.locator('[data-preset="mine"] .count')).to_have_text("1")
    expect(page.locator("#inbox-table tbody")).to_contain_text("No tickets match")  # claimed: no longer open
    page.locator('[data-preset="mine"]').click()
    expect(page.locator("#inbox-table tbody")).to_contain_text("ann")


def test_comments_and_attachments_on_a_ticket(open_page, screens, deploy, start, make_key, tmp_path, log_in):
    deploy("inbox.bpmn")
    [item] = _inbox_items(start, 1, datetime.now(timezone.utc) + timedelta(days=3))
    agent = make_key("ann", "agent", "agents")
    page = open_page()
    log_in(page, agent, f"/ui/tickets/{item['open_tickets'][0]['id']}")
    expect(page.locator("#diagram")).to_contain_text("No diagram to show")  # inbox.bpmn has no DI

    page.get_by_label("New comment").fill("Called the customer, waiting for the invoice")
    page.get_by_label("Public (the requester may see it); otherwise internal").check()
    page.get_by_role("button", name="Add comment").click()
    comment = page.locator("#comments li", has_text="Called the customer")
    expect(comment).to_contain_text("public")
    expect(comment).to_contain_text("ann")

    upload = tmp_path / "invoice.pdf"
    upload.write_bytes(b"%PDF-1.4\n% flowdesk test\n")
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#attachments")).to_contain_text("invoice.pdf")
    expect(page.locator("#attachments")).to_contain_text("application/pdf")
    expect(page.locator("#attachments li", has_text="invoice.pdf")).to_contain_text("internal")
    expect(page.locator("#timeline")).to_contain_text("attachment added")
    guide = tmp_path / "guide.txt"
    guide.write_bytes(b"how to find the invoice number")
    page.get_by_label("File", exact=True).set_input_files(str(guide))
    page.get_by_label("Public file (the requester may see it); otherwise internal").check()
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#attachments li", has_text="guide.txt")).to_contain_text("public")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download invoice.pdf").click()
    assert download.value.suggested_filename == "invoice.pdf"
    assert Path(download.value.path()).read_bytes() == upload.read_bytes()
    screens.shoot(page, "ticket-discussion")


def test_waiting_for_the_customer_and_resuming(open_page, deploy, start, make_key, log_in):
    deploy("inbox.bpmn")
    [item] = _inbox_items(start, 1, datetime.now(timezone.utc) + timedelta(days=3))
    page = open_page()
    log_in(page, make_key("ann", "agent", "agents"), f"/ui/tickets/{item['open_tickets'][0]['id']}")
    page.get_by_role("button", name="Wait for the customer").click()
    expect(page.locator("#ticket-facts")).to_contain_text("waiting")
    expect(page.locator("#sla")).to_contain_text("paused")
    expect(page.get_by_role("button", name="Complete")).to_have_count(0)
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#ticket-facts")).to_contain_text("open")
    expect(page.locator("#timeline")).to_contain_text("resumed")


def test_the_form_is_prefilled_and_its_errors_shown_beside_the_field(open_page, deploy, start, make_key, log_in):
    deploy("purchase_approval.bpmn")
    instance = start("purchase_approval", {"amount": 12})
    page = open_page()
    log_in(page, make_key("rita", "agent", "requesters"), f"/ui/tickets/{instance['open_tickets'][0]['id']}")
    expect(page.get_by_label("Amount")).to_have_value("12")
    expect(page.get_by_label("Description")).to_have_value("")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#field-description-error")).to_contain_text("required")
    expect(page.get_by_label("Description")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#ticket-facts")).to_contain_text("open")


def _fetch_and_lock(client, worker):
    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "max_tasks": 1, "topics": [{"topic_name": "payments", "lock_duration": 60000}]})
    return response.get_json()


def test_a_rejection_needs_a_comment_and_ends_the_request(open_page, client, deploy, start, make_key, admin, log_in):
    deploy("purchase_approval.bpmn")
    instance = start("purchase_approval", {})
    submitted = client.post(f"/api/v1/tickets/{instance['open_tickets'][0]['id']}/complete", headers=admin,
                            json={"data": {"amount": 500, "description": "Chairs"}}).get_json()
    [approval] = submitted["open_tickets"]
    page = open_page()
    log_in(page, make_key("max", "agent", "managers"), f"/ui/tickets/{approval['id']}")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator("#alert")).to_contain_text("Say why in the comment")
    expect(page.get_by_label("Comment", exact=True)).to_be_focused()
    page.get_by_label("Comment", exact=True).fill("Not in this year's budget")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator("#status")).to_contain_text("Rejected. The instance is completed")
    expect(page.locator("#timeline")).to_contain_text("rejected")
    variables = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["variables"]
    assert variables["manager_approval_decision"] == "rejected"


def test_an_incident_is_marked_on_the_diagram_and_retried(open_page, screens, client, deploy, start, make_user,
                                                          admin, log_in):
    deploy("card_payment.bpmn")
    instance = start("card_payment", {"amount": 120})
    worker = make_user("payments", "system")
    [task] = _fetch_and_lock(client, worker)
    client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                json={"worker_id": "w1", "error_message": "card expired", "retries": 0})

    page = open_page()
    log_in(page, admin, f"/ui/instances/{instance['id']}")
    incidents = page.locator("#incidents")
    expect(incidents).to_contain_text("card expired")
    expect(page.locator('#diagram .djs-element.fd-incident[data-element-id="charge"]')).to_have_count(1)
    expect(page.locator('#diagram .djs-element.fd-completed[data-element-id="payment_due"]')).to_have_count(1)
    expect(page.locator("#diagram .fd-badge")).to_have_text("incident")
    screens.shoot(page, "instance-incident")

    incidents.get_by_role("button", name="Retry").click()
    expect(page.locator("#status")).to_contain_text("retried")
    expect(incidents).to_contain_text("None.")
    expect(page.locator("#diagram .djs-element.fd-incident")).to_have_count(0)
    assert len(_fetch_and_lock(client, worker)) == 1  # the task can be worked again


def test_the_current_ticket_is_marked_and_the_instance_cancelled(open_page, client, deploy, start, make_user, admin,
                                                                log_in):
    deploy("card_payment.bpmn")
    instance = start("card_payment", {"amount": 120})
    worker = make_user("payments", "system")
    [task] = _fetch_and_lock(client, worker)
    client.post(f"/api/v1/external-tasks/{task['id']}/complete", headers=worker, json={"worker_id": "w1"})

    page = open_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, admin, f"/ui/instances/{instance['id']}")
    expect(page.locator('#diagram .djs-element.fd-current[data-element-id="send_receipt"]')).to_have_count(1)
    expect(page.locator('#diagram .djs-element.fd-completed[data-element-id="charge"]')).to_have_count(1)
    for flow in ("flow_due_to_charge", "flow_charge_to_receipt"):
        expect(page.locator(f'#diagram .djs-connection.fd-completed[data-element-id="{flow}"]')).to_have_count(1)
    expect(page.locator("#diagram .fd-badge")).to_have_text("ticket")
    expect(page.locator("#open-tickets")).to_contain_text("Send receipt")

    page.get_by_label("Reason for cancelling").fill("customer withdrew")
    page.get_by_role("button", name="Cancel instance").click()
    expect(page.locator("#instance-facts")).to_contain_text("cancelled")
    assert client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["status"] == "cancelled"


def test_pages_fit_a_phone(open_page, screens, deploy, start, make_key, log_in):
    deploy("purchase_approval.bpmn")
    instance = start("purchase_approval", {}, business_key="PO-PHONE")
    page = open_page(width=390, height=844)
    log_in(page, make_key("rita", "agent", "requesters"))
    for path in ("/ui/inbox", f"/ui/tickets/{instance['open_tickets'][0]['id']}", f"/ui/instances/{instance['id']}"):
        page.goto(path)
        expect(page.locator("#who")).not_to_be_empty()
        expect(page.locator("#main h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
        screens.shoot(page, "phone-" + path.split("/")[2])


def test_after_completing_the_next_ticket_in_the_inbox_is_offered(open_page, deploy, start, make_key, log_in):
    deploy("simple_user_task.bpmn")
    first = start("simple_user_task")["open_tickets"][0]
    second = start("simple_user_task")["open_tickets"][0]
    page = open_page()
    log_in(page, make_key("alice", "agent", "agents"), f"/ui/tickets/{first['id']}")
    page.get_by_role("button", name="Complete").click()
    offer = page.locator("#next-in-inbox")
    expect(offer).to_have_attribute("href", f"/ui/tickets/{second['id']}")
    offer.click()
    expect(page).to_have_url(re.compile(f"/ui/tickets/{second['id']}$"))
    expect(page.locator("#ticket-facts")).to_contain_text("claimed")
