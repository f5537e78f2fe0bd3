"""What the README promises about webhook deliveries: up to 6 attempts (the first and 5 retries), and
`incident.created` when an action gives up."""

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


def test_an_action_that_gives_up_tells_incident_created_subscribers(client, admin, runtime, single_action_job, clock):
    created = client.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/h", "events": ["incident.created"]},
                          headers=admin)
    assert created.status_code == 201, created.get_json()
    claimed = jobs.claim(runtime, single_action_job(retries=0))

    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=500))

    with runtime.uow() as uow:
        [body] = uow.session.scalars(sa.select(Job.request).where(Job.kind == "webhook")).all()
    [incident] = client.get("/api/v1/incidents", headers=admin).get_json()["items"]
    assert body["event"] == "incident.created"
    assert body["data"] == {"incident_id": incident["id"], "instance_id": incident["instance_id"],
                            "element_id": "call", "message": incident["message"]}

