"""Credentials of an action job's request are sealed at rest and opened, intact, for the call."""

import json

import pytest

from flowdesk.engine.process import job_credentials
from flowdesk.engine.store.keys import SecretBox

BOX = SecretBox(b"k" * 32)


@pytest.fixture
def sealed():
    return job_credentials.seal_request(
        BOX, "https://crm.example/v1?q=a+b&api_key=k%2Fy&page=2",
        {"Authorization": "Basic c3luYzpwdw==", "Accept": "application/json", "X-Token": "{{secret:crm}}"},
        {"user": "sync", "password": "pw", "nested": [{"client_secret": "cs"}]})


def test_secret_looking_headers_fields_and_query_parameters_are_sealed(sealed):
    url, headers, body = sealed
    stored = json.dumps([url, headers, body])

    for secret in ("c3luYzpwdw==", '"pw"', '"cs"', "k%2Fy", "k/y"):
        assert secret not in stored
    assert url.startswith("https://crm.example/v1?q=a+b&api_key={{sealed:") and url.endswith("}}&page=2")
    assert headers["Accept"] == "application/json" and body["user"] == "sync"
    assert headers["X-Token"] == "{{secret:crm}}"  # a reference already: the worker resolves it


def test_the_worker_opens_them_to_what_was_sealed(sealed):
    url, headers, body = sealed
    used = []

    assert job_credentials.open_text(BOX, url, used, in_url=True) == "https://crm.example/v1?q=a+b&api_key=k%2Fy&page=2"
    assert job_credentials.open_text(BOX, headers["Authorization"], used) == "Basic c3luYzpwdw=="
    assert job_credentials.open_body(BOX, body, used) == {"user": "sync", "password": "pw",
                                                          "nested": [{"client_secret": "cs"}]}
    assert {"pw", "sync:pw", "cs", "k/y"} <= set(used)  # what the worker scrubs from echoes


def test_what_is_shown_of_a_sealed_url_is_stars(sealed):
    assert job_credentials.shown(sealed[0]) == "https://crm.example/v1?q=a+b&api_key=***&page=2"
