"""What the README promises about webhook deliveries: up to 6 attempts (the first and 5 retries)."""

import sqlalchemy as sa

from flowdesk.engine.process import job_results, jobs
from flowdesk.engine.process.job_results import Outcome
from flowdesk.engine.models import Job


def test_a_failing_delivery_is_attempted_six_times_then_failed(client, admin, deploy, start, runtime, clock):
    created = client.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/h", "events": ["instance.started"]},
                          headers=admin)
    assert created.status_code == 201, created.get_json()
    deploy("simple_user_task.bpmn")
    start("simple_user_task")
    with runtime.uow() as uow:
        job_id = uow.session.scalar(sa.select(Job.id).where(Job.kind == "webhook"))

    attempts = 0
    while (claimed := jobs.claim(runtime, job_id)) is not None:
        attempts += 1
        job_results.finish(runtime, job_id, claimed.attempt, Outcome("response", status_code=500))
        clock.advance(hours=1)  # past any backoff

    assert attempts == 6
    [delivery] = client.get(f"/api/v1/webhooks/{created.get_json()['id']}/deliveries", headers=admin).get_json()["items"]
    assert (delivery["status"], delivery["attempts"]) == ("failed", 6)
