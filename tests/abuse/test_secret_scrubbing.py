"""Item 6 of the security review: a secret used in an action URL never reaches incident text, job
attempts or webhooks, whatever form (case, percent- or IDNA-encoding) the HTTP client gave it."""

from pathlib import Path

import pytest

from flowdesk.engine.process import job_results, jobs
from flowdesk.engine.store import tenancy
from flowdesk.workers import actions

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def run_action(client, admin, runtime):
    """``run_action(url, secret)`` deploys single_action with ``url``, sets secret ``part``, runs one
    attempt as a worker does and returns everything a modeler or auditor can read about it."""
    def run(url: str, secret: str) -> str:
        assert client.put("/api/v1/secrets/part", json={"value": secret}, headers=admin).status_code in (200, 201)
        model = (DATA / "single_action.bpmn").read_text().replace("{{url}}", url)
        model = model.replace("{{timeout}}", "5").replace("{{retries}}", "0").encode()
        assert client.post("/api/v1/definitions", data=model, content_type="application/xml",
                           headers=admin).status_code == 201
        started = client.post("/api/v1/processes/single_action/instances", json={}, headers=admin).get_json()
        [job] = started["jobs"]
        runtime.action_allow_hosts = ("127.0.0.1",)
        claimed = jobs.claim(runtime, job["id"])
        with tenancy.acting_for(claimed.tenant_id):
            outcome = actions.attempt(runtime, claimed)
        job_results.finish(runtime, job["id"], claimed.attempt, outcome)
        texts = [client.get(f"/api/v1/jobs/{job['id']}", headers=admin).get_data(as_text=True),
                 client.get("/api/v1/incidents", headers=admin).get_data(as_text=True),
                 client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_data(as_text=True)]
        assert "{{secret:part}}" in texts[1]  # the incident names the URL as modelled
        return "\n".join(texts)
    return run


def test_a_secret_host_is_not_shown_percent_encoded(run_action):
    text = run_action("http://{{secret:part}}.example/x", "Acme Tenant")
    assert "acme" not in text.lower()


def test_a_secret_path_echoed_in_a_redirect_is_not_shown(run_action, action_server):
    action_server.routes["/Tok%20En"] = lambda r: (302, b"", {"Location": "/tok%20en/next"})
    text = run_action(action_server.url + "/{{secret:part}}", "Tok En")
    assert "redirect" in text
    assert "tok" not in text.lower()
