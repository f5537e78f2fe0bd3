"""Bearer JWTs from an external identity provider: only well-signed, current tokens for us get in."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from flowdesk.api import create_app
from flowdesk.config import Settings

ISSUER = "https://idp.example.test/realms/flowdesk"
AUDIENCE = "flowdesk-api"


def _pem(private_key) -> str:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _token(private_key, *, kid="k1", algorithm="RS256", **overrides) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "carol", "exp": int(time.time()) + 300,
              "roles": ["admin"], "groups": ["support"]}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, private_key, algorithm=algorithm,
                      headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def pem_client(make_client, signing_key):
    return make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key=_pem(signing_key))


def _assert_401(response):
    assert response.status_code == 401, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "unauthenticated"


def test_valid_token_acts_with_its_role(pem_client, signing_key):
    response = pem_client.get("/api/v1/users", headers=_bearer(_token(signing_key)))
    assert response.status_code == 200
    assert "admin" in [u["name"] for u in response.get_json()["items"]]


def test_token_groups_decide_which_tickets_an_agent_sees(pem_client, signing_key, deploy, start):
    deploy("simple_user_task.bpmn")
    start("simple_user_task")
    agent = _token(signing_key, roles=["agent"], groups=["nobody-here"])
    assert pem_client.get("/api/v1/tickets", headers=_bearer(agent)).get_json()["items"] == []


def test_strongest_granted_role_applies_and_unknown_roles_are_ignored(pem_client, signing_key):
    token = _token(signing_key, roles=["viewer", "agent", "modeler"])
    assert pem_client.get("/api/v1/users", headers=_bearer(token)).status_code == 403  # modeler: no users
    assert pem_client.get("/api/v1/definitions", headers=_bearer(token)).status_code == 200


def test_token_without_a_flowdesk_role_is_403(pem_client, signing_key):
    response = pem_client.get("/api/v1/definitions", headers=_bearer(_token(signing_key, roles=["viewer"])))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_roles_from_a_nested_claim(make_client, signing_key):
    client = make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key=_pem(signing_key),
                         jwt_role_claim="realm_access.roles")
    token = _token(signing_key, roles=None, realm_access={"roles": ["auditor"]})
    assert client.get("/api/v1/audit-log", headers=_bearer(token)).status_code == 200


def test_expired_token_is_401(pem_client, signing_key):
    response = pem_client.get("/api/v1/definitions", headers=_bearer(_token(signing_key, exp=int(time.time()) - 120)))
    _assert_401(response)
    assert "expired" in response.get_json()["detail"]


def test_token_for_another_audience_is_401(pem_client, signing_key):
    _assert_401(pem_client.get("/api/v1/definitions", headers=_bearer(_token(signing_key, aud="another-api"))))


def test_token_from_another_issuer_is_401(pem_client, signing_key):
    _assert_401(pem_client.get("/api/v1/definitions", headers=_bearer(_token(signing_key, iss="https://evil.test"))))


def test_token_without_expiry_is_401(pem_client, signing_key):
    _assert_401(pem_client.get("/api/v1/definitions", headers=_bearer(_token(signing_key, exp=None))))


def test_unsigned_alg_none_token_is_401(pem_client):
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": int(time.time()) + 300,
                               "roles": ["admin"]}).encode())
    _assert_401(pem_client.get("/api/v1/definitions", headers=_bearer(f"{header}.{payload}.")))


def test_token_signed_by_another_key_is_401(pem_client):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _assert_401(pem_client.get("/api/v1/definitions", headers=_bearer(_token(other))))


def test_hmac_token_keyed_with_the_public_key_is_401(pem_client, signing_key):
    # The RS/HS confusion: the public key is no secret, so it must never verify an HMAC.
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": int(time.time()) + 300,
                               "roles": ["admin"]}).encode())
    signature = hmac.new(_pem(signing_key).encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    _assert_401(pem_client.get("/api/v1/definitions", headers=_bearer(f"{header}.{payload}.{_b64(signature)}")))


def test_tampered_claims_are_401(pem_client, signing_key):
    header, _, signature = _token(signing_key, roles=["agent"]).split(".")
    payload = _b64(json.dumps({"iss": ISSUER, "aud": AUDIENCE, "sub": "carol", "exp": int(time.time()) + 300,
                               "roles": ["admin"]}).encode())
    _assert_401(pem_client.get("/api/v1/users", headers=_bearer(f"{header}.{payload}.{signature}")))


def test_api_keys_still_work_when_jwts_are_configured(pem_client, admin):
    assert pem_client.get("/api/v1/users", headers=admin).status_code == 200


def test_keys_come_from_a_jwks_url_and_are_cached(make_client, signing_key, action_server):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key(), as_dict=True)
    action_server.routes["/jwks"] = lambda request: (200, {"keys": [{**jwk, "kid": "k1", "alg": "RS256",
                                                                     "use": "sig"}]}, {})
    client = make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks_url=f"{action_server.url}/jwks")
    for _ in range(3):
        assert client.get("/api/v1/users", headers=_bearer(_token(signing_key))).status_code == 200
    assert len(action_server.calls("/jwks")) == 1


def test_jwks_token_with_an_unknown_key_id_is_401(make_client, signing_key, action_server):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key(), as_dict=True)
    action_server.routes["/jwks"] = lambda request: (200, {"keys": [{**jwk, "kid": "k1"}]}, {})
    client = make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks_url=f"{action_server.url}/jwks")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _assert_401(client.get("/api/v1/users", headers=_bearer(_token(other, kid="k2"))))


@pytest.mark.parametrize("algorithms", ["HS256", "none", "RS256,HS256", ""])
def test_symmetric_or_no_algorithm_is_refused_at_start(runtime, signing_key, algorithms):
    settings = Settings(database_url=runtime.database_url, auto_migrate=False, jwt_issuer=ISSUER,
                        jwt_audience=AUDIENCE, jwt_public_key=_pem(signing_key), jwt_algorithms=algorithms)
    with pytest.raises(ValueError):
        create_app(settings, runtime=runtime)


def test_half_configured_jwts_are_refused_at_start(runtime):
    settings = Settings(database_url=runtime.database_url, auto_migrate=False, jwt_issuer=ISSUER)
    with pytest.raises(ValueError):
        create_app(settings, runtime=runtime)


def test_token_acts_for_the_tenant_in_its_claim(pem_client, signing_key, runtime):
    from flowdesk.engine.access import identity, tenants

    tenants.create_tenant(runtime, "acme")
    identity.create_user(runtime, "dora", "agent", tenant="acme")
    names = [u["name"] for u in pem_client.get("/api/v1/users", headers=_bearer(_token(signing_key, tenant="acme")))
             .get_json()["items"]]
    assert names == ["dora"]


def test_token_without_a_tenant_claim_acts_for_the_default_tenant(pem_client, signing_key, runtime):
    from flowdesk.engine.access import identity, tenants

    tenants.create_tenant(runtime, "acme")
    identity.create_user(runtime, "dora", "agent", tenant="acme")
    names = [u["name"] for u in pem_client.get("/api/v1/users", headers=_bearer(_token(signing_key))).get_json()["items"]]
    assert "admin" in names and "dora" not in names


def test_token_naming_an_unknown_or_invalid_tenant_is_401(pem_client, signing_key):
    _assert_401(pem_client.get("/api/v1/users", headers=_bearer(_token(signing_key, tenant="nobody"))))
    _assert_401(pem_client.get("/api/v1/users", headers=_bearer(_token(signing_key, tenant="Not A Slug"))))


def test_tenant_from_a_configured_claim(make_client, signing_key, runtime):
    from flowdesk.engine.access import tenants

    tenants.create_tenant(runtime, "acme")
    client = make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key=_pem(signing_key),
                         jwt_tenant_claim="org.id")
    token = _token(signing_key, org={"id": "acme"}, tenant="default")
    assert client.get("/api/v1/users", headers=_bearer(token)).get_json()["items"] == []
