"""The unmodified camunda-external-task-client-js worker (run with node) against a served flowdesk.

The package is installed from the npm registry into a cache per test session; without node or
npm (or the registry) the test is skipped with the reason, except in CI where it fails.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).parent / "js"


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"the JS worker test needs node and npm in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def js_worker(tmp_path_factory) -> Path:
    """A directory with worker.mjs and its node_modules (npm install of the pinned client)."""
    if not (shutil.which("node") and shutil.which("npm")):
        _unavailable("node or npm is not installed")
    directory = tmp_path_factory.mktemp("js-worker")
    for name in ("package.json", "worker.mjs"):
        shutil.copy(JS / name, directory / name)
    installed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=directory,
                               capture_output=True, text=True, timeout=300)
    if installed.returncode != 0:
        _unavailable(f"npm install failed: {installed.stderr.strip()[:300]}")
    return directory


def test_js_worker_completes_fails_and_raises_bpmn_errors(js_worker, served, worker_key, client, admin, deploy,
                                                           start):
    deploy("external_invoice.bpmn")
    ids = {mode: start("external_invoice", {"amount": 1, "mode": mode})["id"] for mode in ("complete", "fail", "error")}
    run = subprocess.run(["node", "worker.mjs", served.engine_rest, "payments-worker", worker_key, "3"],
                         cwd=js_worker, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(line.split()[0] for line in run.stdout.splitlines()) == ["complete", "error", "fail"]

    def instance(mode):
        return client.get(f"/api/v1/instances/{ids[mode]}", headers=admin).get_json()

    completed = instance("complete")
    assert completed["status"] == "completed"
    assert completed["variables"]["charged"] is True
    assert completed["variables"]["receipt"] == {"id": "r-1"}
    [incident] = instance("fail")["incidents"]
    assert "card reader down" in incident["message"]
    declined = instance("error")
    assert declined["variables"]["decline_reason"] == "expired"
    assert [t["element_id"] for t in declined["open_tickets"]] == ["call_customer"]
