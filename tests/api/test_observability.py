"""What operators watch: /ready, /metrics and request ids."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST

from flowdesk import logs
from flowdesk.engine.process import job_dispatch, job_results, jobs, retention
from flowdesk.engine.process.job_results import Outcome
from flowdesk.engine.models import Job, JobAttempt, Ticket


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
    assert 'flowdesk_http_request_duration_seconds_count{endpoint="/api/v1/processes/<process_key>/instances"' in text
    assert 'flowdesk_open_tickets{group="agents"} 1.0' in text
    assert 'flowdesk_instances{process_key="two_step",status="running"} 1.0' in text
    assert "flowdesk_open_incidents 0.0" in text


def test_metrics_content_type_names_its_charset_once(client):
    # Prometheus 3 refuses a scrape whose Content-Type repeats a parameter.
    content_type = client.get("/metrics").headers["Content-Type"]
    assert content_type == CONTENT_TYPE_LATEST
    assert content_type.count("charset") == 1


def test_metrics_include_the_process_metrics(client):
    text = client.get("/metrics").get_data(as_text=True)
    assert "process_cpu_seconds_total" in text
    assert "process_resident_memory_bytes" in text


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


def test_json_log_lines_carry_what_the_call_passed_as_extra():
    # The hourly cleanup logs what it removed this way.
    record = logging.LogRecord("flowdesk.engine.process.retention", logging.INFO, __file__, 1, "retention cleanup", (), None)
    record.report = {"job_attempts": 3}

    line = json.loads(logs.JsonFormatter().format(record))

    assert line["report"] == {"job_attempts": 3}
    assert line["message"] == "retention cleanup" and line["time"].endswith("+00:00")


def test_json_log_lines_carry_no_terminal_colours():
    # werkzeug's request log colours a 404 yellow with ANSI escapes when it writes to a terminal.
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("\x1b[33mGET /nowhere HTTP/1.1\x1b[0m", "404", "-"), None)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == '"GET /nowhere HTTP/1.1" 404 -'


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


def test_metrics_show_job_queue_depth_and_age(client, runtime):
    now = runtime.clock()
    with runtime.uow() as uow:
        uow.session.add(Job(kind="webhook", status="pending", request={}, next_attempt_at=now - timedelta(seconds=90),
                            created_at=now - timedelta(seconds=120), updated_at=now))
        uow.commit()
    runtime.queue.depth = lambda: 3

    text = client.get("/metrics").get_data(as_text=True)

    assert "flowdesk_job_queue_depth 3.0" in text
    assert _value(text, "flowdesk_job_queue_age_seconds") >= 90
    assert _value(text, "flowdesk_oldest_pending_job_seconds") >= 120


def _webhook_job(runtime) -> str:
    with runtime.uow() as uow:
        job = Job(kind="webhook", status="pending", request={"url": "http://127.0.0.1:9/hook"},
                  next_attempt_at=runtime.clock())
        uow.session.add(job)
        uow.commit()
        return job.id


def _attempt(runtime, clock, job_id, host, status_code) -> None:
    """One attempt of ``job_id`` by worker ``host`` that the action answered with ``status_code``."""
    clock.advance(minutes=10)  # past any retry backoff
    claimed = jobs.claim(runtime, job_id, worker=host)
    job_results.finish(runtime, job_id, claimed.attempt, Outcome("response", status_code=status_code))


@pytest.fixture
def attempts_by_two_hosts(runtime, clock):
    """host-a: a failed attempt, then a succeeded one (of one job); host-b: an attempt it lost."""
    retried = _webhook_job(runtime)
    _attempt(runtime, clock, retried, "host-a", 500)
    _attempt(runtime, clock, retried, "host-a", 200)
    abandoned = _webhook_job(runtime)
    jobs.claim(runtime, abandoned, worker="host-b")
    clock.advance(minutes=10)  # past the lease: the dispatcher takes the attempt as lost
    job_dispatch.dispatch_due(runtime)
    return retried, abandoned


def test_metrics_count_job_attempts_and_failures_by_host(client, attempts_by_two_hosts):
    text = client.get("/metrics").get_data(as_text=True)

    assert 'flowdesk_job_attempts_total{host="host-a",outcome="failed"} 1.0' in text
    assert 'flowdesk_job_attempts_total{host="host-a",outcome="succeeded"} 1.0' in text
    assert 'flowdesk_job_attempts_total{host="host-b",outcome="lost"} 1.0' in text
    assert 'flowdesk_job_failures_total{host="host-a"} 1.0' in text
    assert 'flowdesk_job_failures_total{host="host-b"} 1.0' in text
    assert "# TYPE flowdesk_job_attempts_total counter" in text
    assert "# TYPE flowdesk_job_failures_total counter" in text


def test_job_counters_do_not_drop_when_retention_removes_the_attempts(client, runtime, clock, attempts_by_two_hosts):
    _retried, abandoned = attempts_by_two_hosts
    before = _counters(client.get("/metrics").get_data(as_text=True))
    clock.advance(days=runtime.retention_days + 1)

    retention.cleanup(runtime, clock.now)

    with runtime.uow() as uow:
        kept = uow.session.scalars(sa.select(JobAttempt.job_id)).all()
    assert kept == [abandoned]  # the finished job's history went; the pending job keeps its own
    assert _counters(client.get("/metrics").get_data(as_text=True)) == before
    assert before['flowdesk_job_attempts_total{host="host-a",outcome="succeeded"}'] == 1


def test_instances_started_does_not_drop_when_retention_archives_them(client, admin, runtime, clock, deploy, start):
    deploy("two_step.bpmn")
    ticket = start("two_step")["open_tickets"][0]["id"]
    assert client.post(f"/api/v1/tickets/{ticket}/complete", json={"data": {"skip": True}},
                       headers=admin).status_code == 200
    clock.advance(days=runtime.retention_days + 1)

    assert retention.cleanup(runtime, clock.now).archived_instances == 1

    assert _counters(client.get("/metrics").get_data(as_text=True)) == {
        'flowdesk_instances_started_total{process_key="two_step"}': 1.0}


def test_a_late_report_of_a_lost_attempt_is_not_counted_twice(client, runtime, clock):
    job_id = _webhook_job(runtime)
    claimed = jobs.claim(runtime, job_id, worker="host-a")
    clock.advance(minutes=10)
    job_dispatch.dispatch_due(runtime)  # lost
    job_results.finish(runtime, job_id, claimed.attempt, Outcome("response", status_code=200))  # late

    counted = _counters(client.get("/metrics").get_data(as_text=True))

    assert {k: v for k, v in counted.items() if k.startswith("flowdesk_job_attempts_total")} == {
        'flowdesk_job_attempts_total{host="host-a",outcome="lost"}': 1.0}


def _counters(text: str) -> dict[str, float]:
    """Every ``*_total`` sample of the flowdesk metrics by name and labels."""
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if line.startswith("flowdesk_"))
    return {name: float(value) for name, value in samples if name.split("{")[0].endswith("_total")}


def test_metrics_show_how_late_the_oldest_unfired_timer_is(client, deploy, start, clock):
    deploy("waiting_events.bpmn")
    start("reminder")  # a ten-minute timer
    assert _value(client.get("/metrics").get_data(as_text=True), "flowdesk_timer_lateness_seconds") == 0
    clock.advance(minutes=15)

    lateness = _value(client.get("/metrics").get_data(as_text=True), "flowdesk_timer_lateness_seconds")

    assert lateness == 300  # on the runtime's clock, which the due time was set by


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


@pytest.fixture
def gunicorn_server(tmp_path):
    """The image's API command, two gunicorn worker processes, on a migrated SQLite file."""
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWDESK_", "PROMETHEUS_"))}
    env.update(FLOWDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'fd.sqlite3'}", FLOWDESK_AUTO_MIGRATE="false",
               FLOWDESK_ADMIN_KEY="fd_gunicorn_admin", FLOWDESK_SECRET_KEY="s" * 32)
    subprocess.run([str(bin_dir / "flowdesk"), "db", "upgrade"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", "python:flowdesk.gunicorn_conf", "--workers", "2",
                               "--bind", f"127.0.0.1:{port}", "flowdesk.wsgi:app"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _answers(base):
        assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not come up"
        time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=60)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_metrics_count_the_requests_of_every_gunicorn_worker(gunicorn_server):
    # httpx.get opens a new connection each time, so both workers answer some of these.
    before = [_health_count(httpx.get(f"{gunicorn_server}/metrics").text) for _ in range(6)]
    for _ in range(10):
        httpx.get(f"{gunicorn_server}/health")

    after = [_health_count(httpx.get(f"{gunicorn_server}/metrics").text) for _ in range(6)]

    assert len(set(before)) == 1 and len(set(after)) == 1, (before, after)
    assert after[0] - before[0] == 10


def _health_count(text: str) -> float:
    prefix = 'flowdesk_http_request_duration_seconds_count{endpoint="/health",method="GET",status="200"} '
    return sum(float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix))
