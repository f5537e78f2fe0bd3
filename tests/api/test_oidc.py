"""Signing in to the web UI through an OpenID Connect provider: the server's part of the code flow."""

from __future__ import annotations

import logging
import re

import jwt
import pytest

VERIFIER = "v" * 20 + "-._~" + "0123456789abcdefghijklmnopqrstuvwxyz"  # 60 characters
CALLBACK = "http://localhost/ui/oidc/callback"


@pytest.fixture
def backend():
    """The sign-in keeps nothing in the database; one backend is enough."""
    return "sqlite"


@pytest.fixture
def oidc_client(make_client, fake_idp):
    return make_client(**fake_idp.settings())


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    return body


def test_without_a_provider_the_sign_in_endpoints_are_404(client):
    _problem(client.get("/api/v1/oidc"), 404, "not_found")
    _problem(client.post("/api/v1/oidc/token", json={"code": "c", "code_verifier": VERIFIER}), 404, "not_found")


def test_login_options_come_from_discovery_without_a_key(oidc_client, fake_idp):
    response = oidc_client.get("/api/v1/oidc")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"provider": "Fake IdP", "authorization_endpoint": f"{fake_idp.url}/authorize",
                                   "client_id": "flowdesk-ui", "scope": "openid profile email",
                                   "redirect_uri": CALLBACK}


def test_a_code_and_its_verifier_give_a_token_the_api_accepts(oidc_client, fake_idp):
    code = fake_idp.issue_code(VERIFIER, CALLBACK)
    response = oidc_client.post("/api/v1/oidc/token", json={"code": code, "code_verifier": VERIFIER})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert response.headers["Cache-Control"] == "no-store"
    me = oidc_client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json() == {"name": "olive", "role": "agent", "groups": ["support"], "lead_of": []}
    assert fake_idp.token_requests[-1]["redirect_uri"] == CALLBACK


def test_the_id_token_is_handed_out_when_configured(make_client, fake_idp):
    client = make_client(**fake_idp.settings(), oidc_token="id_token")
    code = fake_idp.issue_code(VERIFIER, CALLBACK)
    token = client.post("/api/v1/oidc/token", json={"code": code, "code_verifier": VERIFIER}).get_json()["token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == fake_idp.client_id


def test_a_wrong_verifier_is_refused_by_the_provider_and_401(oidc_client, fake_idp):
    code = fake_idp.issue_code(VERIFIER, CALLBACK)
    body = _problem(oidc_client.post("/api/v1/oidc/token", json={"code": code, "code_verifier": "w" * 60}),
                    401, "unauthenticated")
    assert "invalid_grant" in body["detail"]
    assert "token" not in body


def test_a_code_works_once(oidc_client, fake_idp):
    code = fake_idp.issue_code(VERIFIER, CALLBACK)
    assert oidc_client.post("/api/v1/oidc/token", json={"code": code, "code_verifier": VERIFIER}).status_code == 200
    _problem(oidc_client.post("/api/v1/oidc/token", json={"code": code, "code_verifier": VERIFIER}),
             401, "unauthenticated")


def test_a_malformed_verifier_is_422_before_asking_the_provider(oidc_client, fake_idp):
    body = _problem(oidc_client.post("/api/v1/oidc/token", json={"code": "c", "code_verifier": "short"}),
                    422, "invalid_input")
    assert "code_verifier" in body["errors"]
    assert fake_idp.token_requests == []


def test_a_missing_code_is_422(oidc_client, fake_idp):
    body = _problem(oidc_client.post("/api/v1/oidc/token", json={"code_verifier": VERIFIER}), 422, "invalid_input")
    assert "code" in body["errors"]
    assert fake_idp.token_requests == []


def test_an_unreachable_provider_is_503(make_client, fake_idp):
    url = fake_idp.url
    fake_idp.close()
    client = make_client(oidc_issuer=url, oidc_client_id="flowdesk-ui")
    response = client.get("/api/v1/oidc")
    _problem(response, 503, "unavailable")
    assert response.headers["Retry-After"]


def test_discovery_for_another_issuer_is_refused(make_client, fake_idp):
    client = make_client(oidc_issuer=fake_idp.url + "/realms/other", oidc_client_id="flowdesk-ui")
    # The fake provider answers discovery under any path, always naming its root as the issuer.
    _problem(client.get("/api/v1/oidc"), 503, "unavailable")


def test_tokens_and_codes_are_never_logged(oidc_client, fake_idp, caplog):
    caplog.set_level(logging.DEBUG)
    code = fake_idp.issue_code(VERIFIER, CALLBACK)
    token = oidc_client.post("/api/v1/oidc/token", json={"code": code, "code_verifier": VERIFIER}).get_json()["token"]
    oidc_client.post("/api/v1/oidc/token", json={"code": code, "code_verifier": VERIFIER})  # refused: logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "invalid_grant" in logged
    for secret in (token, code, VERIFIER):
        assert secret not in logged


def test_the_login_page_offers_the_provider_only_when_configured(client, oidc_client):
    assert "Sign in with" not in client.get("/ui/login").get_data(as_text=True)
    assert "Sign in with Fake IdP" in oidc_client.get("/ui/login").get_data(as_text=True)


def test_the_callback_page_runs_only_its_own_script(client):
    # Not a hex string: the page's hashed asset URLs could contain one by chance.
    response = client.get("/ui/oidc/callback?code=the-secret-code&state=xyz")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'src="/ui/static/js/oidc_callback\.[0-9a-f]+\.js"', page)
    assert len(re.findall(r"<script", page)) == 1
    assert "the-secret-code" not in page


def test_an_unknown_token_kind_fails_the_start(make_client, fake_idp):
    with pytest.raises(ValueError, match="FLOWDESK_OIDC_TOKEN"):
        make_client(**fake_idp.settings(), oidc_token="refresh_token")
