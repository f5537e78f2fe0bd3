"""The README stays true to the code, and its walk-through runs as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

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
def readme_server(tmp_path, flowdesk_serve):
    """`flowdesk serve` as the walk-through starts it, in a directory laid out like a checkout."""
    (tmp_path / ".venv").symlink_to(sys.prefix)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWDESK_")}
    env["FLOWDESK_ADMIN_KEY"] = "walkthrough-admin-key"
    return flowdesk_serve(".venv/bin/flowdesk", tmp_path, env), env


def test_the_curl_walk_through_runs_to_the_end(readme_server, tmp_path):
    port, env = readme_server
    walk = _section("## Walk-through with curl")
    assert "FLOWDESK_ADMIN_KEY=walkthrough-admin-key .venv/bin/flowdesk serve" in walk
    script = re.search(r"```sh\n(.*?)```", walk, re.DOTALL).group(1).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "completed", result.stdout + result.stderr
