"""The incidents page: newest first with a total, the job's attempt log, retry one or many, filters
in the address; agents are not offered it."""

from __future__ import annotations

import re

import pytest

from flowdesk.engine.process import job_results, jobs
from flowdesk.engine.process.job_results import Outcome

expect = pytest.importorskip("playwright.sync_api").expect




@pytest.fixture
def incidents(client, deploy, start, make_user, runtime, single_action_job):
    """A failed action call (an attempt log with HTTP 500) then two card payments whose charge failed."""
    claimed = jobs.claim(runtime, single_action_job(retries=0))
    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=500, body={}))
    deploy("card_payment.bpmn")
    worker = make_user("payments", "system")
    for key in ("CARD-1", "CARD-2"):
        start("card_payment", {"amount": 10}, business_key=key)
        [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
            "worker_id": "w1", "max_tasks": 1,
            "topics": [{"topic_name": "payments", "lock_duration": 60000}]}).get_json()
        failed = client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                             json={"worker_id": "w1", "error_message": f"card expired ({key})", "retries": 0})
        assert failed.status_code in (200, 204), failed.get_json()


def test_incidents_are_listed_newest_first_with_their_attempt_log(open_page, screens, incidents, admin, log_in):
    page = open_page()
    log_in(page, admin, "/ui/incidents")
    rows = page.locator("#incidents-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#incidents-total")).to_contain_text("3 incidents")
    expect(rows.nth(0)).to_contain_text("card expired (CARD-2)")
    expect(rows.nth(1)).to_contain_text("card expired (CARD-1)")
    action = rows.nth(2)
    action.get_by_role("button", name="attempt log").click()
    expect(action.locator(".attempts li")).to_have_count(1)
    expect(action.locator(".attempts")).to_contain_text("HTTP 500")
    screens.shoot(page, "incidents-with-attempt-log")


def test_selected_incidents_are_retried_together(open_page, screens, incidents, admin, log_in):
    page = open_page()
    log_in(page, admin, "/ui/incidents")
    rows = page.locator("#incidents-table tbody tr")
    expect(rows).to_have_count(3)
    retry = page.get_by_role("button", name="Retry selected")
    expect(retry).to_be_disabled()
    for key in ("CARD-1", "CARD-2"):
        rows.filter(has_text=key).get_by_role("checkbox").check()
    retry.click()
    expect(page.locator("#status")).to_have_text("Retried 2 incidents.")
    expect(rows).to_have_count(1)
    expect(rows).not_to_contain_text("card expired")

    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"status=resolved"))
    page.reload()
    expect(page.get_by_label("Status")).to_have_value("resolved")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("resolved")
    screens.shoot(page, "incidents-resolved")


def test_an_incident_is_resolved_without_a_retry_with_a_note(open_page, screens, client, incidents, admin, log_in):
    page = open_page()
    log_in(page, admin, "/ui/incidents")
    rows = page.locator("#incidents-table tbody tr")
    expect(rows).to_have_count(3)
    row = rows.filter(has_text="CARD-1")
    row.get_by_role("button", name="Resolve…").click()
    expect(row).to_contain_text("the instance stays where it stopped")
    row.get_by_label("Why it is resolved (optional)").fill("charged by phone")
    screens.shoot(page, "incident-resolve-asked")
    row.get_by_role("button", name="Resolve without retry").click()
    expect(page.locator("#status")).to_contain_text("without a retry")
    expect(rows).to_have_count(2)
    expect(page.locator("#incidents-table tbody")).not_to_contain_text("card expired (CARD-1)")
    screens.shoot(page, "incident-resolved-by-hand")

    [entry] = client.get("/api/v1/audit-log?action=incident.resolved", headers=admin).get_json()["items"]
    assert entry["detail"]["note"] == "charged by phone"
    resolved = client.get("/api/v1/incidents?status=resolved", headers=admin).get_json()["items"]
    assert [i["message"] for i in resolved] == ["external task failed: card expired (CARD-1)"]
    retried = client.get("/api/v1/audit-log?action=incident.retried", headers=admin).get_json()["items"]
    assert retried == []


def test_an_agent_is_not_offered_the_incidents_page(open_page, make_key, log_in):
    page = open_page()
    log_in(page, make_key("ann", "agent", "agents"))
    expect(page.get_by_role("link", name="Incidents")).to_have_count(0)
    expect(page.get_by_role("link", name="Instances")).to_be_visible()
