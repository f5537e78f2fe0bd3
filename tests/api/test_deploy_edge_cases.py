"""Models that used to answer 500: each deploys and runs, or is refused with a clear 4xx."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"


def _upload(client, admin, *names):
    files = [((DATA / name).open("rb"), name) for name in names]
    return client.post("/api/v1/definitions", data={"file": files}, headers=admin, content_type="multipart/form-data")


@pytest.mark.parametrize(("files", "process_key"), [
    (("shipping_rules.bpmn", "dmn12_shipping.dmn"), "ship_by_dmn12"),
    (("shipping_rules_dmn11.bpmn", "dmn11_shipping.dmn"), "ship_by_dmn11"),
])
def test_a_dmn_1_1_or_1_2_decision_deploys_and_decides(client, admin, start, files, process_key):
    assert _upload(client, admin, *files).status_code == 201

    instance = start(process_key, {"weight": 12})

    assert instance["variables"]["shipping"] == "freight"


def test_a_decision_that_is_not_a_table_is_refused_naming_it(client, admin):
    response = _upload(client, admin, "shipping_rules_literal.bpmn", "literal_decision.dmn")

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert "shipping_literal" in error["message"] and "decision table" in error["message"]
    assert error["element_id"] == "sl_rule"


def test_a_dmn_file_on_its_own_is_refused_saying_to_upload_it_with_its_process(client, admin):
    response = _upload(client, admin, "dmn12_shipping.dmn")

    assert response.status_code == 422
    assert "upload both in one request" in response.get_json()["errors"][0]["message"]


def test_a_message_end_event_naming_no_message_is_refused_not_a_500(client, admin):
    response = _upload(client, admin, "untriggerable_waits.bpmn")

    assert response.status_code == 422
    messages = {e["element_id"]: e["message"] for e in response.get_json()["errors"]}
    assert "names no message" in messages["message_end_without_message_end"]


def test_a_start_event_with_the_id_start_runs(client, admin, deploy, start):
    deploy("reserved_ids.bpmn")
    [work] = start("named_like_the_engine")["open_tickets"]

    done = client.post(f"/api/v1/tickets/{work['id']}/complete", json={"data": {}}, headers=admin).get_json()

    assert done["instance"]["status"] == "completed"


def test_completing_an_external_task_whose_next_multi_instance_has_no_collection_is_422(client, admin, deploy,
                                                                                        start):
    deploy("external_then_multi_instance.bpmn")
    instance = start("external_then_multi_instance")
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=admin, json={
        "worker_id": "w1", "topics": [{"topic_name": "reviewers", "lock_duration": 60_000}]}).get_json()

    response = client.post(f"/api/v1/external-tasks/{task['id']}/complete", json={"worker_id": "w1", "variables": {}},
                           headers=admin)

    assert response.status_code == 422
    assert "em_review" in response.get_json()["detail"]
    # Nothing was saved: the worker can complete it again, with the collection.
    again = client.post(f"/api/v1/external-tasks/{task['id']}/complete", headers=admin,
                        json={"worker_id": "w1", "variables": {"reviewers": ["ann", "bob"]}})
    assert again.status_code == 200
    detail = client.get(f"/api/v1/instances/{instance['id']}", headers=admin).get_json()
    assert [t["element_id"] for t in detail["open_tickets"]] == ["em_review", "em_review"]


def test_completing_a_ticket_whose_next_multi_instance_has_no_collection_is_422(client, admin, deploy, start):
    deploy("external_then_multi_instance.bpmn")
    [pick] = start("ticket_then_multi_instance")["open_tickets"]

    response = client.post(f"/api/v1/tickets/{pick['id']}/complete", json={"data": {}}, headers=admin)

    assert response.status_code == 422
    assert "'tm_review' has no collection" in response.get_json()["detail"]
