"""Item 10 of the security review: /metrics can require a token, and the server refuses to start
with a placeholder or short admin key."""

import pytest

from flowdesk.api import create_app
from flowdesk.config import Settings


def test_metrics_need_the_token_when_one_is_set(make_client):
    client = make_client(metrics_token="scrape-token-0123456789")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert answer.status_code == 200 and b"flowdesk_" in answer.data


@pytest.mark.parametrize("key", ["change-me", "CHANGE-ME", "admin", "admin-secret", "short-key-15chr"])
def test_a_placeholder_or_short_admin_key_refuses_the_start(runtime, key):
    with pytest.raises(ValueError, match="FLOWDESK_ADMIN_KEY"):
        create_app(Settings(database_url=runtime.database_url, admin_key=key, auto_migrate=False), runtime=runtime)


def test_a_long_chosen_admin_key_starts(runtime):
    app = create_app(Settings(database_url=runtime.database_url, admin_key="a-long-chosen-key", auto_migrate=False),
                     runtime=runtime)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer a-long-chosen-key"}).status_code == 200
