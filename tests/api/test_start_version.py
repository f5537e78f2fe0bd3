"""POST /processes/{key}/instances with `version`: start an older deployed version."""

from __future__ import annotations

import pytest

PATH = "/api/v1/processes/{process_key}/instances"


@pytest.fixture
def two_versions(deploy):
    deploy("intake_v1.bpmn")
    deploy("intake_v2.bpmn")


def _start(client, admin, body):
    return client.post("/api/v1/processes/intake/instances", json=body, headers=admin)


def test_start_a_given_version(client, admin, two_versions, as_documented):
    response = _start(client, admin, {"version": 1})
    assert response.status_code == 201
    assert as_documented(response, PATH, "post")["process_version"] == 1


def test_latest_stays_the_default(client, admin, two_versions):
    assert _start(client, admin, {}).get_json()["process_version"] == 2


def test_unknown_version_is_404_and_starts_nothing(client, admin, two_versions, as_documented):
    response = _start(client, admin, {"version": 3})
    assert response.status_code == 404
    assert as_documented(response, PATH, "post")["code"] == "not_found"
    assert client.get("/api/v1/instances", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize("version", [0, -1, "1", 1.5])
def test_bad_version_is_422(client, admin, two_versions, version, as_documented):
    response = _start(client, admin, {"version": version})
    assert response.status_code == 422
    assert as_documented(response, PATH, "post")["code"] == "invalid_input"
    assert client.get("/api/v1/instances", headers=admin).get_json()["items"] == []
