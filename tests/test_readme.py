"""The README stays true to the code, and its walk-through runs as written."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flowdesk.config import documentation

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def _section(heading: str) -> str:
    start = README.index(heading)
    following = re.search(r"^## ", README[start + len(heading):], re.MULTILINE)
    return README[start:start + len(heading) + following.start()] if following else README[start:]


def test_readme_documents_every_setting():
    for variable, _, _ in documentation():
        assert f"`{variable}`" in README


def test_every_link_to_a_section_finds_its_heading():
    headings = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.*)$", README, re.MULTILINE)}
    assert set(re.findall(r"\]\(#([^)]+)\)", README)) - headings == set()


def test_root_endpoints_are_not_listed_under_api_v1(client):
    api_table = _section("## REST API (under `/api/v1`)").split("At the root of the server")[0]
    for path in ("/health", "/ready", "/metrics"):
        assert f"`GET {path}`" not in api_table
        assert f"| `GET {path}`" in README
        assert client.get(path).status_code == 200


@pytest.fixture
def readme_server(tmp_path):
    """`flowdesk serve` as the walk-through starts it, in a directory laid out like a checkout."""
    (tmp_path / ".venv").symlink_to(sys.prefix)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWDESK_")}
    env["FLOWDESK_ADMIN_KEY"] = "walkthrough-admin-key"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([".venv/bin/flowdesk", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "flowdesk serve did not come up"
        time.sleep(0.2)
    yield port, env
    server.terminate()
    server.wait(timeout=60)


def test_the_curl_walk_through_runs_to_the_end(readme_server, tmp_path):
    port, env = readme_server
    walk = _section("## Walk-through with curl")
    assert "FLOWDESK_ADMIN_KEY=walkthrough-admin-key .venv/bin/flowdesk serve" in walk
    script = re.search(r"```sh\n(.*?)```", walk, re.DOTALL).group(1).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "completed", result.stdout + result.stderr
