"""Timer and due-date durations that can never work are refused at deploy, naming element and line."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"


def _upload(client, admin, name):
    files = [((DATA / name).open("rb"), name)]
    return client.post("/api/v1/definitions", data={"file": files}, headers=admin, content_type="multipart/form-data")


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("negative_timer_duration.bpmn", "-PT1H", "negative"),
    ("empty_timer_duration.bpmn", "P", "not an ISO 8601 duration"),
    ("negative_timer_cycle.bpmn", "R3/-PT1H", "negative"),
])
def test_a_timer_that_can_never_wait_is_refused_naming_element_and_line(client, admin, name, value, reason):
    response = _upload(client, admin, name)

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["element_id"] == "wait" and error["line"] > 0
    assert value in error["message"] and reason in error["message"]


def test_a_refused_timer_deploys_nothing(client, admin):
    _upload(client, admin, "negative_timer_duration.bpmn")

    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize(("element", "value"), [("negative_sla", "-PT4H"), ("negative_due_date", "-P1D")])
def test_a_negative_due_date_or_sla_is_refused_naming_element_and_line(client, admin, element, value):
    response = _upload(client, admin, "negative_due_dates.bpmn")

    assert response.status_code == 422
    errors = {e["element_id"]: e for e in response.get_json()["errors"]}
    assert f"'{value}'" in errors[element]["message"] and "negative" in errors[element]["message"]
    assert errors[element]["line"] > 0
