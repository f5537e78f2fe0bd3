"""axe-core (tests/browser/vendor, built from ui/package-lock.json) on every page and state:
no serious or critical violations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# The rules axe runs by default; the serious and critical findings fail the test.
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
}"""




@pytest.fixture
def audited(open_page, screens):
    """``audited(width=1280)`` -> a tab with axe-core loaded into every document (an init script: the
    pages' Content-Security-Policy allows no other); ``check(page, state)`` shoots the state and
    asserts it has no serious or critical violation."""
    def make(width: int = 1280):
        page = open_page(width=width)
        page.add_init_script(path=str(AXE))
        return page

    def check(page, state: str) -> None:
        page.wait_for_load_state("networkidle")
        screens.shoot(page, state)
        violations = page.evaluate(RUN_AXE)
        assert violations == [], f"{state}: " + json.dumps(violations, indent=1)

    make.check = check
    return make


@pytest.fixture
def world(client, deploy, start, make_user, runtime, single_action_job):
    """An approval half decided, an open case, a completed ticket and an incident: every page has data."""
    from flowdesk.engine.process import job_results, jobs
    from flowdesk.engine.process.job_results import Outcome

    deploy("case_review.bpmn", "triage_form.bpmn")
    people = {"sue": make_user("sue", "agent", "support"), "max": make_user("max", "agent", "managers"),
              "dora": make_user("dora", "agent", "directors")}
    review = start("case_review", {"customer": {"name": "Ada Ltd"}, "subject": "Laptops", "amount": 24000,
                                   "description": "Twelve laptops"}, business_key="CASE-1")
    [manager] = client.post(f"/api/v1/tickets/{review['open_tickets'][0]['id']}/complete", headers=people["sue"],
                            json={"data": {}}).get_json()["open_tickets"]
    [director] = client.post(f"/api/v1/tickets/{manager['id']}/approve", headers=people["max"],
                             json={"comment": "Within budget"}).get_json()["open_tickets"]
    triage = start("triage_form", {"category": "billing"})["open_tickets"][0]["id"]
    claimed = jobs.claim(runtime, single_action_job(retries=0))
    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=500, body={}))
    return {"people": people, "review": review, "manager": manager["id"], "director": director["id"],
            "triage": triage}


def test_the_login_and_not_found_pages(audited, server):
    page = audited()
    page.goto("/ui/login")
    audited.check(page, "login")
    page.goto("/ui/no-such-page")
    audited.check(page, "page-not-found")


def test_an_agents_pages(audited, world, log_in):
    page = audited()
    log_in(page, world["people"]["dora"])
    page.locator('[data-preset="all"]').click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    audited.check(page, "inbox")
    page.locator('[data-preset="breached"]').click()
    expect(page.locator("#inbox-table tbody")).to_contain_text("No tickets match")
    audited.check(page, "inbox-empty")
    page.goto(f"/ui/tickets/{world['director']}")
    expect(page.locator("#decisions li")).to_have_count(1)
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    audited.check(page, "approval-ticket")
    page.goto("/ui/tickets/does-not-exist")
    expect(page.get_by_role("heading", name="Ticket not found")).to_be_visible()
    audited.check(page, "ticket-not-found")


def test_a_ticket_open_and_completed(audited, client, world, admin, log_in):
    page = audited()
    log_in(page, admin, f"/ui/tickets/{world['triage']}")
    expect(page.locator("#form-fields label")).to_have_count(3)
    audited.check(page, "ticket-open")
    assert client.post(f"/api/v1/tickets/{world['triage']}/complete", headers=admin, json={
        "data": {"subject": "Crash", "category": "defect"}}).status_code == 200
    page.reload()
    expect(page.locator("#ticket-result")).to_be_visible()
    audited.check(page, "ticket-completed")


def test_an_admins_pages(audited, world, admin, log_in):
    page = audited()
    log_in(page, admin, "/ui/instances")
    expect(page.locator("#instances-table tbody tr")).to_have_count(3)
    audited.check(page, "instances")
    page.goto(f"/ui/instances/{world['review']['id']}")
    expect(page.locator("#approvals li")).not_to_have_count(0)
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    audited.check(page, "instance")
    page.goto("/ui/incidents")
    expect(page.locator("#incidents-table tbody tr")).to_have_count(1)
    audited.check(page, "incidents")
    page.goto("/ui/definitions")
    expect(page.locator("#definitions-list li")).not_to_have_count(0)
    audited.check(page, "definitions")


def test_the_inbox_and_a_ticket_on_a_phone(audited, world, log_in):
    page = audited(width=390)
    log_in(page, world["people"]["dora"])
    page.locator('[data-preset="all"]').click()
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    audited.check(page, "phone-inbox")
    page.goto(f"/ui/tickets/{world['director']}")
    expect(page.locator("#decisions li")).to_have_count(1)
    audited.check(page, "phone-ticket")
