"""An archived instance has no state left: every command that would need it is 409, never a crash."""

from datetime import timedelta

import sqlalchemy as sa

from flowdesk.engine.process import job_results, jobs, retention
from flowdesk.engine.process.job_results import Outcome
from flowdesk.engine.models import Instance


def test_retrying_an_incident_of_an_archived_instance_is_409(runtime, client, admin, single_action_job, clock):
    claimed = jobs.claim(runtime, single_action_job(retries=0))
    job_results.finish(runtime, claimed.id, claimed.attempt, Outcome("response", status_code=500, body={}))
    [incident] = client.get("/api/v1/incidents", headers=admin).get_json()["items"]
    instance_id = incident["instance_id"]
    assert client.post(f"/api/v1/instances/{instance_id}/cancel", json={}, headers=admin).status_code == 200
    clock.advance(days=91)
    assert retention.cleanup(runtime, clock()).archived_instances == 1

    response = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)

    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert "archived" in response.get_json()["detail"]
    with runtime.uow() as uow:
        assert uow.session.scalar(sa.select(Instance.state).where(Instance.id == instance_id)) == {}
