"""Every answer carries headers that stop browsers sniffing, framing or caching API data."""


def test_api_answers_carry_security_headers(client, admin):
    response = client.get("/api/v1/tickets", headers=admin)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Cache-Control"] == "no-store"


def test_errors_carry_them_too(client):
    response = client.get("/api/v1/tickets")
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_cors_is_off(client, admin):
    response = client.get("/api/v1/tickets", headers={**admin, "Origin": "https://evil.example"})
    assert not any(name.lower().startswith("access-control-") for name in response.headers.keys())
