"""The embedded default: jobs run on in-process worker threads, no Redis needed."""

import time
from datetime import datetime, timezone
from pathlib import Path

from flowdesk.config import Settings
from flowdesk.server import build
from flowdesk.workers import context

DATA = Path(__file__).parent.parent / "data"


def test_service_task_runs_in_process(tmp_path, action_server, master_key):
    action_server.routes["/reserve"] = lambda r: (200, {"reserved": r["json"]["quantity"]}, {})
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'embedded.sqlite3'}", admin_key="fd_embedded_admin_key",
                        secret_key=master_key.decode(), action_allow="127.0.0.1")
    app, runtime = build(settings)
    try:
        client, admin = app.test_client(), {"Authorization": "Bearer fd_embedded_admin_key"}
        template = (DATA / "single_action.bpmn").read_text()
        model = template.replace("{{url}}", f"{action_server.url}/reserve").replace("{{timeout}}", "5").replace(
            "{{retries}}", "0")
        assert client.post("/api/v1/definitions", data=model.encode(), content_type="application/xml",
                           headers=admin).status_code == 201
        started = client.post("/api/v1/processes/single_action/instances", json={"variables": {"quantity": 3}},
                              headers=admin).get_json()

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            instance = client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()
            if instance["status"] == "completed":
                break
            time.sleep(0.05)
        assert instance["status"] == "completed"
        assert instance["variables"]["answer"] == {"reserved": 3}
    finally:
        runtime.close()
        context.use(None)


def test_timer_fires_on_time_in_embedded_mode(tmp_path, master_key):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'timers.sqlite3'}", admin_key="fd_embedded_admin_key",
                        secret_key=master_key.decode())
    app, runtime = build(settings)
    try:
        client, admin = app.test_client(), {"Authorization": "Bearer fd_embedded_admin_key"}
        model = (DATA / "waiting_events.bpmn").read_text().replace("PT10M", "PT1S")
        assert client.post("/api/v1/definitions", data=model.encode(), content_type="application/xml",
                           headers=admin).status_code == 201
        started = client.post("/api/v1/processes/reminder/instances", json={}, headers=admin).get_json()
        due = datetime.fromisoformat(started["next_timer_at"])

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            instance = client.get(f"/api/v1/instances/{started['id']}", headers=admin).get_json()
            if instance["open_tickets"]:
                break
            time.sleep(0.05)
        fired_at = datetime.now(timezone.utc)
        assert [t["element_id"] for t in instance["open_tickets"]] == ["follow_up"]
        assert (fired_at - due).total_seconds() < 1.5
    finally:
        runtime.close()
        context.use(None)
