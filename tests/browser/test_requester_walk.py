"""The requester's side of examples/it_support.bpmn in a phone-sized browser: open a request from
its form, follow it while the desk works (accepts, waits on the customer), reply, confirm the fix.
The desk's steps go through the REST API; its ticket page shows what the desk sees."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

PHONE = {"width": 390, "height": 844}


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    """The whole walk on both backends: the browser tests' PostgreSQL coverage."""
    return request.param


def _desk_ticket(client, admin, request_id, element_id):
    items = client.get(f"/api/v1/tickets?instance_id={request_id}", headers=admin).get_json()["items"]
    return next(t["id"] for t in items if t["element_id"] == element_id and t["status"] != "completed")


def test_a_requester_walks_it_support_on_a_phone(open_page, screens, log_in, client, admin, deploy, make_user,
                                                  make_key):
    deploy("it_support.bpmn")
    alice = make_key("alice", "requester")
    bob_key = make_key("bob", "agent", "support")
    bob = {"Authorization": f"Bearer {bob_key}"}

    # Alice logs in and lands on her (empty) requests, then opens one from the catalogue.
    page = open_page(**PHONE)
    log_in(page, alice, "/ui/requests")
    expect(page.locator("#requests")).to_contain_text("No requests yet.")
    expect(page.locator("#todo")).to_contain_text("Nothing to do.")
    page.get_by_role("link", name="New request").first.click()
    expect(page).to_have_url(re.compile(r"/ui/requests/new$"))
    page.get_by_role("link", name="Get IT help").click()
    expect(page.locator("#type-name")).to_have_text("Get IT help")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#field-subject-error")).to_have_text("is required")
    page.get_by_label("Subject").fill("Printer jams")
    page.get_by_label("Category").select_option(label="hardware")
    page.get_by_label("What happened?").fill("Paper everywhere")
    screens.shoot(page, "start-form")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/ui/requests/[0-9a-f-]{36}$"))
    request_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#request-subject")).to_have_text("Printer jams")
    expect(page.locator("#request-stage")).to_have_text("Received")
    expect(page.locator("#request-timeline")).to_contain_text("You sent the request")
    expect(page.locator("#request-variables")).to_contain_text("What happened?Paper everywhere")
    screens.shoot(page, "request-received")

    # The desk triages, accepts the work (the SLA starts), asks a question and waits on her.
    client.post(f"/api/v1/tickets/{_desk_ticket(client, admin, request_id, 'triage')}/complete",
                json={"data": {"priority": "high"}}, headers=bob)
    work = _desk_ticket(client, admin, request_id, "resolve")
    client.post(f"/api/v1/tickets/{work}/claim", headers=bob)
    client.post(f"/api/v1/tickets/{work}/comments", json={"body": "INTERNAL: check the toner"}, headers=bob)
    client.post(f"/api/v1/tickets/{work}/comments", json={"body": "Which printer is it?", "public": True}, headers=bob)
    client.post(f"/api/v1/tickets/{work}/progress", json={"action": "waiting_customer"}, headers=bob)

    page.reload()
    expect(page.locator("#request-stage")).to_have_text("In progress")
    expect(page.locator("#waiting-note")).to_be_visible()
    expect(page.locator("#request-facts")).to_contain_text("on hold while the desk waits on you")
    expect(page.locator("#cancel-request")).to_be_visible()
    timeline = page.locator("#request-timeline")
    expect(timeline).to_contain_text("bob accepted it")
    expect(timeline).to_contain_text("Which printer is it?")
    expect(timeline).to_contain_text("The desk is waiting for your answer")
    expect(timeline).not_to_contain_text("INTERNAL")
    expect(page.locator("#request-variables")).not_to_contain_text("high")
    screens.shoot(page, "waiting-on-me")

    # She replies: the desk's ticket resumes.
    page.get_by_label("Your message to the desk").fill("The HP on floor 2")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#status")).to_have_text("Your reply was sent.")
    expect(page.locator("#waiting-note")).to_be_hidden()
    expect(timeline.locator("li").last).to_contain_text("Work resumed")
    expect(page.locator("#request-facts")).to_contain_text("left")
    assert client.get(f"/api/v1/tickets/{work}", headers=bob).get_json()["status"] == "claimed"

    # The desk sees her reply among its comments, internal ones included.
    desk = open_page()
    log_in(desk, bob_key, f"/ui/tickets/{work}")
    expect(desk.locator("#comments")).to_contain_text("The HP on floor 2")
    expect(desk.locator("#comments")).to_contain_text("INTERNAL: check the toner")
    desk_timeline = desk.locator("#timeline")
    for step in ("sla started", "waiting", "resumed"):
        expect(desk_timeline).to_contain_text(step)
    expect(desk_timeline.locator("li", has_text="resumed")).to_contain_text("alice")
    expect(desk.locator("#sla")).not_to_contain_text("paused")
    screens.shoot(desk, "desk-ticket")

    # The desk resolves; her to-do asks her to confirm, and she does.
    client.post(f"/api/v1/tickets/{work}/complete", json={"data": {"resolution": "Replaced the roller"}}, headers=bob)
    page.goto("/ui/requests")
    todo = page.locator("#todo")
    expect(todo).to_contain_text("Confirm the fix")
    expect(page.locator(f'[data-request-id="{request_id}"]')).to_contain_text("Waiting for your confirmation")
    screens.shoot(page, "my-requests")
    todo.get_by_role("link", name="Confirm the fix").click()
    expect(page.locator("#task-name")).to_have_text("Confirm the fix")
    expect(page.locator("#task-request")).to_have_text("For: Printer jams")
    page.get_by_label("It works").check()
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(f"/ui/requests/{request_id}$"))
    expect(page.locator("#request-stage")).to_have_text("Closed")
    expect(page.locator("#request-state")).to_have_text("closed")
    expect(page.locator("#request-timeline")).to_contain_text("You completed “Confirm the fix”")
    expect(page.locator("#reply-card")).to_be_hidden()
    expect(page.locator("#cancel-request")).to_be_hidden()
    expect(page.locator("#request-variables")).to_contain_text("Replaced the roller")
    screens.shoot(page, "closed")


def test_a_requester_on_a_desk_page_is_sent_to_their_requests(open_page, log_in, make_key):
    page = open_page(**PHONE)
    log_in(page, make_key("alice", "requester"), "/ui/requests")
    page.goto("/ui/inbox")
    expect(page).to_have_url(re.compile(r"/ui/requests$"))
