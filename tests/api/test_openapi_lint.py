"""The served OpenAPI document passes Redocly's recommended ruleset (redocly.yaml): no errors,
no warnings.

The CLI is installed from the npm registry once per version into the venv (``node-tools/``);
later runs need no network. Without node and npm the test is skipped, saying so.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REDOCLY_VERSION = "2.77.0"
ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.prefix) / "node-tools"
NEVER_4XX = {"/health", "/ready"}


@pytest.fixture(params=["sqlite"])
def backend(request):
    """The document is the same whichever database answers."""
    return request.param


@pytest.fixture(scope="session")
def redocly() -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed: the OpenAPI lint runs @redocly/cli on node")
    home = TOOLS / f"redocly-cli-{REDOCLY_VERSION}"
    binary = home / "node_modules" / ".bin" / "redocly"
    TOOLS.mkdir(parents=True, exist_ok=True)
    with open(TOOLS / ".install.lock", "w") as lock:  # pytest-xdist workers install it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            home.mkdir(exist_ok=True)
            subprocess.run(["npm", "install", "--prefix", str(home), "--no-audit", "--no-fund",
                            f"@redocly/cli@{REDOCLY_VERSION}"], check=True, capture_output=True, timeout=600)
    return binary


def test_the_document_passes_the_recommended_ruleset(client, redocly, tmp_path):
    document = tmp_path / "openapi.json"
    document.write_bytes(client.get("/api/openapi.json").data)
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    result = subprocess.run([str(redocly), "lint", str(document), "--config", str(ROOT / "redocly.yaml"),
                             "--format", "json"], capture_output=True, text=True, timeout=120, env=env)
    report = json.loads(result.stdout)
    problems = [f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
                for p in report["problems"]]
    assert not problems, "\n".join(problems)
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}


def test_every_api_operation_names_its_client_errors(client):
    """What the rule turned off in redocly.yaml would check, but for /health and /ready."""
    document = client.get("/api/openapi.json").get_json()
    silent = [f"{method.upper()} {path}" for path, item in document["paths"].items() if path not in NEVER_4XX
              for method, operation in item.items() if method != "parameters"
              and not any(status.startswith("4") for status in operation["responses"])]
    assert not silent
