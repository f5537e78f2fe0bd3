"""A client generated from the served OpenAPI document runs the core loop against `flowdesk serve`.

`openapi-python-client` turns /api/openapi.json into a typed package; the test then deploys,
makes an agent, starts an instance, finds the ticket in the agent's inbox, claims and completes
it and sees the instance completed, through the generated functions and models only. A
document the generator cannot read, or reads with warnings, fails here.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import httpx
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
ADMIN_KEY = "generated-client-admin-key"
# The generator reads JSON, multipart and octet-stream bodies; a raw BPMN upload is just bytes.
GENERATOR_CONFIG = "content_type_overrides:\n  application/xml: application/octet-stream\n"


@pytest.fixture
def served(tmp_path, flowdesk_serve):
    """A `flowdesk serve` of its own (embedded: SQLite in its directory, worker threads)."""
    home = tmp_path / "server"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWDESK_")}
    env["FLOWDESK_ADMIN_KEY"] = ADMIN_KEY
    port = flowdesk_serve(str(Path(sys.prefix) / "bin" / "flowdesk"), home, env)
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def generated(served, tmp_path, monkeypatch):
    """The `flowdesk_client` package generated from the served document, importable."""
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{served}/api/openapi.json", timeout=30).content)
    config = tmp_path / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    venv_bin = str(Path(sys.prefix) / "bin")
    result = subprocess.run(
        [str(Path(venv_bin) / "openapi-python-client"), "generate", "--path", str(document), "--meta", "none",
         "--output-path", str(tmp_path / "flowdesk_client"), "--config", str(config)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")})  # its ruff formats
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("flowdesk_client")
    for name in [n for n in sys.modules if n == "flowdesk_client" or n.startswith("flowdesk_client.")]:
        del sys.modules[name]


def _api(path: str):
    return importlib.import_module(f"flowdesk_client.api.{path}")


def test_the_generated_client_runs_the_core_loop(generated, served):
    from flowdesk_client import AuthenticatedClient
    from flowdesk_client.models import (Complete, CompleteData, DefinitionsDefinitionsPostFilesBody, Start,
                                        StartVariables, UserInput, UserInputRole)
    from flowdesk_client.types import File

    deploy = _api("definitions.definitions_definitions_post")
    list_definitions = _api("definitions.definitions_definitions_get")
    create_user = _api("users.users_users_post")
    start = _api("instances.instances_process_instances_post")
    inbox = _api("tickets.tickets_tickets_get")
    claim = _api("tickets.tickets_ticket_claim_post")
    complete = _api("tickets.tickets_ticket_complete_post")
    get_instance = _api("instances.instances_instance_item_get")

    with AuthenticatedClient(base_url=served, token=ADMIN_KEY) as admin:
        bpmn = (DATA / "call_child.bpmn").read_bytes()
        deployed = deploy.sync_detailed(client=admin, body=DefinitionsDefinitionsPostFilesBody(
            file=[File(payload=BytesIO(bpmn), file_name="call_child.bpmn", mime_type="application/xml")]))
        assert deployed.status_code == 201, deployed.content
        assert [(d.key, d.version, d.created) for d in deployed.parsed] == [("call_child", 1, True)]
        listed = list_definitions.sync(client=admin, limit=1)
        assert [d.key for d in listed.items] == ["call_child"] and listed.next_cursor is None

        agent = create_user.sync(client=admin, body=UserInput(name="gen-agent", role=UserInputRole.AGENT,
                                                              groups=["hr"]))
        assert agent.name == "gen-agent" and agent.api_key
        instance = start.sync("call_child", client=admin, body=Start(variables=StartVariables.from_dict({"n": 1}),
                                                                       business_key="generated-1"))
        assert instance.status == "running"

    with AuthenticatedClient(base_url=served, token=agent.api_key) as worker:
        page = inbox.sync(client=worker, business_key="generated-1")
        [ticket] = page.items
        assert (ticket.element_id, ticket.instance_id, ticket.status) == ("check", instance.id, "open")
        claimed = claim.sync(ticket.id, client=worker)
        assert (claimed.assignee, claimed.status) == ("gen-agent", "claimed")
        done = complete.sync(ticket.id, client=worker,
                             body=Complete(data=CompleteData.from_dict({"references": "fine"})))
        assert done.ticket.status == "completed" and done.open_tickets == []

    with AuthenticatedClient(base_url=served, token=ADMIN_KEY) as admin:
        finished = get_instance.sync(instance.id, client=admin)
        assert finished.status == "completed"
        assert finished.variables.to_dict()["references"] == "fine"
