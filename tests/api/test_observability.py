"""What operators watch: /ready, /metrics and request ids."""

import json
import logging

from flowdesk import logs


def test_ready_when_database_and_schema_are_fine(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready",
                                   "checks": {"database": "ok", "migrations": "ok", "queue": "ok"}}


def test_not_ready_is_503_with_retry_after(client, runtime, monkeypatch):
    monkeypatch.setattr(runtime.queue, "ping", lambda: (_ for _ in ()).throw(ConnectionError("redis down")))
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "redis down" in response.get_json()["checks"]["queue"]


def test_metrics_expose_requests_and_work_queues(client, admin, deploy, start):
    deploy("two_step.bpmn")
    start("two_step")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'flowdesk_http_request_seconds_count{endpoint="/api/v1/processes/<process_key>/instances"' in text
    assert 'flowdesk_open_tickets{group="agents"} 1.0' in text
    assert 'flowdesk_instances{process_key="two_step",status="running"} 1.0' in text
    assert "flowdesk_open_incidents 0.0" in text


def test_request_id_is_echoed_and_generated(client):
    assert client.get("/health", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    assert len(client.get("/health").headers["X-Request-Id"]) == 32


def test_log_lines_are_json_with_context_ids():
    record = logging.LogRecord("flowdesk.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    token = logs.request_id.set("req-1")
    try:
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.request_id.reset(token)
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-1"
    assert line["level"] == "INFO"
