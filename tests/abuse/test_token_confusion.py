"""Item 8 of the security review: a token the server cannot read is a 401, never a 500, whatever
algorithm and key type it claims."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ISSUER = "https://idp.example.test/realms/flowdesk"
AUDIENCE = "flowdesk-api"


def _pem(private_key) -> str:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _token(private_key, algorithm: str) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": int(time.time()) + 300, "roles": ["admin"]}
    return jwt.encode(claims, private_key, algorithm=algorithm)


@pytest.fixture
def rsa_configured(make_client, signing_key):
    """A server trusting an RSA key, configured to accept several algorithm families."""
    return make_client(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_public_key=_pem(signing_key),
                       jwt_algorithms="RS256,ES256,PS256,EdDSA")


@pytest.mark.parametrize("make_key, algorithm", [
    (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
    (ed25519.Ed25519PrivateKey.generate, "EdDSA"),
])
def test_a_token_of_another_key_type_is_401(rsa_configured, make_key, algorithm):
    response = rsa_configured.get("/api/v1/definitions",
                                  headers={"Authorization": f"Bearer {_token(make_key(), algorithm)}"})
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["code"] == "unauthenticated"


def test_a_token_of_the_configured_key_still_works(rsa_configured, signing_key):
    response = rsa_configured.get("/api/v1/definitions",
                                  headers={"Authorization": f"Bearer {_token(signing_key, 'PS256')}"})
    assert response.status_code == 200
