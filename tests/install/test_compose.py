"""docker-compose.yml: valid against the Compose specification, and safe as shipped."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = [ROOT / "docker-compose.yml", ROOT / "deploy" / "compose.ports.yml"]
FLOWDESK = ("api", "worker", "scheduler")


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_files_follow_the_compose_specification():
    # check-jsonschema ships the compose-spec schema, so this runs offline.
    result = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
                             "vendor.compose-spec", *map(str, COMPOSE_FILES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_long_running_service_restarts_and_has_a_healthcheck(services):
    for name, service in services.items():
        if name == "migrate":
            continue
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name


def test_migrations_run_once_before_every_flowdesk_process(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["flowdesk", "db", "upgrade"]
    assert migrate["restart"] == "no"
    for name in FLOWDESK:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}, name
        assert services[name]["environment"]["FLOWDESK_AUTO_MIGRATE"] == "false", name


def test_workers_and_schedulers_are_probed_by_their_own_check(services):
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "flowdesk", "check", "worker"]
    assert services["scheduler"]["healthcheck"]["test"] == ["CMD", "flowdesk", "check", "scheduler"]
    assert "/ready" in " ".join(services["api"]["healthcheck"]["test"])


def test_the_api_listens_on_loopback_unless_configured(services):
    [port] = services["api"]["ports"]
    assert port.startswith("${FLOWDESK_BIND:-127.0.0.1}:")


def test_database_and_redis_are_not_published(services):
    assert "ports" not in services["postgres"]
    assert "ports" not in services["redis"]


def test_no_secret_has_a_placeholder_value(services):
    secrets = {"FLOWDESK_ADMIN_KEY", "FLOWDESK_SECRET_KEY", "POSTGRES_PASSWORD"}
    for name, service in services.items():
        for variable, value in (service.get("environment") or {}).items():
            if variable in secrets:
                assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]+\}}", value), f"{name}: {variable}={value}"
        url = (service.get("environment") or {}).get("FLOWDESK_DATABASE_URL", "")
        assert not url or "${POSTGRES_PASSWORD:?" in url, name
