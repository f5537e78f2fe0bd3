"""The approval example walked in a real browser: deploy, fill the form, approve level by level."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

EXAMPLE = Path(__file__).parents[2] / "examples" / "purchase_approval.bpmn"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    """The whole walk on both backends: the browser tests' PostgreSQL coverage."""
    return request.param


def drop_file(page, selector: str, path: Path) -> None:
    """A real drag-and-drop: a DataTransfer holding the file, dropped on the zone."""
    page.evaluate("""([selector, name, text]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], name, {type: "application/xml"}));
        const zone = document.querySelector(selector);
        for (const type of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
        }
    }""", [selector, path.name, path.read_text()])


def open_ticket_from_inbox(page, name: str):
    row = page.locator("#inbox-table tbody tr", has_text=name)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=name).click()
    expect(page.locator("#ticket-title")).to_have_text(name)
    expect(page.locator("#diagram .djs-element.fd-current")).to_have_count(1)


def test_purchase_approval_through_the_ui(open_page, screens, log_in, client, make_user, make_key, admin):
    modeler = make_key("mia", "modeler")
    requester = make_key("rita", "agent", "requesters")
    manager = make_key("max", "agent", "managers")
    director = make_key("dora", "agent", "directors")
    crm = make_user("crm", "system")

    # A modeler drops the example on the definitions page and sees its diagram.
    page = open_page()
    log_in(page, modeler, "/ui/definitions")
    expect(page).to_have_url(re.compile(r"/ui/definitions$"))
    drop_file(page, "#dropzone", EXAMPLE)
    expect(page.locator("#upload-result")).to_contain_text("process purchase_approval version 1")
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    for element in ("submit_request", "manager_approval", "director_approval", "cfo_approval"):
        expect(page.locator(f'#diagram [data-element-id="{element}"]')).to_be_visible()
    expect(page.locator("#definitions-list")).to_contain_text("Purchase approval")
    screens.shoot(page, "definitions")

    # An external system asks for a purchase.
    started = client.post("/api/v1/processes/purchase_approval/instances", headers=crm,
                          json={"business_key": "PO-7", "variables": {}})
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["id"]

    # The requester finds the ticket in the inbox, opens it and fills the form.
    page = open_page()
    log_in(page, requester)
    expect(page.locator("#inbox-table tbody")).to_contain_text("PO-7")
    expect(page.locator('[data-preset="group-requesters"] .count')).to_have_text("1")
    expect(page.locator('[data-preset="all"] .count')).to_have_text("1")
    screens.shoot(page, "inbox-requester")
    open_ticket_from_inbox(page, "Submit request")
    page.get_by_label("Amount").fill("25000")
    page.get_by_label("Description").fill("Laptops for the support team")
    screens.shoot(page, "ticket-form-filled")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#status")).to_contain_text("Next: Manager approval")
    expect(page.locator("#ticket-facts")).to_contain_text("completed")
    expect(page.locator("#timeline")).to_contain_text("completed")

    # The manager approves (level 1).
    page = open_page()
    log_in(page, manager)
    open_ticket_from_inbox(page, "Manager approval")
    expect(page.locator("#ticket-facts")).to_contain_text("Approval level")
    expect(page.locator("#sla")).to_contain_text("left")
    page.get_by_label("Comment", exact=True).fill("Within budget")
    screens.shoot(page, "ticket-approval")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#status")).to_contain_text("Next: Director approval")

    # 25,000 is above 10,000: the director's ticket waits in the director's inbox.
    page = open_page()
    log_in(page, director)
    expect(page.locator("#inbox-table tbody tr", has_text="Director approval")).to_have_count(1)
    expect(page.locator("#inbox-table tbody")).not_to_contain_text("Manager approval")
    expect(page.locator('[data-preset="all"] .count')).to_have_text("1")
    screens.shoot(page, "inbox-director")
    open_ticket_from_inbox(page, "Director approval")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#status")).to_contain_text("The instance is completed")

    # The instance page draws the path it took.
    page = open_page()
    log_in(page, admin["Authorization"].removeprefix("Bearer "), f"/ui/instances/{instance_id}")
    expect(page.locator("#instance-facts")).to_contain_text("completed")
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    for element in ("request_started", "submit_request", "manager_approval", "director_approval"):
        expect(page.locator(f'#diagram .djs-element.fd-completed[data-element-id="{element}"]')).to_have_count(1)
    expect(page.locator('#diagram .djs-element.fd-completed[data-element-id="cfo_approval"]')).to_have_count(0)
    # The flows it took are marked, not the shortcut the manager's gateway did not take.
    for flow in ("flow_manager_to_director", "flow_director_approved"):
        expect(page.locator(f'#diagram .djs-connection.fd-completed[data-element-id="{flow}"]')).to_have_count(1)
    for flow in ("flow_manager_approved", "flow_director_to_cfo"):
        expect(page.locator(f'#diagram .djs-connection.fd-completed[data-element-id="{flow}"]')).to_have_count(0)
    expect(page.locator("#history")).to_contain_text("Director approval")
    expect(page.locator("#approvals li")).to_have_count(2)
    expect(page.locator("#approvals li").first).to_contain_text("Within budget")
    screens.shoot(page, "instance-completed")

    page.goto("/ui/instances")
    expect(page.locator("#instances-table tbody")).to_contain_text("PO-7")
    screens.shoot(page, "instances")
