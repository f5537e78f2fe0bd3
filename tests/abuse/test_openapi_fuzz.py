"""schemathesis against the served OpenAPI: generated requests never cause a server error or break the schema.

The seed is fixed so a failure reproduces; the number of requests is counted, not assumed.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from flowdesk.engine.store import external_task_waits

REQUESTS_PER_OPERATION = 40
MINIMUM_REQUESTS = 2000


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.fixture(autouse=True)
def short_long_polls(monkeypatch):
    """Generated fetches ask to wait up to 30 minutes when nothing is available: cap the wait."""
    monkeypatch.setattr(external_task_waits, "MAX_WAIT_MS", 20)


def test_generated_requests_cause_no_server_error_or_schema_violation(app, admin, deploy, start):
    deploy("simple_user_task.bpmn")
    start("simple_user_task", business_key="fuzz")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    sent = []
    failures: dict[str, str] = {}

    for operation in _operations(schema):
        @seed(20261122)
        @settings(max_examples=REQUESTS_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            # Plain bytes: the WSGI transport does not undo gzip (tests/api/test_delivery.py checks it).
            response = case.call(headers={**admin, "Accept-Encoding": "identity"})
            sent.append(operation.label)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except BaseException as exc:  # noqa: BLE001 - collected and reported together below
                # One entry per operation and kind of failure, so a report stays readable.
                text = str(exc)
                kind = next((line.strip() for line in text.splitlines() if line.strip().startswith("- ")), text[:80])
                failures.setdefault(f"{operation.label} {kind}", text[:1200])

        exercise()

    print(f"{len(sent)} requests over {len(set(sent))} operations")
    assert len(sent) >= MINIMUM_REQUESTS, f"only {len(sent)} requests generated"
    assert not failures, "\n\n".join(f"{key}\n{text}" for key, text in failures.items())


def test_nul_character_in_body_is_refused_and_stores_nothing(client, admin):
    response = client.post("/api/v1/me/filters", json={"name": "a\x00b", "query": {}}, headers=admin)
    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_text"
    assert client.get("/api/v1/me/filters", headers=admin).get_json()["items"] == []


def test_lone_surrogate_in_body_is_refused(client, admin):
    response = client.post("/api/v1/messages", data='{"name": "\\udb48"}', content_type="application/json",
                           headers=admin)
    assert response.status_code == 400
    assert "surrogate" in response.get_json()["detail"]


def test_nul_character_in_path_is_refused(client, admin):
    response = client.get("/api/v1/instances/abc%00def", headers=admin)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
