"""BPMN data stores over REST: a task writes a named JSON store, a later instance reads it."""

import pytest

from flowdesk.engine.store.data_store_port import DatabaseDataStores


def complete(client, admin, ticket_id: str, data: dict):
    return client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"data": data}, headers=admin)


def publish(client, admin, start, rates: dict) -> dict:
    instance = start("publish_rates")
    response = complete(client, admin, instance["open_tickets"][0]["id"], {"exchange_rates": rates})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_models_with_data_stores_deploy(deploy):
    body = deploy("exchange_rates.bpmn")

    assert sorted(d["key"] for d in body) == ["publish_rates", "quote"]


def test_a_task_writes_the_store_and_a_later_instance_reads_it(client, admin, deploy, start):
    deploy("exchange_rates.bpmn")
    publish(client, admin, start, {"EUR": 0.9})

    quote = start("quote", {"price_usd": 100})

    assert quote["status"] == "running"
    assert quote["variables"]["price_eur"] == 90.0


def test_writing_the_store_leaves_it_out_of_the_instance_variables(client, admin, deploy, start):
    deploy("exchange_rates.bpmn")

    body = publish(client, admin, start, {"EUR": 0.9})

    assert body["instance"]["status"] == "completed"
    assert "exchange_rates" not in body["instance"]["variables"]


def test_the_latest_write_is_what_later_instances_read(client, admin, deploy, start):
    deploy("exchange_rates.bpmn")
    publish(client, admin, start, {"EUR": 0.9})
    publish(client, admin, start, {"EUR": 0.5})

    assert start("quote", {"price_usd": 100})["variables"]["price_eur"] == 50.0


def test_the_store_is_kept_in_the_database_for_the_default_tenant(client, admin, deploy, start, runtime):
    deploy("exchange_rates.bpmn")
    publish(client, admin, start, {"EUR": 0.9})

    with runtime.uow() as uow:
        assert DatabaseDataStores(uow.session).values() == {"exchange_rates": {"EUR": 0.9}}


def test_reading_a_store_nothing_wrote_yet_fails_the_start_and_changes_nothing(client, admin, deploy, runtime):
    deploy("exchange_rates.bpmn")

    response = client.post("/api/v1/processes/quote/instances", json={"variables": {"price_usd": 100}},
                           headers=admin)

    # The store holds nothing (None): the script's subscript fails and names the task.
    assert response.status_code == 422
    assert "convert" in response.get_json()["detail"]
    with runtime.uow() as uow:
        assert DatabaseDataStores(uow.session).values() == {}


def test_completing_the_writing_task_without_the_value_is_refused_and_changes_nothing(
        client, admin, deploy, start, runtime):
    deploy("exchange_rates.bpmn")
    instance = start("publish_rates")
    ticket_id = instance["open_tickets"][0]["id"]

    response = complete(client, admin, ticket_id, {"something_else": 1})

    assert response.status_code == 422
    assert "exchange_rates" in response.get_json()["detail"]
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=admin).get_json()["status"] != "completed"
    with runtime.uow() as uow:
        assert DatabaseDataStores(uow.session).values() == {}


def test_a_task_reading_and_writing_the_store_sees_what_the_step_wrote_before(client, admin, deploy, start):
    deploy("visit_counter.bpmn")

    first = start("visit_counter")
    second = start("visit_counter")

    assert first["variables"]["seen"] == 2
    assert second["variables"]["seen"] == 4


def test_an_admin_seeds_a_store_that_instances_then_read(client, admin, deploy, start):
    deploy("exchange_rates.bpmn")

    response = client.put("/api/v1/data-stores/exchange_rates", json={"value": {"EUR": 0.8}}, headers=admin)

    assert response.status_code == 201
    assert start("quote", {"price_usd": 10})["variables"]["price_eur"] == 8.0


def test_replacing_a_store_answers_200_with_the_new_value(client, admin):
    client.put("/api/v1/data-stores/exchange_rates", json={"value": {"EUR": 0.8}}, headers=admin)

    response = client.put("/api/v1/data-stores/exchange_rates", json={"value": [1, 2]}, headers=admin)

    assert response.status_code == 200
    assert response.get_json()["value"] == [1, 2]


def test_a_store_is_stamped_by_the_runtime_clock_when_written(client, admin, deploy, start, clock):
    deploy("exchange_rates.bpmn")
    publish(client, admin, start, {"EUR": 0.9})  # written by a task
    clock.advance(hours=2)

    replaced = client.put("/api/v1/data-stores/exchange_rates", json={"value": {"EUR": 0.8}}, headers=admin)

    body = replaced.get_json()
    assert (body["created_at"], body["updated_at"]) == ("2026-11-21T12:00:00+00:00", "2026-11-21T14:00:00+00:00")


def test_stores_written_by_processes_are_listed_and_readable(client, admin, deploy, start):
    deploy("exchange_rates.bpmn")
    publish(client, admin, start, {"EUR": 0.9})

    listed = client.get("/api/v1/data-stores", headers=admin).get_json()["items"]
    one = client.get("/api/v1/data-stores/exchange_rates", headers=admin).get_json()

    assert [(s["name"], s["value"]) for s in listed] == [("exchange_rates", {"EUR": 0.9})]
    assert one["value"] == {"EUR": 0.9}


def test_a_store_nothing_wrote_is_404(client, admin):
    response = client.get("/api/v1/data-stores/exchange_rates", headers=admin)

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_deleting_a_store_empties_it(client, admin):
    client.put("/api/v1/data-stores/exchange_rates", json={"value": 1}, headers=admin)

    assert client.delete("/api/v1/data-stores/exchange_rates", headers=admin).status_code == 204
    assert client.get("/api/v1/data-stores/exchange_rates", headers=admin).status_code == 404


@pytest.mark.parametrize("body", [{}, {"value": 1, "other": 2}])
def test_a_put_without_exactly_a_value_is_422_and_changes_nothing(client, admin, body):
    response = client.put("/api/v1/data-stores/exchange_rates", json=body, headers=admin)

    assert response.status_code == 422
    assert client.get("/api/v1/data-stores", headers=admin).get_json()["items"] == []


def test_a_name_that_cannot_be_a_data_store_id_is_422(client, admin):
    response = client.put("/api/v1/data-stores/9 rates", json={"value": 1}, headers=admin)

    assert response.status_code == 422
    assert "name" in response.get_json()["errors"]


def test_agents_may_neither_read_nor_write_stores(client, admin, make_user):
    agent = make_user("sue", "agent")
    client.put("/api/v1/data-stores/exchange_rates", json={"value": 1}, headers=admin)

    assert client.get("/api/v1/data-stores/exchange_rates", headers=agent).status_code == 403
    assert client.put("/api/v1/data-stores/exchange_rates", json={"value": 2}, headers=agent).status_code == 403
    assert client.get("/api/v1/data-stores/exchange_rates", headers=admin).get_json()["value"] == 1
