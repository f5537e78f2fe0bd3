"""An installed wheel works: it migrates, serves, deploys and starts (select with `-m install`)."""

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_every_file_of_the_package(wheel):
    package = ROOT / "src" / "flowdesk"
    sources = {f"flowdesk/{p.relative_to(package).as_posix()}" for p in package.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert sources - set(zipfile.ZipFile(wheel).namelist()) == set()


def test_installed_flowdesk_migrates_a_fresh_database(installed, user_env, tmp_path):
    result = subprocess.run([str(installed / "flowdesk"), "db", "upgrade"], cwd=tmp_path, env=user_env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "upgraded" in result.stdout
    assert (tmp_path / "flowdesk.sqlite3").exists()


def test_installed_server_deploys_and_starts_an_instance(served):
    bpmn = ROOT / "examples" / "ticket_progression.bpmn"
    deployed = served.post("/api/v1/definitions", files={"file": (bpmn.name, bpmn.read_bytes(), "application/xml")})
    assert deployed.status_code == 201, deployed.text
    started = served.post("/api/v1/processes/ticket_progression/instances",
                          json={"business_key": "REQ-1", "variables": {"requester": "carol"}})
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["status"] == "running"
    assert [t["element_id"] for t in body["open_tickets"]] == ["triage"]


def test_wheel_carries_the_apache_license(wheel):
    archive = zipfile.ZipFile(wheel)
    [license_file] = [n for n in archive.namelist() if ".dist-info/" in n and "LICENSE" in n]
    assert "Apache License" in archive.read(license_file).decode()
    metadata = archive.read(license_file.split(".dist-info/")[0] + ".dist-info/METADATA").decode()
    assert re.search(r"^License(-Expression)?: Apache-2\.0$", metadata, re.MULTILINE)
