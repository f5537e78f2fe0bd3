"""Starting an instance from the definitions page: the form, its checks, and where it leads."""

from __future__ import annotations

import json
import re

import pytest

expect = pytest.importorskip("playwright.sync_api").expect




def _instances(client, admin) -> list:
    return client.get("/api/v1/instances", headers=admin).get_json()["items"]


def test_an_admin_starts_an_instance_and_lands_on_its_page(open_page, screens, client, admin, deploy, log_in):
    deploy("simple_user_task.bpmn")
    deploy("two_step.bpmn")
    page = open_page()
    log_in(page, admin, "/ui/definitions")
    page.get_by_label("Process", exact=True).select_option("simple_user_task")
    page.get_by_label("Business key (optional)").fill("ORDER-17")
    page.get_by_label("Variables (a JSON object)").fill('{"amount": 120, "customer": "ACME"}')
    screens.shoot(page, "start-form")
    page.get_by_role("button", name="Start instance").click()
    expect(page).to_have_url(re.compile(r"/ui/instances/[0-9a-f-]{36}$"))
    expect(page.locator("#instance-title")).to_contain_text("ORDER-17")
    [instance] = _instances(client, admin)
    assert page.url.endswith(instance["id"])
    assert (instance["process_key"], instance["business_key"]) == ("simple_user_task", "ORDER-17")
    assert instance["variables"] == {"amount": 120, "customer": "ACME"}
    expect(page.locator("#variables")).to_contain_text('"customer": "ACME"')
    screens.shoot(page, "started-instance")


def test_the_process_picked_in_the_list_is_the_one_started(open_page, client, admin, deploy, log_in):
    deploy("simple_user_task.bpmn")
    deploy("two_step.bpmn")
    page = open_page()
    log_in(page, admin, "/ui/definitions")
    page.locator('#definitions-list button[data-key="two_step"]').click()
    expect(page.get_by_label("Process", exact=True)).to_have_value("two_step")
    page.get_by_role("button", name="Start instance").focus()  # and start it by keyboard
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ui/instances/"))
    assert [i["process_key"] for i in _instances(client, admin)] == ["two_step"]


def test_bad_json_is_shown_beside_the_box_and_nothing_starts(open_page, client, admin, deploy, log_in):
    deploy("simple_user_task.bpmn")
    page = open_page(width=390, height=844)  # a phone
    log_in(page, admin, "/ui/definitions")
    variables = page.get_by_label("Variables (a JSON object)")
    expect(page.get_by_label("Process", exact=True)).to_have_value("simple_user_task")
    variables.fill('{"amount": 120,')
    page.get_by_role("button", name="Start instance").click()
    expect(page.locator("#start-variables-error")).to_contain_text("Not valid JSON")
    expect(variables).to_have_attribute("aria-invalid", "true")
    expect(variables).to_be_focused()
    expect(page.locator("#alert")).to_contain_text("The variables are not a JSON object")
    variables.fill("[1, 2]")
    page.get_by_role("button", name="Start instance").click()
    expect(page.locator("#start-variables-error")).to_contain_text("must be a JSON object")
    expect(page).to_have_url(re.compile(r"/ui/definitions$"))
    assert _instances(client, admin) == []


def test_a_start_the_api_refuses_shows_its_problem(open_page, client, admin, deploy, log_in):
    deploy("failing_script.bpmn")
    page = open_page()
    log_in(page, admin, "/ui/definitions")
    # The process list loads after the page: start only once it is chosen.
    expect(page.get_by_label("Process", exact=True)).to_have_value("failing_script")
    page.get_by_label("Variables (a JSON object)").fill(json.dumps({"x": 1}))
    page.get_by_role("button", name="Start instance").click()
    alert = page.locator("#alert")
    expect(alert).to_contain_text("Unprocessable content")
    expect(alert).to_contain_text("boom")
    expect(page.get_by_role("button", name="Start instance")).to_be_enabled()
    expect(page).to_have_url(re.compile(r"/ui/definitions$"))
    assert _instances(client, admin) == []


def test_agents_are_not_offered_the_start_form(open_page, deploy, make_key, log_in):
    deploy("simple_user_task.bpmn")
    page = open_page()
    log_in(page, make_key("ann", "agent", "agents"), "/ui/definitions")
    expect(page.locator("#definitions-list")).to_contain_text("Simple user task")
    expect(page.locator("#start-section")).to_be_hidden()


def test_the_start_events_form_is_drawn_and_its_required_fields_checked(open_page, screens, client, admin, deploy,
                                                                       log_in):
    deploy("two_step.bpmn", "start_form.bpmn")
    page = open_page()
    log_in(page, admin, "/ui/definitions")
    page.get_by_label("Process", exact=True).select_option("support_request")
    fields = page.locator("#start-form-fields label")
    expect(fields).to_have_text(["Subject *", "Urgency *", "Amount"])
    expect(page.get_by_label("Urgency")).to_have_value("")
    page.get_by_label("Subject").fill("Printer on fire")
    page.get_by_role("button", name="Start instance").click()
    expect(page.locator("#field-urgency-error")).to_contain_text("required")
    expect(page.locator("#alert")).to_contain_text("Urgency")
    assert _instances(client, admin) == []

    page.get_by_label("Urgency").select_option(label="high")
    page.get_by_label("Amount").fill("40")
    page.get_by_label("More variables (a JSON object, optional)").fill('{"channel": "phone"}')
    screens.shoot(page, "start-form-from-the-model")
    page.get_by_role("button", name="Start instance").click()
    expect(page).to_have_url(re.compile(r"/ui/instances/[0-9a-f-]{36}$"))
    [instance] = _instances(client, admin)
    assert instance["variables"] == {"subject": "Printer on fire", "urgency": "high", "amount": 40, "channel": "phone"}


def test_a_process_without_a_start_form_asks_for_json_only(open_page, admin, deploy, log_in):
    deploy("two_step.bpmn", "start_form.bpmn")
    page = open_page()
    log_in(page, admin, "/ui/definitions")
    page.get_by_label("Process", exact=True).select_option("support_request")
    expect(page.locator("#start-form-fields label")).to_have_count(3)
    page.get_by_label("Process", exact=True).select_option("two_step")
    expect(page.locator("#start-form-fields label")).to_have_count(0)
    expect(page.get_by_label("Variables (a JSON object)")).to_be_visible()


def test_agents_are_not_offered_the_deploy_card(open_page, make_key, log_in):
    page = open_page()
    log_in(page, make_key("ann", "agent", "agents"), "/ui/definitions")
    expect(page.get_by_role("heading", name="Processes")).to_be_visible()
    expect(page.get_by_role("heading", name="Deploy")).to_be_hidden()
