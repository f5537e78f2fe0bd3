"""Retention: history past its time is removed in batches, old finished instances are archived."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from flowdesk.cli import main
from flowdesk.engine.process import retention
from flowdesk.engine.models import (
    AuditEvent,
    DefinitionVersion,
    Instance,
    Job,
    JobAttempt,
    Message,
    Ticket,
    TicketAssignment,
    TicketProgression,
)
from flowdesk.engine.process.scheduler import run_round

DATA = Path(__file__).parent.parent / "data"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
OLD = NOW - timedelta(days=91)  # past the default 90 days
RECENT = NOW - timedelta(days=89)


def with_retention(name: str, process_id: str, days: str) -> bytes:
    """``name`` from tests/data with a camunda ``retention_days`` property on process ``process_id``."""
    content = (DATA / name).read_bytes()
    start = content.index(f'<bpmn:process id="{process_id}"'.encode())
    end = content.index(b">", start) + 1
    prop = (b'<bpmn:extensionElements><camunda:properties><camunda:property name="retention_days" value="'
            + days.encode() + b'" /></camunda:properties></bpmn:extensionElements>')
    return content[:end] + prop + content[end:]


@pytest.fixture(autouse=True)
def clock(runtime):
    runtime.clock = lambda: NOW
    return runtime.clock


def _add(runtime, *rows):
    with runtime.uow() as uow:
        uow.session.add_all(rows)
        uow.commit()


def _count(runtime, model, *where) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _set(runtime, model, *where, **values):
    with runtime.uow() as uow:
        uow.session.execute(sa.update(model).where(*where).values(**values))
        uow.commit()


def _audit(when, instance_id=None):
    return AuditEvent(action="test.event", actor=None, detail={}, created_at=when, instance_id=instance_id)


def _webhook(status, finished_at, instance_id=None):
    return Job(kind="webhook", status=status, request={}, finished_at=finished_at, created_at=finished_at or NOW,
               updated_at=NOW, next_attempt_at=NOW, instance_id=instance_id)


def _message(status, when):
    return Message(kind="message", name="paid", status=status, created_at=when)


def _cleanup(runtime, batch_size=500, dry_run=False):
    return retention.cleanup(runtime, runtime.clock(), batch_size, dry_run=dry_run)


@pytest.fixture
def finished(client, admin, deploy, start):
    """A completed simple_user_task instance (its ticket has created/claimed/completed progressions)."""
    deploy("simple_user_task.bpmn")
    instance = start("simple_user_task")
    response = client.post(f"/api/v1/tickets/{instance['open_tickets'][0]['id']}/complete", json={"data": {}},
                           headers=admin)
    assert response.get_json()["instance"]["status"] == "completed"
    return instance


def test_audit_events_past_retention_are_removed_and_younger_ones_kept(runtime):
    _add(runtime, _audit(OLD), _audit(OLD), _audit(RECENT))

    report = _cleanup(runtime)

    assert report.audit_events == 2
    assert _count(runtime, AuditEvent) == 1


def test_ticket_progressions_past_retention_are_removed(runtime, finished):
    progressions = _count(runtime, TicketProgression)
    _set(runtime, TicketProgression, created_at=OLD)

    report = _cleanup(runtime)

    assert progressions > 0 and report.ticket_progressions == progressions
    assert _count(runtime, TicketProgression) == 0


def test_finished_webhook_deliveries_past_retention_are_removed_and_pending_ones_kept(runtime):
    _add(runtime, _webhook("succeeded", OLD), _webhook("failed", OLD), _webhook("succeeded", RECENT),
         _webhook("pending", None))
    _set(runtime, Job, created_at=OLD)

    report = _cleanup(runtime)

    assert report.webhook_deliveries == 2
    assert sorted(j.status for j in _jobs(runtime)) == ["pending", "succeeded"]


def _jobs(runtime):
    with runtime.uow() as uow:
        return list(uow.session.scalars(sa.select(Job)))


def test_job_attempts_of_finished_jobs_past_retention_are_removed(runtime):
    done, waiting = _webhook("succeeded", RECENT), _webhook("pending", None)
    _add(runtime, done, waiting)
    _add(runtime, JobAttempt(job_id=done.id, number=1, started_at=OLD), JobAttempt(job_id=done.id, number=2,
                                                                                     started_at=RECENT),
         JobAttempt(job_id=waiting.id, number=1, started_at=OLD))

    report = _cleanup(runtime)

    assert report.job_attempts == 1
    assert _count(runtime, JobAttempt) == 2


def test_handled_messages_past_retention_are_removed_and_buffered_ones_kept(runtime):
    _add(runtime, _message("delivered", OLD), _message("expired", OLD), _message("undelivered", OLD),
         _message("buffered", OLD), _message("pending", OLD), _message("delivered", RECENT))

    report = _cleanup(runtime)

    assert report.messages == 3
    assert _count(runtime, Message) == 3


def test_messages_follow_the_retention_of_their_instance_process(runtime, client, admin, deploy, start):
    for days in ("7", "365"):
        process = "two_step" if days == "7" else "simple_user_task"
        name = "two_step.bpmn" if days == "7" else "simple_user_task.bpmn"
        response = client.post("/api/v1/definitions", data=with_retention(name, process, days),
                               content_type="application/xml", headers=admin)
        assert response.status_code == 201
    short, long = start("two_step"), start("simple_user_task")
    ten_days_ago = NOW - timedelta(days=10)
    thrown_by_short = Message(kind="message", name="a", status="delivered", created_at=ten_days_ago,
                              source_instance_id=short["id"])
    sent_to_short = Message(kind="message", name="b", status="delivered", created_at=ten_days_ago,
                            instance_id=short["id"])
    sent_to_long = Message(kind="message", name="c", status="delivered", created_at=OLD, instance_id=long["id"])
    unrelated_recent, unrelated_old = _message("delivered", ten_days_ago), _message("delivered", OLD)
    _add(runtime, thrown_by_short, sent_to_short, sent_to_long, unrelated_recent, unrelated_old)

    report = _cleanup(runtime)

    assert report.messages == 3
    with runtime.uow() as uow:
        kept = sorted(uow.session.scalars(sa.select(Message.name).order_by(Message.name)))
    assert kept == ["c", "paid"]  # the 365-day process keeps its message; the recent global one stays


def test_assignment_decisions_past_retention_are_removed(runtime, finished):
    with runtime.uow() as uow:
        ticket_id = uow.session.scalar(sa.select(Ticket.id).where(Ticket.instance_id == finished["id"]))
    _add(runtime, TicketAssignment(ticket_id=ticket_id, instance_id=finished["id"], rule="manual", reason="old",
                                   created_at=OLD),
         TicketAssignment(ticket_id=ticket_id, instance_id=finished["id"], rule="manual", reason="new",
                          created_at=RECENT))

    report = _cleanup(runtime)

    assert report.ticket_assignments == 1
    with runtime.uow() as uow:
        assert list(uow.session.scalars(sa.select(TicketAssignment.reason))) == ["new"]


def test_a_process_retention_property_overrides_the_global_setting(runtime, client, admin, deploy, start):
    response = client.post("/api/v1/definitions", data=with_retention("two_step.bpmn", "two_step", "7"),
                           content_type="application/xml", headers=admin)
    assert response.status_code == 201
    deploy("simple_user_task.bpmn")
    short, default = start("two_step"), start("simple_user_task")
    ten_days_ago = NOW - timedelta(days=10)
    _set(runtime, AuditEvent, created_at=ten_days_ago)
    _set(runtime, TicketProgression, created_at=ten_days_ago)

    _cleanup(runtime)

    assert _count(runtime, AuditEvent, AuditEvent.instance_id == short["id"]) == 0
    assert _count(runtime, TicketProgression, TicketProgression.instance_id == short["id"]) == 0
    assert _count(runtime, AuditEvent, AuditEvent.instance_id == default["id"]) > 0
    assert _count(runtime, TicketProgression, TicketProgression.instance_id == default["id"]) > 0


def test_the_retention_property_is_stored_with_the_version(runtime, client, admin):
    client.post("/api/v1/definitions", data=with_retention("two_step.bpmn", "two_step", "30"),
                content_type="application/xml", headers=admin)

    with runtime.uow() as uow:
        assert uow.session.scalar(sa.select(DefinitionVersion.retention_days)) == 30


def test_changing_only_the_retention_property_makes_a_new_version(client, admin, deploy):
    deploy("two_step.bpmn")

    response = client.post("/api/v1/definitions", data=with_retention("two_step.bpmn", "two_step", "30"),
                           content_type="application/xml", headers=admin)

    assert response.status_code == 201
    assert response.get_json()[0]["version"] == 2


@pytest.mark.parametrize("value", ["soon", "-3", "1.5", ""])
def test_a_retention_property_that_is_not_whole_days_is_refused_at_deploy(client, admin, value):
    response = client.post("/api/v1/definitions", data=with_retention("two_step.bpmn", "two_step", value),
                           content_type="application/xml", headers=admin)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["element_id"] == "two_step"
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_cleanup_deletes_in_batches_of_at_most_batch_size_rows(runtime):
    _add(runtime, *[_audit(OLD) for _ in range(5)])
    commits = []
    sa.event.listen(runtime.db, "commit", lambda connection: commits.append(1))

    report = _cleanup(runtime, batch_size=2)

    assert report.audit_events == 5 and report.batches == 3
    assert len(commits) == 3
    assert _count(runtime, AuditEvent) == 0


def test_old_finished_instances_are_archived_and_keep_their_row(runtime, client, admin, finished):
    _set(runtime, Instance, completed_at=OLD)

    report = _cleanup(runtime)

    assert report.archived_instances == 1
    with runtime.uow() as uow:
        row = uow.session.get(Instance, finished["id"])
        assert row.state == {} and row.archived_at == NOW
    body = client.get(f"/api/v1/instances/{finished['id']}", headers=admin).get_json()
    assert body["status"] == "completed" and body["archived_at"] is not None
    assert body["history"] == [] and body["variables"] == finished["variables"]
    ticket = client.get(f"/api/v1/tickets/{finished['open_tickets'][0]['id']}", headers=admin)
    assert ticket.status_code == 200 and ticket.get_json()["status"] == "completed"


def test_commands_on_an_archived_instance_are_409(runtime, client, admin, finished):
    _set(runtime, Instance, completed_at=OLD)
    _cleanup(runtime)

    for action, body in (("cancel", {}), ("suspend", {}), ("migrate", {"version": 1})):
        response = client.post(f"/api/v1/instances/{finished['id']}/{action}", json=body, headers=admin)
        assert response.status_code == 409, action
        assert response.mimetype == "application/problem+json"


def test_running_and_recently_finished_instances_are_not_archived(runtime, client, admin, deploy, start, finished):
    running = start("simple_user_task")
    _set(runtime, Instance, Instance.id == running["id"], created_at=OLD, updated_at=OLD)
    _set(runtime, Instance, Instance.id == finished["id"], completed_at=RECENT)

    report = _cleanup(runtime)

    assert report.archived_instances == 0
    with runtime.uow() as uow:
        assert all(row.archived_at is None and row.state for row in uow.session.scalars(sa.select(Instance)))
    assert client.get(f"/api/v1/instances/{running['id']}", headers=admin).get_json()["status"] == "running"


def test_a_dry_run_counts_and_changes_nothing(runtime, finished):
    _set(runtime, Instance, completed_at=OLD)
    _set(runtime, AuditEvent, created_at=OLD)
    _add(runtime, _message("delivered", OLD))
    events = _count(runtime, AuditEvent)

    report = _cleanup(runtime, dry_run=True)

    assert (report.audit_events, report.messages, report.archived_instances) == (events, 1, 1)
    assert report.batches == 0
    assert _count(runtime, AuditEvent) == events and _count(runtime, Message) == 1
    assert _count(runtime, Instance, Instance.archived_at.is_not(None)) == 0


def test_zero_retention_days_keeps_everything(runtime, finished):
    runtime.retention_days = 0
    _set(runtime, Instance, completed_at=OLD)
    _set(runtime, AuditEvent, created_at=OLD)

    assert _cleanup(runtime).total == 0


def test_the_scheduler_cleans_up_at_most_once_an_hour(runtime):
    now = [NOW]
    runtime.clock = lambda: now[0]
    run_round(runtime)
    _add(runtime, _audit(OLD))

    run_round(runtime)
    kept = _count(runtime, AuditEvent)
    now[0] += timedelta(minutes=61)
    run_round(runtime)

    assert kept == 1
    assert _count(runtime, AuditEvent) == 0


def test_the_cleanup_command_removes_and_reports(runtime, monkeypatch, tmp_path):
    _add(runtime, *[_audit(NOW - timedelta(days=200)) for _ in range(3)])
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", runtime.database_url)
    monkeypatch.setenv("FLOWDESK_AUTO_MIGRATE", "false")
    monkeypatch.setenv("FLOWDESK_SECRET_KEY", "cli-test-secret")
    monkeypatch.chdir(tmp_path)

    dry = CliRunner().invoke(main, ["cleanup", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0 and "would remove 3 audit events" in dry.output
    assert _count(runtime, AuditEvent) == 3
    done = CliRunner().invoke(main, ["cleanup", "--batch-size", "2"], catch_exceptions=False)
    assert done.exit_code == 0 and "removed 3 audit events" in done.output
    assert _count(runtime, AuditEvent) == 0


def test_the_cleanup_command_refuses_a_batch_size_below_one(runtime, monkeypatch, tmp_path):
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", runtime.database_url)
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(main, ["cleanup", "--batch-size", "0"])

    assert result.exit_code == 2
