"""The served OpenAPI document tells the truth: what every operation answers is what it documents.

Every operation is called with generated requests (as the admin, and without credentials) and
each answer's status code, content type, headers and body are checked against the document; a
core loop with real data (deploy, start, inbox, claim, complete, external tasks, messages)
checks the success answers too.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from flowdesk.engine.store import external_task_waits

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
REQUESTS_PER_OPERATION = 6


@pytest.fixture(params=["sqlite"])
def backend(request):
    """The document is the same whichever database answers."""
    return request.param


@pytest.fixture(autouse=True)
def short_long_polls(monkeypatch):
    """Generated fetches ask to wait up to 30 minutes when nothing is available: cap the wait."""
    monkeypatch.setattr(external_task_waits, "MAX_WAIT_MS", 20)


@pytest.fixture
def spec(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _failure(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip() and "curl" not in line]
    return "\n".join(lines[:8])


@pytest.mark.parametrize("credentials", ["admin", "none"])
def test_every_operation_answers_as_documented(spec, admin, deploy, start, credentials, conforms):
    deploy("simple_user_task.bpmn")
    start("simple_user_task", business_key="contract")
    # Plain bytes: schemathesis asks for gzip but its WSGI transport does not decode it
    # (compression has its own tests in test_delivery.py).
    headers = {**(admin if credentials == "admin" else {}), "Accept-Encoding": "identity"}
    sent, failures = 0, {}
    for result in spec.get_all_operations():
        operation = result.ok()

        @seed(20261207)
        @settings(max_examples=REQUESTS_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            nonlocal sent
            response = case.call(headers=headers)
            sent += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except BaseException as exc:  # noqa: BLE001 - collected and reported together below
                failures.setdefault(operation.label, _failure(exc))

        exercise()
    assert sent >= len(list(spec.get_all_operations())) * 2
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())


def test_core_loop_answers_match_the_document(spec, client, admin, deploy, make_user, conforms):
    def call(method: str, path: str, documented: str | None = None, **kwargs):
        response = getattr(client, method)(path, headers=kwargs.pop("headers", admin), **kwargs)
        conforms(spec, documented or path.split("?")[0], method, response)
        return response

    deploy("external_invoice.bpmn")
    deploy("simple_user_task.bpmn")
    call("get", "/api/v1/definitions")
    call("get", "/api/v1/definitions/external_invoice", "/api/v1/definitions/{process_key}")
    started = call("post", "/api/v1/processes/external_invoice/instances", "/api/v1/processes/{process_key}/instances",
                   json={"variables": {"amount": 3}, "business_key": "c-1"}).get_json()
    call("get", f"/api/v1/instances/{started['id']}", "/api/v1/instances/{instance_id}")
    call("get", "/api/v1/instances?process_key=external_invoice", "/api/v1/instances")
    worker = make_user("contract-worker", "system")
    [task] = call("post", "/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w", "topics": [{"topic_name": "payments", "lock_duration": 1000}]}).get_json()
    call("post", f"/api/v1/external-tasks/{task['id']}/extend-lock", "/api/v1/external-tasks/{task_id}/extend-lock",
         headers=worker, json={"worker_id": "w", "new_duration": 5000})
    call("post", f"/api/v1/external-tasks/{task['id']}/bpmn-error", "/api/v1/external-tasks/{task_id}/bpmn-error",
         headers=worker, json={"worker_id": "w", "error_code": "payment_declined", "variables": {"why": "x"}})
    inbox = call("get", "/api/v1/tickets").get_json()
    ticket = inbox["items"][0]
    call("get", f"/api/v1/tickets/{ticket['id']}", "/api/v1/tickets/{ticket_id}")
    call("post", f"/api/v1/tickets/{ticket['id']}/claim", "/api/v1/tickets/{ticket_id}/claim")
    call("post", f"/api/v1/tickets/{ticket['id']}/complete", "/api/v1/tickets/{ticket_id}/complete",
         json={"data": {}})
    call("post", "/api/v1/messages", json={"name": "nobody_waits"})
    call("get", "/api/v1/incidents")


def test_the_checks_catch_an_answer_that_breaks_the_document(spec, client, admin, conforms):
    """Not vacuous: an error sent with another content type, or a body of the wrong shape, fails."""
    path = "/api/v1/instances/{instance_id}"
    response = client.get("/api/v1/instances/nope", headers=admin)
    conforms(spec, path, "get", response)
    response.headers["Content-Type"] = "application/json"
    with pytest.raises(AssertionError):
        conforms(spec, path, "get", response)
    lying = client.get("/api/v1/instances/nope", headers=admin)
    lying.set_data(b'{"code": 404, "status": "Not Found", "message": "no"}')
    with pytest.raises(BaseException):  # noqa: B017 - schemathesis raises a group of failures
        conforms(spec, path, "get", lying)


def test_every_operation_has_a_unique_operation_id_and_the_document_its_version(client):
    import flowdesk

    document = client.get("/api/openapi.json").get_json()
    ids = [operation["operationId"] for item in document["paths"].values()
           for method, operation in item.items() if method != "parameters"]
    assert len(ids) == len(set(ids))
    assert document["info"]["version"] == flowdesk.__version__
    assert document["info"]["license"]["name"] == "Apache-2.0"
    assert document["servers"]


def test_headers_the_api_reads_and_sends_are_declared(client):
    complete = client.get("/api/openapi.json").get_json()["paths"]["/api/v1/tickets/{ticket_id}/complete"]["post"]
    assert {p["name"] for p in complete["parameters"] if p["in"] == "header"} == {"Idempotency-Key", "If-Match"}
    assert "Idempotent-Replayed" in complete["responses"]["200"]["headers"]
    assert "Retry-After" in complete["responses"]["503"]["headers"]
