"""Whole numbers in requests: past what the database stores they are a 422 naming the field,
never an overflow in the driver (found by the OpenAPI fuzzer on SQLite)."""

import pytest


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/api/v1/tickets?process_version=34497244303811841884160", None),
    ("get", "/api/v1/tickets?min_priority=-34497244303811841884160", None),
    ("post", "/api/v1/processes/any/migrate", {"to_version": 34497244303811841884160}),
    ("post", "/api/v1/api-keys", {"user": "admin", "expires_in": 34497244303811841884160}),
])
def test_a_number_past_what_the_database_stores_is_a_422_naming_it(client, admin, method, path, body):
    response = getattr(client, method)(path, headers=admin, **({"json": body} if body else {}))

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    field = path.split("?")[1].split("=")[0] if body is None else next(iter(set(body) - {"user"}))
    assert field in response.get_json()["errors"]
