"""Hostile XML through the REST API: refused with a problem, nothing stored, nothing read or fetched.

The files are in ``tests/abuse/corpus``; adding a file there adds a case.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
REFUSED = sorted(p.name for p in CORPUS.glob("*.bpmn") if p.name != "xinclude.bpmn")


def _upload(client, headers, name: str, content: bytes):
    return client.post("/api/v1/definitions", data={"file": (io.BytesIO(content), name)}, headers=headers,
                       content_type="multipart/form-data")


@pytest.mark.parametrize("name", REFUSED)
def test_hostile_xml_is_refused_and_nothing_is_deployed(client, admin, name):
    response = _upload(client, admin, name, (CORPUS / name).read_bytes())
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"
    assert name in response.get_json()["detail"]
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize("name", REFUSED)
def test_hostile_xml_never_leaks_file_contents(client, admin, name):
    response = _upload(client, admin, name, (CORPUS / name).read_bytes())
    assert "root:" not in response.get_data(as_text=True)


def test_xinclude_is_never_expanded(client, admin):
    response = _upload(client, admin, "xinclude.bpmn", (CORPUS / "xinclude.bpmn").read_bytes())
    assert "root:" not in response.get_data(as_text=True)
    if response.status_code in (200, 201):
        xml = client.get("/api/v1/definitions/abuse/versions/1/xml", headers=admin).get_data(as_text=True)
        assert "root:" not in xml


def test_oversized_upload_is_413_and_nothing_is_deployed(app, client, admin):
    limit = app.extensions["flowdesk"].max_upload_bytes
    padding = b"<!--" + b"x" * (limit + 1) + b"-->"
    content = (Path(__file__).parent.parent / "data" / "simple_user_task.bpmn").read_bytes() + padding
    response = _upload(client, admin, "big.bpmn", content)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert client.get("/api/v1/definitions", headers=admin).get_json()["items"] == []


def test_server_still_deploys_after_every_hostile_file(client, admin):
    for name in REFUSED:
        _upload(client, admin, name, (CORPUS / name).read_bytes())
    content = (Path(__file__).parent.parent / "data" / "simple_user_task.bpmn").read_bytes()
    assert _upload(client, admin, "simple_user_task.bpmn", content).status_code == 201
