"""A SpiffArena model's http/* connectors, end to end: a real RQ worker calls a local HTTP server."""

import base64
import json

import pytest
from sqlalchemy import select

from flowdesk.engine.models import Job
from flowdesk.engine.process import jobs

ORDERS = {"status": "open", "api_user": "sync", "api_password": "s3cr3t-pw"}


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(jobs, "BACKOFF_BASE", 0.01)


def _instance(client, admin, instance_id):
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin).get_json()


def test_get_then_post_connectors_call_the_server_and_store_their_results(client, admin, deploy_for, start, drain,
                                                                          action_server, worker_runtime):
    action_server.routes["/orders"] = lambda r: (200, {"items": [{"id": 1}, {"id": 2}, {"id": 3}]}, {})
    action_server.routes["/reports"] = lambda r: (201, {"stored": True}, {})
    deploy_for("spiffarena_http.bpmn")
    started = start("spiffarena_http", {"orders_url": f"{action_server.url}/orders", "status": "open",
                                        "api_user": "sync", "api_password": "pw"})

    drain(until=lambda: _instance(client, admin, started["id"])["status"] == "completed")

    done = _instance(client, admin, started["id"])
    assert done["status"] == "completed"
    assert done["variables"]["orders"] == {"body": {"items": [{"id": 1}, {"id": 2}, {"id": 3}]},
                                           "mimetype": "application/json", "http_status": 200,
                                           "operator_identifier": "http/GetRequestV2"}
    assert done["variables"]["report"] == {"body": {"stored": True}, "mimetype": "application/json",
                                           "http_status": 201, "operator_identifier": "http/PostRequestV2"}
    [get] = action_server.calls("/orders")
    assert (get["method"], get["path"]) == ("GET", "/orders?status=open")
    assert get["headers"]["Authorization"] == "Basic " + base64.b64encode(b"sync:pw").decode()
    assert get["headers"]["Accept"] == "application/json"
    [post] = action_server.calls("/reports")
    assert post["json"] == {"open": 3}


def _run_orders(client, admin, deploy_for, start, drain, action_server, orders):
    action_server.routes["/orders"] = orders
    deploy_for("spiffarena_http.bpmn")
    started = start("spiffarena_http", {"orders_url": f"{action_server.url}/orders", **ORDERS})
    drain(until=lambda: _instance(client, admin, started["id"])["status"] != "running")
    return _instance(client, admin, started["id"])


@pytest.mark.parametrize(("content_type", "text", "body"), [
    ("text/xml", b'<orders><item id="1"/><item id="2"/></orders>',
     {"orders": {"item": [{"@id": "1"}, {"@id": "2"}]}}),
    ("text/plain", b"three open orders", {"raw_response": "three open orders"}),
])
def test_a_result_that_is_not_json_is_parsed_as_spiffarena_parses_it(client, admin, deploy_for, start, drain,
                                                                      action_server, worker_runtime, content_type,
                                                                      text, body):
    done = _run_orders(client, admin, deploy_for, start, drain, action_server,
                       lambda r: (200, text, {"Content-Type": content_type}))

    assert done["status"] == "running"  # the POST after it reads orders["body"]["items"]: not in these
    [job] = [j for j in _jobs(worker_runtime) if j.element_id == "Activity_get_orders"]
    assert job.result == {"body": body, "mimetype": "application/json", "http_status": 200,
                          "operator_identifier": "http/GetRequestV2"}


@pytest.mark.parametrize("status", [404, 503])
def test_an_error_status_raises_the_bpmn_error_spiffarena_raises(client, admin, deploy_for, start, drain,
                                                                 action_server, worker_runtime, status):
    action_server.routes["/customers/7"] = lambda r: (status, {"no": "such"}, {})
    deploy_for("spiffarena_http_errors.bpmn")
    started = start("spiffarena_http_errors", {"customer_url": f"{action_server.url}/customers/7"})

    drain(until=lambda: _instance(client, admin, started["id"])["open_tickets"] or
          any(j.status == "incident" for j in _jobs(worker_runtime)))

    waiting = [t["element_id"] for t in _instance(client, admin, started["id"])["open_tickets"]]
    if status == 404:  # the boundary event of ServiceTaskHttpError404 catches it
        assert waiting == ["Task_create_customer"]
        assert len(action_server.calls("/customers/7")) == 1
    else:  # ServiceTaskHttpError503 is raised after the attempts; nothing catches it: an incident
        assert waiting == []
        [job] = _jobs(worker_runtime)
        assert job.status == "incident" and job.attempts == job.max_attempts


def _jobs(rt):
    with rt.uow() as uow:
        return list(uow.session.scalars(select(Job)))


def test_basic_auth_credentials_are_not_stored_but_the_call_authenticates(client, admin, deploy_for, start,
                                                                          drain, action_server, worker_runtime):
    action_server.routes["/reports"] = lambda r: (201, {"stored": True}, {})
    done = _run_orders(client, admin, deploy_for, start, drain, action_server,
                       lambda r: (200, {"items": []}, {}))

    assert done["status"] == "completed"
    [get] = action_server.calls("/orders")
    assert get["headers"]["Authorization"] == "Basic " + base64.b64encode(b"sync:s3cr3t-pw").decode()
    stored = _jobs(worker_runtime)
    encoded = base64.b64encode(b"sync:s3cr3t-pw").decode()
    for job in stored:
        row = json.dumps(job.request)
        assert "s3cr3t-pw" not in row and encoded not in row
        shown = client.get(f"/api/v1/jobs/{job.id}", headers=admin)
        assert shown.status_code == 200
        assert "s3cr3t-pw" not in shown.get_data(as_text=True) and encoded not in shown.get_data(as_text=True)
    [get_job] = [job for job in stored if job.element_id == "Activity_get_orders"]
    assert get_job.request["headers"]["Authorization"].startswith("{{sealed:")


SECRETS = {"orders_api_password": "pw-from-the-vault", "reports_token": "t0ken-from-the-vault", "shop_id": "shop-42"}


def _run_with_secrets(client, admin, deploy_for, start, drain, action_server, secrets):
    for name, value in secrets.items():
        assert client.put(f"/api/v1/secrets/{name}", json={"value": value}, headers=admin).status_code in (200, 201)
    action_server.routes["/orders"] = lambda r: (200, {"items": [{"id": 1}]}, {})
    action_server.routes["/reports"] = lambda r: (201, {"stored": True}, {})
    deploy_for("spiffarena_secrets.bpmn")
    started = start("spiffarena_secrets", {"orders_url": f"{action_server.url}/orders"})
    drain(until=lambda: _instance(client, admin, started["id"])["status"] != "running"
          or _instance(client, admin, started["id"])["incidents"])
    return _instance(client, admin, started["id"])


def test_spiff_secrets_are_the_tenants_secrets_in_the_call(client, admin, deploy_for, start, drain,
                                                          action_server, worker_runtime):
    done = _run_with_secrets(client, admin, deploy_for, start, drain, action_server, SECRETS)

    assert done["status"] == "completed"
    [get] = action_server.calls("/orders")
    assert get["headers"]["Authorization"] == "Basic " + base64.b64encode(b"sync:pw-from-the-vault").decode()
    assert get["path"] == "/orders?status=open&shop=shop-42"
    [post] = action_server.calls("/reports")
    assert post["headers"]["Authorization"] == "Bearer t0ken-from-the-vault"
    assert post["json"] == {"open": 1}


def test_spiff_secrets_are_neither_stored_nor_shown_with_the_job(client, admin, deploy_for, start, drain,
                                                                action_server, worker_runtime):
    _run_with_secrets(client, admin, deploy_for, start, drain, action_server, SECRETS)

    encoded = base64.b64encode(b"sync:pw-from-the-vault").decode()
    stored = _jobs(worker_runtime)
    assert {job.element_id for job in stored} == {"Activity_get_orders", "Activity_post_count"}
    for job in stored:
        shown = client.get(f"/api/v1/jobs/{job.id}", headers=admin)
        assert shown.status_code == 200
        for text in (json.dumps(job.request), json.dumps(job.result), job.last_error or "", shown.get_data(as_text=True)):
            assert all(value not in text for value in (*SECRETS.values(), encoded))
            assert "SPIFF_SECRET" not in text
    [get_job] = [job for job in stored if job.element_id == "Activity_get_orders"]
    assert "{{secret:orders_api_password}}" in get_job.request["headers"]["Authorization"]
    assert get_job.request["url"].endswith("shop={{secret:shop_id}}")


@pytest.mark.parametrize(("reports_token", "says"), [
    (None, "secret 'reports_token' is not set"),
    ({"value": "t0ken-from-the-vault", "models_may_use": False}, "secret 'reports_token' is not one a model may use"),
])
def test_a_spiff_secret_that_is_missing_or_not_for_models_is_an_incident_naming_it(
        client, admin, deploy_for, start, drain, action_server, worker_runtime, reports_token, says):
    if reports_token is not None:
        client.put("/api/v1/secrets/reports_token", json=reports_token, headers=admin)
    others = {name: value for name, value in SECRETS.items() if name != "reports_token"}

    done = _run_with_secrets(client, admin, deploy_for, start, drain, action_server, others)

    [incident] = done["incidents"]
    assert says in incident["message"]
    assert action_server.calls("/reports") == []
