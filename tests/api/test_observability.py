"""What operators watch: /ready, /metrics and request ids."""

import json
import logging
from datetime import timedelta

import sqlalchemy as sa

from flowdesk import logs
from flowdesk.engine.models import Instance, Job, JobAttempt, Ticket


def test_ready_when_database_and_schema_are_fine(client):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["checks"]) == ("ready", {"database": "ok", "migrations": "ok", "queue": "ok"})
    assert "sandbox processes" in body["details"]["sandbox"]  # how modeler code is contained (docs/security.md)


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


def test_metrics_count_instances_started_completed_and_failed_by_process(client, admin, deploy, start):
    deploy("two_step.bpmn")
    first = start("two_step")
    start("two_step")
    ticket = first["open_tickets"][0]["id"]
    assert client.post(f"/api/v1/tickets/{ticket}/complete", json={"data": {"skip": True}},
                       headers=admin).status_code == 200

    text = client.get("/metrics").get_data(as_text=True)

    assert 'flowdesk_instances_started_total{process_key="two_step"} 2.0' in text
    assert 'flowdesk_instances{process_key="two_step",status="completed"} 1.0' in text
    assert 'flowdesk_instances{process_key="two_step",status="running"} 1.0' in text


def test_metrics_show_job_queue_depth_and_age_and_attempts_by_host(client, runtime):
    now = runtime.clock()
    with runtime.uow() as uow:
        waiting = Job(kind="webhook", status="pending", request={}, next_attempt_at=now - timedelta(seconds=90),
                      created_at=now - timedelta(seconds=120), updated_at=now)
        done = Job(kind="webhook", status="succeeded", request={}, next_attempt_at=now, created_at=now,
                   updated_at=now)
        uow.session.add_all([waiting, done])
        uow.session.flush()
        uow.session.add_all([
            JobAttempt(job_id=done.id, number=1, worker="host-a", outcome="failed", started_at=now),
            JobAttempt(job_id=done.id, number=2, worker="host-a", outcome="succeeded", started_at=now),
            JobAttempt(job_id=done.id, number=3, worker="host-b", outcome="lost", started_at=now)])
        uow.commit()
    runtime.queue.depth = lambda: 3

    text = client.get("/metrics").get_data(as_text=True)

    assert "flowdesk_job_queue_depth 3.0" in text
    assert _value(text, "flowdesk_job_queue_age_seconds") >= 90
    assert _value(text, "flowdesk_oldest_pending_job_seconds") >= 120
    assert 'flowdesk_job_attempts{host="host-a",outcome="failed"} 1.0' in text
    assert 'flowdesk_job_attempts{host="host-a",outcome="succeeded"} 1.0' in text
    assert 'flowdesk_job_failures{host="host-a"} 1.0' in text
    assert 'flowdesk_job_failures{host="host-b"} 1.0' in text


def test_metrics_show_how_late_the_oldest_unfired_timer_is(client, deploy, start, runtime):
    deploy("waiting_events.bpmn")
    instance = start("reminder")
    assert _value(client.get("/metrics").get_data(as_text=True), "flowdesk_timer_lateness_seconds") == 0
    with runtime.uow() as uow:
        uow.session.get(Instance, instance["id"]).next_timer_at = runtime.clock() - timedelta(minutes=5)
        uow.commit()

    lateness = _value(client.get("/metrics").get_data(as_text=True), "flowdesk_timer_lateness_seconds")

    assert 300 <= lateness < 400


def test_metrics_count_open_tickets_past_their_sla(client, deploy, start, runtime):
    deploy("two_step.bpmn")
    start("two_step")
    with runtime.uow() as uow:
        uow.session.execute(sa.update(Ticket).values(sla_breached_at=runtime.clock()))
        uow.commit()

    assert _value(client.get("/metrics").get_data(as_text=True), "flowdesk_sla_breached_tickets") == 1


def _value(text: str, name: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.split()[1])
