"""Instances and incidents newest first on request, with totals, paged in either order."""

from datetime import datetime, timedelta, timezone

import pytest

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(clock):
    """The shared frozen clock, started at T0."""
    clock.now = T0
    return clock


@pytest.fixture
def started(deploy, start, clock):
    """Five two-step instances, a minute apart: ONE (oldest) to FIVE (newest)."""
    deploy("two_step.bpmn")
    ids = []
    for n, key in enumerate(("ONE", "TWO", "THREE", "FOUR", "FIVE")):
        clock.now = T0 + timedelta(minutes=n)
        ids.append(start("two_step", {}, business_key=key)["id"])
    return ids


def _page(client, admin, query):
    response = client.get(f"/api/v1/instances?{query}", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_instances_newest_first_page_by_page(client, admin, started):
    seen, cursor = [], None
    while True:
        page = _page(client, admin, "sort=-created&limit=2" + (f"&after={cursor}" if cursor else ""))
        seen += [i["business_key"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["FIVE", "FOUR", "THREE", "TWO", "ONE"]


def test_oldest_first_stays_the_default(client, admin, started):
    assert [i["business_key"] for i in _page(client, admin, "limit=2")["items"]] == ["ONE", "TWO"]


def test_a_count_gives_the_total_of_the_filter(client, admin, started):
    page = _page(client, admin, "count=true&limit=1&sort=-created")
    assert (page["total"], page["total_capped"]) == (5, False)
    assert _page(client, admin, "count=true&business_key=TWO")["total"] == 1
    assert _page(client, admin, "limit=1")["total"] is None  # not counted unless asked


def test_an_unknown_sort_is_refused(client, admin, started):
    response = client.get("/api/v1/instances?sort=business_key", headers=admin)
    assert response.status_code == 422 and "sort" in response.get_json()["errors"]


def test_incidents_newest_first_with_a_total(client, admin, deploy, start, make_user, clock):
    deploy("card_payment.bpmn")
    worker = make_user("payments", "system")
    for n, key in enumerate(("OLD", "NEW")):
        clock.now = T0 + timedelta(minutes=n)
        start("card_payment", {"amount": 10}, business_key=key)
        [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
            "worker_id": "w1", "max_tasks": 1,
            "topics": [{"topic_name": "payments", "lock_duration": 60000}]}).get_json()
        failed = client.post(f"/api/v1/external-tasks/{task['id']}/failure", headers=worker,
                             json={"worker_id": "w1", "error_message": f"card expired {key}", "retries": 0})
        assert failed.status_code in (200, 204), failed.get_json()
    page = client.get("/api/v1/incidents?sort=-created&count=true", headers=admin).get_json()
    assert [i["message"] for i in page["items"]] == ["external task failed: card expired NEW",
                                                     "external task failed: card expired OLD"]
    assert page["total"] == 2
