"""Form schemas retrieve nothing: a $ref outside the schema is refused at deploy and never fetched."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flowdesk.engine.process import forms
from flowdesk.engine.store.errors import InvalidInput


@pytest.fixture
def listener():
    """A local HTTP server that records every request it receives and answers with a schema."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            received.append(self.path)
            body = json.dumps({"type": "string"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def _schema(ref: str) -> dict:
    return {"type": "object", "properties": {"secret": {"$ref": ref}}}


def _deploy_form(client, admin, schema: dict, name: str = "hostile_form.json"):
    return client.post("/api/v1/definitions", data={"file": (io.BytesIO(json.dumps(schema).encode()), name)},
                       headers=admin, content_type="multipart/form-data")


def test_http_ref_is_refused_at_deploy_and_never_fetched(client, admin, listener):
    url, received = listener

    response = _deploy_form(client, admin, _schema(f"{url}/schema.json"))

    assert response.status_code == 422
    [problem] = response.get_json()["errors"]
    assert (problem["file"], problem["pointer"]) == ("hostile_form.json", "/properties/secret/$ref")
    assert received == []


def test_file_ref_is_refused_at_deploy_and_shows_nothing_of_the_file(client, admin, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"const": "the-master-key"}))

    response = _deploy_form(client, admin, _schema(secret.as_uri()))

    assert response.status_code == 422
    assert "/properties/secret/$ref" in response.get_data(as_text=True)
    assert "the-master-key" not in response.get_data(as_text=True)


def test_ref_under_a_remote_id_is_refused_at_deploy(client, admin, listener):
    url, received = listener

    response = _deploy_form(client, admin, {"$id": f"{url}/base/", **_schema("other.json")})

    assert response.status_code == 422
    assert received == []


def test_local_refs_and_a_property_called_ref_deploy_and_validate(client, admin):
    schema = {"$defs": {"amount": {"type": "integer"}}, "type": "object",
              "properties": {"amount": {"$ref": "#/$defs/amount"}, "$ref": {"type": "string"}},
              "default": {"$ref": "not a reference"}}

    assert _deploy_form(client, admin, schema, "local_refs.json").status_code == 201
    with pytest.raises(InvalidInput):
        forms.check(schema, {"amount": "lots"})


def test_a_stored_schema_with_a_remote_ref_is_not_fetched_when_checking(listener):
    url, received = listener

    with pytest.raises(InvalidInput, match="does not retrieve"):
        forms.check(_schema(f"{url}/schema.json"), {"secret": "x"})

    assert received == []
