"""The instance page marks where it waits on external workers and timers, on the diagram and in the list."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api").expect



@pytest.fixture
def charge(deploy, start):
    """charge_with_deadline: an external task with a timer boundary, beside a timer catch."""
    deploy("charge_with_deadline.bpmn")
    return start("charge_with_deadline", {"amount": 120})


def _shape(page, element_id: str, marker: str):
    return page.locator(f'#diagram .djs-element.{marker}[data-element-id="{element_id}"]')


def _badge(page, element_id: str):
    return page.locator(f'#diagram .djs-overlays[data-container-id="{element_id}"] .fd-badge')


def test_the_waiting_external_task_is_marked_on_its_element(open_page, screens, admin, charge, log_in):
    page = open_page()
    log_in(page, admin["Authorization"].removeprefix("Bearer "), f"/ui/instances/{charge['id']}")
    expect(_shape(page, "charge", "fd-external")).to_have_count(1)
    expect(_shape(page, "charge", "fd-current")).to_have_count(1)
    expect(page.locator("#diagram .djs-element.fd-external")).to_have_count(1)
    expect(_badge(page, "charge")).to_have_text("external task")
    expect(_badge(page, "charge")).to_have_attribute("title", "external task “payments”, waiting for a worker")
    expect(page.locator('#waiting li[data-element-id="charge"]')).to_have_text(
        "external task “payments” at charge: waiting for a worker")
    screens.shoot(page, "instance-external-task-and-timers")


def test_waiting_timers_are_marked_with_their_due_time(open_page, client, admin, charge, log_in):
    timers = client.get(f"/api/v1/instances/{charge['id']}", headers=admin).get_json()["timers"]
    due = {t["element_id"]: t["due"] for t in timers}
    assert set(due) == {"charge_deadline", "cooling_off"}
    page = open_page()
    log_in(page, admin["Authorization"].removeprefix("Bearer "), f"/ui/instances/{charge['id']}")
    expect(page.locator("#diagram .djs-element.fd-timer")).to_have_count(2)
    for element_id, at in due.items():
        expect(_shape(page, element_id, "fd-timer")).to_have_count(1)
        expect(_shape(page, element_id, "fd-current")).to_have_count(1)
        shown = page.evaluate("(iso) => new Date(iso).toLocaleString()", at)
        expect(_badge(page, element_id)).to_have_text("timer")
        expect(_badge(page, element_id)).to_have_attribute("title", f"timer due {shown}")
        expect(page.locator(f'#waiting li[data-element-id="{element_id}"] time')).to_have_attribute("datetime", at)
    expect(_shape(page, "charge_failed", "fd-current")).to_have_count(0)


def test_a_locked_external_task_names_its_worker(open_page, client, admin, make_user, charge, log_in):
    worker = make_user("payments", "system")
    response = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "max_tasks": 1, "topics": [{"topic_name": "payments", "lock_duration": 60000}]})
    assert len(response.get_json()) == 1
    page = open_page(width=390, height=844)  # a phone
    log_in(page, admin["Authorization"].removeprefix("Bearer "), f"/ui/instances/{charge['id']}")
    expect(_shape(page, "charge", "fd-external")).to_have_count(1)
    expect(_badge(page, "charge")).to_have_attribute("title", re.compile(r"^external task “payments”, locked by w1 until "))
    expect(page.locator('#waiting li[data-element-id="charge"]')).to_contain_text("locked by w1 until")
