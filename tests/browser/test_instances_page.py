"""The instances page lists newest first with a total and keeps its filters in the address; an
instance page lets admins suspend, resume and migrate it."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api").expect




def test_instances_newest_first_with_a_total_and_filters_in_the_address(open_page, screens, deploy, start, admin,
                                                                        log_in):
    deploy("two_step.bpmn", "inbox.bpmn")
    for key in ("FIRST", "SECOND", "THIRD"):
        start("two_step", {}, business_key=key)
    start("inbox_item", {"priority": 1, "due": None}, business_key="ITEM")

    page = open_page()
    log_in(page, admin, "/ui/instances")
    rows = page.locator("#instances-table tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#instances-total")).to_contain_text("4 instances")
    expect(rows.nth(0)).to_contain_text("ITEM")
    expect(rows.nth(3)).to_contain_text("FIRST")

    page.get_by_label("Process").select_option("two_step")
    page.get_by_label("Sort by").select_option("created")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#instances-total")).to_contain_text("3 instances")
    expect(rows.nth(0)).to_contain_text("FIRST")
    expect(page).to_have_url(re.compile(r"process_key=two_step"))
    page.reload()
    expect(page.get_by_label("Process")).to_have_value("two_step")
    expect(page.get_by_label("Sort by")).to_have_value("created")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("FIRST")
    screens.shoot(page, "instances-filtered")


def test_an_admin_suspends_resumes_and_migrates_an_instance(open_page, screens, client, deploy, start, admin,
                                                            log_in):
    deploy("intake_v1.bpmn")
    instance = start("intake")
    deploy("intake_v2.bpmn")

    page = open_page()
    log_in(page, admin, f"/ui/instances/{instance['id']}")
    facts = page.locator("#instance-facts")
    expect(facts).to_contain_text("running")
    page.get_by_role("button", name="Suspend").click()
    expect(page.locator("#status")).to_contain_text("suspended")
    expect(facts).to_contain_text("suspended")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#status")).to_contain_text("resumed")
    expect(facts).to_contain_text("running")

    page.get_by_label("Move to another version").select_option("2")
    page.get_by_role("button", name="Migrate").click()
    expect(page.locator("#status")).to_contain_text("moved to version 2")
    expect(facts).to_contain_text("intake version 2")
    assert client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()["process_version"] == 2
    screens.shoot(page, "instance-migrated")


def test_an_agent_gets_no_admin_actions(open_page, deploy, start, make_user, log_in):
    deploy("intake_v1.bpmn")
    instance = start("intake")
    deploy("intake_v2.bpmn")
    page = open_page()
    log_in(page, make_user("ann", "agent", "agents"), f"/ui/instances/{instance['id']}")
    expect(page.locator("#instance-facts")).to_contain_text("running")
    expect(page.locator("#instance-actions button")).to_have_count(0)
